// `fleet local` wiring: stack configs, Ctrl-C, one stack or a comparison of several, results written and printed.
import path from "node:path";
import { defaultStacksDir, loadStackConfig, sloLabel, type FleetConfig, type Slo } from "@inference-fleet/fleet-config";
import { sloOfConfig } from "@inference-fleet/load-test";
import { sloMiss } from "@inference-fleet/reports";
import { UsageError } from "../command.js";
import { priceLabelsFrom } from "../commands/price-options.js";
import { capacitySettings, type CapacitySettings } from "./capacity-run.js";
import { timestampedDir, writeLocalResults } from "./local-report.js";
import { runLocalStack, type GeneratorChoice, type LocalRun, type LocalRunOptions } from "./run-local.js";
import { watchCtrlC } from "../shared/ctrl-c.js";

export interface LocalCommandOptions {
  readonly stack?: string;
  readonly compare?: string;
  readonly generator?: string;
  readonly out?: string;
  /** Search the capacity at the SLO instead of running the stacks' configured load tests. */
  readonly capacity?: boolean;
  /** Autoscale the servers under the stack's ramp (server.autoscaling). */
  readonly autoscale?: boolean;
  /** The capacity search's time budget (default loadTest.capacity.budget), e.g. "3m". */
  readonly budget?: string;
  /** The capacity search's precision (default loadTest.capacity.precision), e.g. "0.05". */
  readonly precision?: string;
  /** The EC2 instance type this machine stands for, to price the runs (--as). */
  readonly as?: string;
  /** A price per hour for this machine, to price the runs (--usd-per-hour). */
  readonly usdPerHour?: string;
}

const GENERATORS: readonly GeneratorChoice[] = ["auto", "local", "k6"];

function stacksToRun(options: LocalCommandOptions): string[] {
  if (options.stack && options.compare) throw new UsageError("Give --stack NAME or --compare A,B, not both.");
  if (options.stack) return [options.stack];
  if (!options.compare) throw new UsageError("Give --stack NAME (e.g. --stack dev) or --compare A,B.");
  const stacks = options.compare
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (stacks.length < 2) throw new UsageError("--compare needs at least two stacks, e.g. --compare dev,dev-batching.");
  if (new Set(stacks).size !== stacks.length) throw new UsageError(`--compare lists a stack twice (${stacks.join(",")}).`);
  return stacks;
}

export interface LocalMainDependencies {
  /** Overridable for tests; production runs `fleet serve`. */
  readonly launch?: LocalRunOptions["launch"];
  readonly log?: (line: string) => void;
  /** Stops the run like Ctrl-C does (tests); SIGINT is always handled too. */
  readonly interrupt?: AbortSignal;
}

/**
 * What the report needs to know about a local run that the run itself does not say: the stack's SLO,
 * the price this machine stands for (if given), and that it is one node, whatever number of servers it runs.
 */
export function withReportLabels(run: LocalRun, config: FleetConfig, pricing: Record<string, string>): LocalRun {
  const labels = { ...run.result.labels, servers: "1", slo: sloLabel(sloOfConfig(config)), ...pricing };
  // Marked in results.json too, so no report made from it later gives a verdict.
  return { ...run, result: { ...run.result, labels, ...(run.interrupted ? { interrupted: true } : {}) } };
}

/**
 * Why a finished run fails the command: a failure of its own (e.g. a GPU stack served by CPU), or a load test that
 * missed the stack's SLO or error budget (as k6 fails on its thresholds). A capacity search is judged by its own
 * steps, and an interrupted run gives no verdict.
 */
function failureOf(run: LocalRun, config: FleetConfig): string | undefined {
  if (run.failure) return run.failure;
  if (run.interrupted || run.result.capacity) return undefined;
  return sloMiss(run.result, sloOfConfig(config)) ?? (run.sloBreachReported ? "k6 reported a failed threshold (exit code 99)." : undefined);
}

/**
 * Each stack's capacity-search settings (undefined: its configured load test), refusing flags that do not go together.
 * Checked before anything starts, like the configs.
 */
function capacitiesToRun(options: LocalCommandOptions, configs: FleetConfig[], generator: GeneratorChoice): (CapacitySettings | undefined)[] {
  if (!options.capacity && (options.budget !== undefined || options.precision !== undefined) && !configs.every((c) => c.loadTest.mode === "capacity")) {
    throw new UsageError("--budget and --precision apply to the capacity search: add --capacity.");
  }
  const capacities = configs.map((config) =>
    options.capacity || config.loadTest.mode === "capacity" ? capacitySettings(config, { budget: options.budget, precision: options.precision }) : undefined,
  );
  if (generator === "k6" && capacities.some(Boolean)) {
    throw new UsageError("The capacity search runs with the built-in generator locally (the k6 staircase runs in the cluster): drop --generator k6.");
  }
  if (options.autoscale && (options.capacity || configs.some((c) => c.loadTest.mode === "capacity"))) {
    throw new UsageError("--autoscale runs the stack's ramp over servers that come and go; a capacity search needs a fixed fleet: drop one of them.");
  }
  if (options.autoscale && generator === "k6") throw new UsageError("--autoscale runs with the built-in generator: drop --generator k6.");
  return capacities;
}

/** The command line the report is titled with. */
function runTitle(options: LocalCommandOptions, stacks: string[]): string {
  const priced = [options.as && `--as ${options.as}`, options.usdPerHour && `--usd-per-hour ${options.usdPerHour}`].filter(Boolean).join(" ");
  return (
    (stacks.length === 1 ? `fleet local --stack ${stacks[0]}` : `fleet local --compare ${stacks.join(",")}`) +
    (options.capacity ? " --capacity" : "") +
    (options.autoscale ? " --autoscale" : "") +
    (priced ? ` ${priced}` : "")
  );
}

type FinishedRun = { run: LocalRun; slo: Slo; config: FleetConfig };

/** Writes the results and the report, logs where, and returns the lines of the runs that failed. */
function reportRuns(runs: FinishedRun[], options: LocalCommandOptions, stacks: string[], repoRoot: string, log: (line: string) => void): string[] {
  const name = stacks.length === 1 ? stacks[0]! : `compare-${stacks.join("-")}`;
  const dir = path.resolve(options.out ?? timestampedDir(path.join(repoRoot, "results"), name));
  const summary = writeLocalResults(dir, runs, runTitle(options, stacks));
  log(`\n${summary}\nWritten: ${path.relative(process.cwd(), dir) || dir}/ (results${stacks.length === 1 ? "" : "-<stack>"}.json, summary.md, report.html)`);
  return runs.flatMap(({ run, config }) => {
    const failure = failureOf(run, config);
    return failure ? [`[${run.stack}] ${failure}`] : [];
  });
}

/** Runs `fleet local`; returns the exit code: 0, 1 when a run missed its SLO or failed, or 130 when Ctrl-C stopped it (partial results are still written). */
export async function localMain(options: LocalCommandOptions, deps: LocalMainDependencies = {}): Promise<number> {
  const stacks = stacksToRun(options);
  const generator = (options.generator ?? "auto") as GeneratorChoice;
  if (!GENERATORS.includes(generator)) throw new UsageError(`--generator must be one of ${GENERATORS.join(", ")}, got "${options.generator}".`);
  const stacksDir = defaultStacksDir();
  const repoRoot = path.dirname(stacksDir);
  // Every config is checked before anything starts, so a typo in the last stack does not waste the first run.
  const configs: FleetConfig[] = stacks.map((stack) => loadStackConfig(stack, { stacksDir }));
  const capacities = capacitiesToRun(options, configs, generator);
  const pricing = priceLabelsFrom({ as: options.as, "usd-per-hour": options.usdPerHour });
  const log = deps.log ?? ((line: string) => console.log(line));

  const abort = watchCtrlC("\nCtrl-C: stopping the load test and the servers; results so far will be written.", log, deps.interrupt);
  const runs: FinishedRun[] = [];
  try {
    for (const [index, config] of configs.entries()) {
      if (abort.signal.aborted) break;
      try {
        const capacity = capacities[index];
        const run = await runLocalStack(config, {
          repoRoot,
          generator,
          signal: abort.signal,
          log,
          launch: deps.launch,
          ...(capacity ? { capacity } : {}),
          ...(options.autoscale ? { autoscale: true } : {}),
        });
        runs.push({ run: withReportLabels(run, config, pricing), slo: sloOfConfig(config), config });
      } catch (error) {
        // Ctrl-C during model generation or server start-up: nothing measured for this stack.
        if (!abort.signal.aborted) throw error;
      }
    }
  } finally {
    abort.stop();
  }
  if (runs.length === 0) {
    log("Interrupted before any load test finished; nothing was written.");
    return 130;
  }
  const failures = reportRuns(runs, options, stacks, repoRoot, log);
  for (const failure of failures) log(`\nFAILED: ${failure}`);
  return abort.signal.aborted ? 130 : failures.length > 0 ? 1 : 0;
}
