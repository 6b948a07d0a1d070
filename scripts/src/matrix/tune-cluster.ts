// `fleet matrix --tune`: `fleet tune`'s search on a stack's own cluster nodes. Each candidate is the
// same stack redeployed with the candidate's server settings (FLEET_* overrides of this `pulumi up`
// only), which rolls the server Deployment and starts a new k6 capacity Job (its name hashes the
// server settings); the capacity comes from that Job's per-step histograms.
//
// Why one fleet redeployed per candidate rather than several candidate Deployments side by side:
// the candidates differ in servers per node and CPU per pod, and capacity per node is only what it
// says when a candidate has the node to itself. Side by side, candidates would share nodes (and
// their CPU caches, memory bandwidth and network), or need a node group each, which multiplies the
// bill by the number of candidates. Redeploying keeps the cluster and its nodes (only the Deployment
// rolls, a minute or two), so the search costs one fleet's nodes for its budget.
import { envNameFor, type FleetConfig } from "@inference-fleet/fleet-config";
import { capacityFromSteps, mergeSteps, sloOfConfig, type CapacityVerdict, type LoadTestResult } from "@inference-fleet/load-test";
import { linePrefixer } from "../line-prefixer.js";
import { fieldValues, type TuneCandidate } from "../tune/candidate.js";
import type { Evaluator, Fidelity } from "../tune/search.js";
import type { JobWatcher } from "./job-watcher.js";
import type { ResultsCollector } from "./results-collector.js";
import { readLoadTestLocation } from "./stack-outputs.js";
import type { MatrixWorkspace } from "./workspace.js";

/** The k6 capacity search starts this far under the best capacity seen so far, as the local one does. */
const START_SHARE = 0.75;

/**
 * The capacity at the SLO from the result files of one k6 capacity Job (one per pod): the pods' steps
 * merged exactly, then the one capacity function. Injectable: the k6 staircase's own reader plugs in here.
 */
export type CapacityReader = (results: readonly LoadTestResult[], config: FleetConfig) => CapacityVerdict;

export const capacityOfPodResults: CapacityReader = (results, config) => {
  const steps = results.flatMap((result) => result.capacity?.steps ?? []);
  if (steps.length === 0) {
    throw new Error("The load-test Job wrote no capacity steps: its results have no `capacity` (loadTest.mode must be capacity for a tuning run).");
  }
  return capacityFromSteps(mergeSteps(steps), sloOfConfig(config));
};

/** The FLEET_* overrides that turn the stack into one candidate measured at one fidelity: the server settings and a k6 capacity search. */
export function candidateEnvironment(
  config: FleetConfig,
  candidate: TuneCandidate,
  fidelity: Fidelity,
  search: { readonly budgetSeconds: number; readonly hint?: number },
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [field, value] of Object.entries(fieldValues(config, candidate))) {
    if (value !== undefined) env[envNameFor(`server.${field}`)] = JSON.stringify(value);
  }
  env[envNameFor("loadTest.mode")] = "capacity";
  env[envNameFor("loadTest.capacity.precision")] = String(fidelity.precision);
  env[envNameFor("loadTest.capacity.stepSeconds")] = String(fidelity.stepSeconds);
  env[envNameFor("loadTest.capacity.warmupSeconds")] = String(fidelity.warmupSeconds);
  env[envNameFor("loadTest.capacity.budget")] = String(Math.max(1, Math.floor(search.budgetSeconds)));
  // The hint is per node; the Job offers the whole fleet's rate.
  if (search.hint) env[envNameFor("loadTest.capacity.startRate")] = String(Math.max(1, Math.round(search.hint * START_SHARE * config.cluster.fleetNodes)));
  return env;
}

export interface ClusterEvaluatorDependencies {
  readonly workspace: MatrixWorkspace;
  readonly jobWatcher: JobWatcher;
  readonly collector: ResultsCollector;
  readonly log: (line: string) => void;
  readonly readCapacity?: CapacityReader;
  readonly now?: () => number;
}

/** Seconds a rollout is given before the Job's own budget: image pulls, readiness, the Job's start. */
export const ROLLOUT_SECONDS = 180;

/**
 * The evaluator for a stack's cluster: `pulumi up` with the candidate's overrides, wait for its k6
 * capacity Job, collect and read the capacity per node. The stack stays up between candidates.
 */
export function clusterEvaluator(stack: string, config: FleetConfig, deps: ClusterEvaluatorDependencies): Evaluator {
  const now = deps.now ?? Date.now;
  const readCapacity = deps.readCapacity ?? capacityOfPodResults;
  return async (candidate, fidelity, { budgetSeconds, hint, signal }) => {
    const startedAt = now();
    const seconds = () => (now() - startedAt) / 1000;
    const env = candidateEnvironment(config, candidate, fidelity, { budgetSeconds: Math.max(1, budgetSeconds - ROLLOUT_SECONDS), hint });
    const output = linePrefixer(stack, deps.log);
    try {
      const outputs = await (await deps.workspace.selectStack(stack, env)).up(output.write, signal);
      const location = readLoadTestLocation(stack, outputs);
      const left = budgetSeconds * 1000 - (now() - startedAt);
      const outcome = await deps.jobWatcher.waitForJob(location, { timeoutMs: Math.max(1000, left), signal });
      if (outcome.status === "failed") return { capacity: 0, steps: 0, seconds: seconds(), note: outcome.reason };
      const verdict = readCapacity(await deps.collector.collect(location.resultsUri), config);
      const percentile = config.loadTest.slo.percentile;
      const at = verdict.atCapacity?.latencyMs[percentile as keyof NonNullable<CapacityVerdict["atCapacity"]>["latencyMs"]];
      return {
        capacity: verdict.capacityAtSlo / config.cluster.fleetNodes,
        ...(at !== undefined ? { percentileMs: at } : {}),
        steps: verdict.curve.length,
        seconds: seconds(),
      };
    } catch (error) {
      if (signal?.aborted) throw error;
      return { capacity: 0, steps: 0, seconds: seconds(), note: (error as Error).message };
    } finally {
      output.flush();
    }
  };
}
