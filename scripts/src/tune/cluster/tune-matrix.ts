// `fleet matrix --tune` for each stack: bring the stack up with its shipped settings, run `fleet tune`'s
// search with the cluster evaluator (the fleet redeployed per candidate, see cluster-evaluator.ts), write
// the winner as Pulumi.<stack>-tuned.yaml, then destroy the stack (or, with --keep, leave it).
import type { FleetConfig } from "@inference-fleet/fleet-config";
import { shippedCandidate } from "../candidate.js";
import { fidelities, runTuneSearch, type TuneOutcome } from "../search.js";
import { renderRankedTable } from "../tune-table.js";
import { writeTunedOutcome } from "../tuned-header.js";
import { mapWithConcurrency } from "../../matrix/concurrency.js";
import { deploy, destroy } from "../../matrix/stack-operations.js";
import { candidateEnvironment, clusterEvaluator, ROLLOUT_SECONDS, type ClusterEvaluatorDependencies } from "./cluster-evaluator.js";

/** k6 capacity steps in the cluster: long enough for a rollout's cold caches and k6's own ramp to be a small part. */
const CLUSTER_STEP_SECONDS = 20;

export interface TuneMatrixOptions {
  readonly stacks: readonly string[];
  /** Per stack: the search's time budget once the stack is up (bring-up is not part of it). */
  readonly budgetSeconds: number;
  readonly parallel?: number;
  readonly keep?: boolean;
  /** Where Pulumi.<stack>-tuned.yaml is written. */
  readonly stacksDir: string;
  readonly signal?: AbortSignal;
}

export interface TuneMatrixDependencies extends ClusterEvaluatorDependencies {
  readonly loadConfig: (stack: string) => FleetConfig;
}

export type StackTune =
  | { readonly stack: string; readonly status: "tuned"; readonly outcome: TuneOutcome; readonly file?: string; readonly destroyError?: string }
  | { readonly stack: string; readonly status: "failed"; readonly reason: string; readonly destroyError?: string };

async function tuneStack(deps: TuneMatrixDependencies, stack: string, config: FleetConfig, options: TuneMatrixOptions): Promise<StackTune> {
  const say = (line: string) => deps.log(`[${stack}] ${line}`);
  let run: StackTune;
  try {
    // Bring-up (cluster, nodes, add-ons: many minutes) is not a candidate's cost: done once, outside the budget, with
    // the shipped settings at the coarse rung. Its k6 Job is replaced by the first candidate's up (the Job's name
    // hashes loadTest, and the first measurement's budget differs), so its load is not counted anywhere.
    const coarse = fidelities(CLUSTER_STEP_SECONDS, config.loadTest.capacity.precision).coarse;
    say(`pulumi up: bringing the stack up with its shipped settings (not counted in the ${options.budgetSeconds} s budget)`);
    const env = candidateEnvironment(config, shippedCandidate(config), coarse, { budgetSeconds: options.budgetSeconds });
    await deploy(deps.workspace, stack, () => {}, options.signal, env);
    say(`tuning on ${config.cluster.fleetNodes} x ${config.instanceType}: each candidate is this fleet redeployed with its settings and a k6 capacity Job`);
    const outcome = await runTuneSearch(config, { kind: "cluster" }, clusterEvaluator(stack, config, deps), {
      budgetSeconds: options.budgetSeconds,
      finalPrecision: config.loadTest.capacity.precision,
      overheadSeconds: ROLLOUT_SECONDS,
      stepSeconds: CLUSTER_STEP_SECONDS,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(deps.now ? { now: deps.now } : {}),
      say,
    });
    deps.log(`\n[${stack}] ranked:\n${renderRankedTable(outcome, config.loadTest.slo.percentile)}\n[${stack}] ${outcome.verdict}`);
    const written = writeTunedOutcome(options.stacksDir, config, outcome, {
      command: `fleet matrix --tune --stacks ${stack} --tune-budget ${Math.round(options.budgetSeconds / 60)}m`,
      where: `${config.cluster.fleetNodes} x ${config.instanceType} in the stack's own cluster`,
      caveat: "Tuned on the cluster's nodes with k6 in the cluster: the figures are the instance type's, not a laptop's.",
    });
    if (written) say(`written ${written.file}: ${written.changes.join(", ")}`);
    run = { stack, status: "tuned", outcome, ...(written ? { file: written.file } : {}) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    say(`tuning failed: ${reason}`);
    run = { stack, status: "failed", reason };
  }
  if (options.keep) {
    say(`kept (--keep) with the last candidate deployed: run \`pulumi up --stack ${stack}\` to restore its shipped settings, \`pulumi destroy\` when done.`);
    return run;
  }
  try {
    say("pulumi destroy");
    await destroy(deps.workspace, stack, deps.log);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const destroyError = `destroy failed, resources are still up: ${reason} Run \`pulumi destroy --stack ${stack}\`.`;
    say(destroyError);
    return { ...run, destroyError };
  }
  return run;
}

/** Tunes every stack (bounded by `parallel`), each in its own cluster; one record per stack, in the order given. */
export async function runTuneMatrix(deps: TuneMatrixDependencies, options: TuneMatrixOptions): Promise<StackTune[]> {
  const configs = options.stacks.map((stack) => deps.loadConfig(stack));
  return mapWithConcurrency(options.stacks, options.parallel ?? 1, (stack, index) => tuneStack(deps, stack, configs[index]!, options));
}
