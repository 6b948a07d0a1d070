// The benchmark matrix: per stack up, wait for the load test, collect and merge results, destroy; stacks in parallel up to a bound.
import { envNameFor, sloLabel, type FleetConfig } from "@inference-fleet/fleet-config";
import { mergeResults, sloOfConfig, type LoadTestResult } from "@inference-fleet/load-test";
import { acceleratorFallback } from "../shared/accelerator-check.js";
import { summarizeStack, type StackSummary } from "./comparison.js";
import { mapWithConcurrency } from "./concurrency.js";
import { refineCapacity } from "./capacity-passes.js";
import type { JobWatcher } from "./job-watcher.js";
import type { ResultsCollector } from "./results-collector.js";
import { deploy, destroy, preview, scaleToIdle, type LineLog } from "./stack-operations.js";
import { readLoadTestLocation } from "./stack-outputs.js";
import type { ChangeSummary, MatrixWorkspace } from "./workspace.js";

export interface MatrixDependencies {
  readonly workspace: MatrixWorkspace;
  readonly jobWatcher: JobWatcher;
  readonly collector: ResultsCollector;
  /** The stack's fleet config (stacks/Pulumi.<stack>.yaml): instance type, node count, SLO. */
  readonly loadConfig: (stack: string) => FleetConfig;
  readonly log: LineLog;
}

export interface MatrixOptions {
  readonly stacks: readonly string[];
  /** Leave the stacks up after the run (for debugging); they keep costing money. */
  readonly keep?: boolean;
  /** Only preview each stack: nothing is created. */
  readonly previewOnly?: boolean;
  /** Stacks deployed at the same time. */
  readonly parallel?: number;
  /** Per stack, how long the load-test Job may take once the stack is up. */
  readonly waitTimeoutMs: number;
  /** Stops new work (up, waiting); stacks already created are still destroyed. */
  readonly signal?: AbortSignal;
}

type MatrixStep = "preview" | "up" | "wait" | "collect" | "destroy";

export type StackRun =
  | { readonly stack: string; readonly status: "previewed"; readonly changes: ChangeSummary }
  | {
      readonly stack: string;
      readonly status: "measured";
      readonly merged: LoadTestResult;
      readonly summary: StackSummary;
      /** Set when destroy failed after a good measurement: resources are still up. */
      readonly destroyError?: string;
    }
  | { readonly stack: string; readonly status: "failed"; readonly step: MatrixStep; readonly reason: string; readonly destroyError?: string };

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function previewStack(deps: MatrixDependencies, stack: string, signal?: AbortSignal): Promise<StackRun> {
  try {
    return { stack, status: "previewed", changes: await preview(deps.workspace, stack, deps.log, signal) };
  } catch (error) {
    return { stack, status: "failed", step: "preview", reason: message(error) };
  }
}

/**
 * --keep: the stack stays, scaled to zero fleet nodes (servers at 0 replicas, the autoscaler removes the
 * nodes), so it costs only the control plane, NAT and system nodes; the next run's `pulumi up` (without
 * the override) scales it up again.
 */
async function keepIdle(deps: MatrixDependencies, stack: string, config: FleetConfig, run: StackRun, lastEnv: Record<string, string>): Promise<StackRun> {
  const say = (line: string) => deps.log(`[${stack}] ${line}`);
  if (!config.cluster.autoscaler || config.cluster.existing) {
    say(`kept (--keep) with its fleet nodes running (no cluster.autoscaler): run \`pulumi destroy --stack ${stack}\` when done, it costs money while up.`);
    return run;
  }
  try {
    say("kept (--keep): scaling the fleet to zero (cluster.idle); the next run scales it up again");
    await scaleToIdle(deps.workspace, stack, deps.log, lastEnv);
    say(`idle: only the control plane, NAT and system nodes cost money now; \`pulumi destroy --stack ${stack}\` removes the rest.`);
  } catch (error) {
    say(
      `scaling to zero failed, the fleet nodes still run: ${message(error)} ` +
        `Run \`pulumi destroy --stack ${stack}\` or retry with ${envNameFor("cluster.idle")}=true pulumi up.`,
    );
  }
  return run;
}

/** The stack's own failure at a step, so the matrix can say where the run stopped. */
class StepFailure extends Error {
  constructor(
    readonly step: MatrixStep,
    cause: unknown,
  ) {
    super(message(cause));
  }
}

/** What running the load-test Job needs: a `fleet matrix` run's or a `fleet matrix --tune` candidate's. */
export type JobDependencies = Pick<MatrixDependencies, "workspace" | "jobWatcher" | "collector" | "log">;
export type JobOptions = Pick<MatrixOptions, "waitTimeoutMs" | "signal"> & {
  /** A capacity search's refine passes after the staircase, at most (default MAX_REFINE_PASSES). */
  readonly maxRefinePasses?: number;
  /** false: no confirmation pass after the search (`fleet matrix --tune`'s candidates). */
  readonly confirm?: boolean;
};

/**
 * One run of the load-test Job: `pulumi up` (with `env`, FLEET_* overrides of this up only), wait for
 * the Job, collect one result file per k6 pod. In a capacity search, k6 stopping at a step that broke
 * the SLO (exit 99) is how the staircase ends, not a breach to report.
 */
async function runLoadTestJob(
  deps: JobDependencies,
  stack: string,
  config: FleetConfig,
  options: JobOptions,
  env: Record<string, string>,
): Promise<{ results: LoadTestResult[]; sloBreach: boolean }> {
  const say = (line: string) => deps.log(`[${stack}] ${line}`);
  const capacity = config.loadTest.mode === "capacity";
  let step: MatrixStep = "up";
  try {
    options.signal?.throwIfAborted();
    const location = readLoadTestLocation(stack, await deploy(deps.workspace, stack, deps.log, options.signal, env));
    step = "wait";
    say(`waiting for load-test Job ${location.namespace}/${location.jobName} (timeout ${Math.round(options.waitTimeoutMs / 60_000)} min)`);
    const outcome = await deps.jobWatcher.waitForJob(location, { timeoutMs: options.waitTimeoutMs, signal: options.signal, onProgress: say });
    if (outcome.status === "failed") throw new Error(outcome.reason);
    if (outcome.status === "slo-breach") say(capacity ? "k6 stopped the staircase at a step that broke the SLO (how a capacity pass ends)" : outcome.reason);
    step = "collect";
    const results = await deps.collector.collect(location.resultsUri);
    if (results.length < config.loadTest.pods) {
      throw new Error(
        `${results.length} result file(s) under ${location.resultsUri} for ${config.loadTest.pods} k6 pods: a pod's results are missing (its upload failed ` +
          `or it never ran), ` +
          "so the merged figures would count only part of the load. Check the Job's pods with kubectl logs.",
      );
    }
    return { results, sloBreach: outcome.status === "slo-breach" && !capacity };
  } catch (error) {
    throw new StepFailure(step, error);
  }
}

/**
 * The load-test Job with `env`, and for a capacity search its refine passes (each with `env` too): every pod's
 * result of every pass, whether k6 reported an SLO breach, and the overrides of the last up.
 */
export async function runLoadTestPasses(
  deps: JobDependencies,
  stack: string,
  config: FleetConfig,
  options: JobOptions,
  env: Record<string, string> = {},
): Promise<{ results: LoadTestResult[]; sloBreach: boolean; lastEnv: Record<string, string> }> {
  const first = await runLoadTestJob(deps, stack, config, options, env);
  if (config.loadTest.mode !== "capacity") return { ...first, lastEnv: env };
  const runPass = async (pass: Record<string, string>) => (await runLoadTestJob(deps, stack, config, options, { ...env, ...pass })).results;
  const say = (line: string) => deps.log(`[${stack}] ${line}`);
  const passes = await refineCapacity(config, first.results, runPass, say, options.maxRefinePasses, options.confirm ?? true);
  return { results: passes.results, sloBreach: first.sloBreach, lastEnv: { ...env, ...passes.lastEnv } };
}

/** up -> wait -> collect (again for each refine pass of a capacity search), then destroy unless kept, whatever happened before. */
async function measureStack(deps: MatrixDependencies, stack: string, config: FleetConfig, options: MatrixOptions): Promise<StackRun> {
  const say = (line: string) => deps.log(`[${stack}] ${line}`);
  let run: StackRun;
  let lastEnv: Record<string, string> = {};
  try {
    say(`pulumi up (${config.server.numServers} servers x ${config.server.numModels} models on ${config.cluster.fleetNodes} x ${config.instanceType})`);
    const passes = await runLoadTestPasses(deps, stack, config, options);
    const { results } = passes;
    lastEnv = passes.lastEnv;
    // The labels name the run in the HTML report and price it there: servers = nodes billed.
    // The slo label lets report.html judge a plain (non-capacity) run against the stack's own SLO.
    const labels = { stack, instanceType: config.instanceType, servers: String(config.cluster.fleetNodes), slo: sloLabel(sloOfConfig(config)) };
    const merged = mergeResults(results.map((r) => ({ ...r, labels: { ...r.labels, ...labels } })));
    const fallback = acceleratorFallback(config, merged);
    if (fallback) throw new StepFailure("collect", fallback);
    const summary = summarizeStack(stack, config.instanceType, config.cluster.fleetNodes, merged, passes.sloBreach, sloOfConfig(config));
    say(
      `collected ${results.length} result file(s): ` +
        (summary.capacityAtSlo !== undefined ? `capacity ${summary.capacityAtSlo} req/s at the SLO, ` : `${summary.throughput.toFixed(1)} req/s, `) +
        `p90 ${summary.latencyMs.p90.toFixed(1)} ms`,
    );
    run = { stack, status: "measured", merged, summary };
  } catch (error) {
    const step = error instanceof StepFailure ? error.step : "collect";
    say(`${step} failed: ${message(error)}`);
    run = { stack, status: "failed", step, reason: message(error) };
  }
  if (options.keep) return keepIdle(deps, stack, config, run, lastEnv);
  try {
    say("pulumi destroy");
    await destroy(deps.workspace, stack, deps.log);
  } catch (error) {
    const destroyError = `destroy failed, resources are still up: ${message(error)} Run \`pulumi destroy --stack ${stack}\`.`;
    say(destroyError);
    return { ...run, destroyError };
  }
  return run;
}

/**
 * Runs every stack (bounded by `parallel`) and returns one record per stack, in the order given.
 * Every stack config is loaded first, so a bad one stops the matrix before anything is created.
 */
export async function runMatrix(deps: MatrixDependencies, options: MatrixOptions): Promise<StackRun[]> {
  const configs = options.stacks.map((stack) => deps.loadConfig(stack));
  return mapWithConcurrency(options.stacks, options.parallel ?? 1, (stack, index) =>
    options.previewOnly ? previewStack(deps, stack, options.signal) : measureStack(deps, stack, configs[index]!, options),
  );
}
