// `fleet matrix` wiring: preflight, production dependencies, Ctrl-C handling, report. The logic lives in run-matrix.ts.
import path from "node:path";
import { defaultStacksDir, listStacks, loadStackConfig, parseDurationSeconds, planStack, type StackPlan } from "@inference-fleet/fleet-config";
import { UsageError } from "../command.js";
import { ensureModel } from "../local/ensure-model.js";
import { endpointAccessOverrides, type PublicIpLookup } from "./endpoint-access.js";
import { buildMatrixReport, renderPreviewSummary, writeMatrixReport } from "./matrix-report.js";
import { formatPreflightProblems, processEnvironment, runPreflight, type PreflightEnvironment } from "./preflight.js";
import { runMatrix, type MatrixDependencies } from "./run-matrix.js";
import { concurrentQuotaNeeds, matrixPlanProblems } from "./stack-preflight.js";

export interface MatrixCommandOptions {
  readonly stacks: string;
  readonly keep?: boolean;
  readonly previewOnly?: boolean;
  readonly parallel: string;
  readonly out?: string;
  readonly waitTimeout: string;
  /** The cluster API endpoint's allowed CIDR for stacks that list none: "auto" (this machine's public address) or a CIDR. */
  readonly endpointCidr?: string;
  /** Read the account's Service Quotas and check the concurrent stacks' needs against them. */
  readonly checkQuotas?: boolean;
}

export interface MatrixMainDependencies {
  readonly environment?: PreflightEnvironment;
  readonly lookupIp?: PublicIpLookup;
}

function parseStackList(list: string, known: readonly string[]): string[] {
  const stacks = list
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (stacks.length === 0) throw new UsageError("--stacks needs at least one stack, e.g. --stacks c7i,c7g.");
  const unknown = stacks.filter((s) => !known.includes(s));
  if (unknown.length > 0) throw new UsageError(`Unknown stack(s) ${unknown.join(", ")}: stacks/ has ${known.join(", ")}.`);
  return stacks;
}

function parsePositiveInt(value: string, option: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new UsageError(`--${option} must be a whole number of at least 1, got "${value}".`);
  return parsed;
}

async function productionDependencies(
  repoRoot: string,
  envFor: (stack: string) => Record<string, string>,
): Promise<Omit<MatrixDependencies, "log" | "loadConfig">> {
  // Loaded only here: the Pulumi SDK and the AWS SDK take a while to import and no other command needs them.
  const [{ pulumiWorkspace }, { kubectlJobWatcher }, { s3ResultsCollector }] = await Promise.all([
    import("./pulumi-workspace.js"),
    import("./kubectl-job-watcher.js"),
    import("./s3-results-collector.js"),
  ]);
  return { workspace: pulumiWorkspace(repoRoot, envFor), jobWatcher: kubectlJobWatcher(), collector: s3ResultsCollector() };
}

/** The account's applied values of the quotas the concurrent stacks need (--check-quotas). */
async function readQuotaValues(plans: readonly StackPlan[], parallel: number): Promise<Map<string, number>> {
  const { checkQuotas, serviceQuotasClient } = await import("../plan/quota-check.js");
  const checks = await checkQuotas(concurrentQuotaNeeds(plans, parallel), serviceQuotasClient(plans[0]!.region));
  return new Map(checks.map((check) => [check.quota.quotaCode, check.value]));
}

/** Runs `fleet matrix`; returns the exit code (0 only when every stack was measured or previewed and cleaned up). */
export async function matrixMain(options: MatrixCommandOptions, deps: MatrixMainDependencies = {}): Promise<number> {
  const environment = deps.environment ?? processEnvironment();
  const stacksDir = defaultStacksDir();
  const stacks = parseStackList(options.stacks, listStacks(stacksDir));
  const parallel = parsePositiveInt(options.parallel, "parallel");
  const waitTimeoutSeconds = parseDurationSeconds(options.waitTimeout);
  if (!waitTimeoutSeconds) throw new UsageError(`--wait-timeout must be a duration such as 30m or 1h, got "${options.waitTimeout}".`);
  const asWritten = stacks.map((stack) => loadStackConfig(stack, { stacksDir, env: environment.env }));
  const repoRoot = path.dirname(stacksDir);
  const problems = await runPreflight(environment, { previewOnly: options.previewOnly, infraEntry: path.join(repoRoot, "infra", "dist", "index.js") });
  if (problems.length > 0) {
    console.error(formatPreflightProblems(problems));
    return 1;
  }
  // Stacks without publicAccessCidrs get this machine's address for the API endpoint, as a FLEET_* override of this run only.
  const endpointEnv = await endpointAccessOverrides(asWritten, options.endpointCidr, deps.lookupIp);
  const envFor = (stack: string) => endpointEnv.get(stack) ?? {};
  const configs = new Map(stacks.map((stack) => [stack, loadStackConfig(stack, { stacksDir, env: { ...environment.env, ...envFor(stack) } })]));
  for (const [stack, env] of endpointEnv)
    console.log(`[${stack}] cluster API endpoint open to ${JSON.parse(Object.values(env)[0]!).join(", ")} only (this machine; --endpoint-cidr to choose)`);
  {
    const plans = [...configs.values()].map(planStack);
    const quotaValues = options.checkQuotas ? await readQuotaValues(plans, parallel) : undefined;
    problems.push(...matrixPlanProblems(plans, parallel, quotaValues));
  }
  if (problems.length > 0) {
    console.error(formatPreflightProblems(problems));
    return 1;
  }
  // The program uploads local model dirs; build the missing ones now (nothing is downloaded).
  for (const config of configs.values()) await ensureModel(config, repoRoot, (line) => console.log(`[${config.stack}] ${line}`));

  const abort = new AbortController();
  const onSigint = () => {
    console.error("\nStopping: no new work starts; stacks already created are being destroyed (Ctrl-C again does not skip that).");
    abort.abort(new Error("interrupted by Ctrl-C"));
  };
  process.on("SIGINT", onSigint);
  try {
    const runs = await runMatrix(
      { ...(await productionDependencies(repoRoot, envFor)), loadConfig: (stack) => configs.get(stack)!, log: (line) => console.log(line) },
      { stacks, keep: options.keep, previewOnly: options.previewOnly, parallel, waitTimeoutMs: waitTimeoutSeconds * 1000, signal: abort.signal },
    );
    if (options.previewOnly) {
      console.log(renderPreviewSummary(runs));
      return runs.every((run) => run.status === "previewed") ? 0 : 1;
    }
    const report = buildMatrixReport(runs, configs.get(stacks[0]!)!.loadTest.slo);
    const outDir = path.resolve(options.out ?? path.join(repoRoot, "results", `matrix-${new Date().toISOString().replace(/[:.]/g, "-")}`));
    writeMatrixReport(outDir, runs, report);
    console.log(`\n${report.markdown}\nReport written to ${outDir}`);
    return report.failures.length === 0 ? 0 : 1;
  } finally {
    process.off("SIGINT", onSigint);
  }
}
