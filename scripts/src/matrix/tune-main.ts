// `fleet matrix --tune` wiring: the same checks as `fleet matrix` before anything is created (tools,
// credentials, each stack's plan, the endpoint's CIDR, the model dirs), then runTuneMatrix with the
// production Pulumi workspace, kubectl Job watcher and S3 collector.
import path from "node:path";
import { defaultStacksDir, listStacks, loadStackConfig, parseDurationSeconds, planStack } from "@inference-fleet/fleet-config";
import { UsageError } from "../command.js";
import { ensureModel } from "../local/ensure-model.js";
import { endpointAccessOverrides, type PublicIpLookup } from "./endpoint-access.js";
import { formatPreflightProblems, processEnvironment, runPreflight, type PreflightEnvironment } from "./preflight.js";
import { matrixPlanProblems } from "./stack-preflight.js";
import { runTuneMatrix } from "./tune-matrix.js";

export interface TuneMatrixCommandOptions {
  readonly stacks: readonly string[];
  readonly parallel: number;
  /** Per stack, the search's budget once the stack is up, e.g. "60m". */
  readonly tuneBudget: string;
  readonly keep?: boolean;
  readonly endpointCidr?: string;
}

export interface TuneMatrixMainDependencies {
  readonly environment?: PreflightEnvironment;
  readonly lookupIp?: PublicIpLookup;
}

export const DEFAULT_CLUSTER_TUNE_BUDGET = "60m";

/** Runs `fleet matrix --tune`; returns the exit code (0 only when every stack was tuned and cleaned up). */
export async function tuneMatrixMain(options: TuneMatrixCommandOptions, deps: TuneMatrixMainDependencies = {}): Promise<number> {
  if (!(Number.isInteger(options.parallel) && options.parallel >= 1))
    throw new UsageError(`--parallel must be a whole number of at least 1, got "${options.parallel}".`);
  const budgetSeconds = parseDurationSeconds(options.tuneBudget);
  if (!budgetSeconds) throw new UsageError(`--tune-budget must be a duration such as 45m or 2h, got "${options.tuneBudget}".`);
  const environment = deps.environment ?? processEnvironment();
  const stacksDir = defaultStacksDir();
  const known = listStacks(stacksDir);
  const unknown = options.stacks.filter((stack) => !known.includes(stack));
  if (unknown.length > 0) throw new UsageError(`Unknown stack(s) ${unknown.join(", ")}: stacks/ has ${known.join(", ")}.`);
  const repoRoot = path.dirname(stacksDir);
  const problems = await runPreflight(environment, { infraEntry: path.join(repoRoot, "infra", "dist", "index.js") });
  const asWritten = options.stacks.map((stack) => loadStackConfig(stack, { stacksDir, env: environment.env }));
  const endpointEnv = await endpointAccessOverrides(asWritten, options.endpointCidr, deps.lookupIp);
  const envFor = (stack: string) => endpointEnv.get(stack) ?? {};
  const configs = new Map(options.stacks.map((stack) => [stack, loadStackConfig(stack, { stacksDir, env: { ...environment.env, ...envFor(stack) } })]));
  problems.push(...matrixPlanProblems([...configs.values()].map(planStack), options.parallel));
  if (problems.length > 0) {
    console.error(formatPreflightProblems(problems));
    return 1;
  }
  for (const config of configs.values()) await ensureModel(config, repoRoot, (line) => console.log(`[${config.stack}] ${line}`));

  const abort = new AbortController();
  const onSigint = () => {
    console.error("\nStopping: no new candidate starts; stacks already created are being destroyed (unless --keep).");
    abort.abort(new Error("interrupted by Ctrl-C"));
  };
  process.on("SIGINT", onSigint);
  try {
    // Loaded only here, as in `fleet matrix`: the Pulumi and AWS SDKs take a while to import.
    const [{ pulumiWorkspace }, { kubectlJobWatcher }, { s3ResultsCollector }] = await Promise.all([
      import("./pulumi-workspace.js"),
      import("./kubectl-job-watcher.js"),
      import("./s3-results-collector.js"),
    ]);
    const runs = await runTuneMatrix(
      {
        workspace: pulumiWorkspace(repoRoot, envFor),
        jobWatcher: kubectlJobWatcher(),
        collector: s3ResultsCollector(),
        loadConfig: (stack) => configs.get(stack)!,
        log: (line) => console.log(line),
      },
      { stacks: options.stacks, budgetSeconds, parallel: options.parallel, keep: options.keep, stacksDir, signal: abort.signal },
    );
    for (const run of runs) {
      const figure =
        run.status === "tuned" ? `${run.outcome.verdict}${run.file ? ` Written: ${path.relative(process.cwd(), run.file)}` : ""}` : `failed: ${run.reason}`;
      console.log(`[${run.stack}] ${figure}${run.destroyError ? ` ${run.destroyError}` : ""}`);
    }
    return runs.every((run) => run.status === "tuned" && !run.destroyError) ? 0 : 1;
  } finally {
    process.off("SIGINT", onSigint);
  }
}
