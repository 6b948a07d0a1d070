// `fleet matrix` wiring: preflight, production dependencies, Ctrl-C handling, report. The logic lives in run-matrix.ts.
import path from "node:path";
import { defaultStacksDir, listStacks, loadStackConfig, parseDurationSeconds } from "@inference-fleet/fleet-config";
import { UsageError } from "../command.js";
import { buildMatrixReport, renderPreviewSummary, writeMatrixReport } from "./matrix-report.js";
import { formatPreflightProblems, processEnvironment, runPreflight, type PreflightEnvironment } from "./preflight.js";
import { runMatrix, type MatrixDependencies } from "./run-matrix.js";

export interface MatrixCommandOptions {
  readonly stacks: string;
  readonly keep?: boolean;
  readonly previewOnly?: boolean;
  readonly parallel: string;
  readonly out?: string;
  readonly waitTimeout: string;
}

function parseStackList(list: string, known: readonly string[]): string[] {
  const stacks = list.split(",").map((s) => s.trim()).filter(Boolean);
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

async function productionDependencies(repoRoot: string): Promise<Omit<MatrixDependencies, "log" | "loadConfig">> {
  // Loaded only here: the Pulumi SDK and the AWS SDK take a while to import and no other command needs them.
  const [{ pulumiWorkspace }, { kubectlJobWatcher }, { s3ResultsCollector }] = await Promise.all([
    import("./pulumi-workspace.js"),
    import("./kubectl-job-watcher.js"),
    import("./s3-results-collector.js"),
  ]);
  return { workspace: pulumiWorkspace(repoRoot), jobWatcher: kubectlJobWatcher(), collector: s3ResultsCollector() };
}

/** Runs `fleet matrix`; returns the exit code (0 only when every stack was measured or previewed and cleaned up). */
export async function matrixMain(options: MatrixCommandOptions, environment: PreflightEnvironment = processEnvironment()): Promise<number> {
  const stacksDir = defaultStacksDir();
  const stacks = parseStackList(options.stacks, listStacks(stacksDir));
  const parallel = parsePositiveInt(options.parallel, "parallel");
  const waitTimeoutSeconds = parseDurationSeconds(options.waitTimeout);
  if (!waitTimeoutSeconds) throw new UsageError(`--wait-timeout must be a duration such as 30m or 1h, got "${options.waitTimeout}".`);
  const configs = new Map(stacks.map((stack) => [stack, loadStackConfig(stack, { stacksDir })]));

  const repoRoot = path.dirname(stacksDir);
  const problems = await runPreflight(environment, { previewOnly: options.previewOnly, infraEntry: path.join(repoRoot, "infra", "dist", "index.js") });
  if (problems.length > 0) {
    console.error(formatPreflightProblems(problems));
    return 1;
  }

  const abort = new AbortController();
  const onSigint = () => {
    console.error("\nStopping: no new work starts; stacks already created are being destroyed (Ctrl-C again does not skip that).");
    abort.abort(new Error("interrupted by Ctrl-C"));
  };
  process.on("SIGINT", onSigint);
  try {
    const runs = await runMatrix(
      { ...(await productionDependencies(repoRoot)), loadConfig: (stack) => configs.get(stack)!, log: (line) => console.log(line) },
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
