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
import { applyEnvOverrides, envNameFor, parseFleetConfig, type FleetConfig } from "@inference-fleet/fleet-config";
import { capacityFromSteps, mergeSteps, sloOfConfig, type CapacityVerdict, type LoadTestResult } from "@inference-fleet/load-test";
import { fieldValues, type TuneCandidate } from "../candidate.js";
import { measurementOf, START_SHARE, type Evaluator, type Fidelity } from "../search.js";
import { runLoadTestPasses, type JobDependencies } from "../../matrix/run-matrix.js";

/** The capacity at the SLO from the result files of a k6 capacity search (one per pod and pass): their steps merged exactly, then the one capacity function. */
export function capacityOfPodResults(results: readonly LoadTestResult[], config: FleetConfig): CapacityVerdict {
  const steps = results.flatMap((result) => result.capacity?.steps ?? []);
  if (steps.length === 0) {
    throw new Error("The load-test Job wrote no capacity steps: its results have no `capacity` (loadTest.mode must be capacity for a tuning run).");
  }
  return capacityFromSteps(mergeSteps(steps), sloOfConfig(config));
}

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

export interface ClusterEvaluatorDependencies extends JobDependencies {
  readonly now?: () => number;
}

/** Seconds a rollout is given before the Job's own budget: image pulls, readiness, the Job's start. */
export const ROLLOUT_SECONDS = 180;

/**
 * The evaluator for a stack's cluster: `pulumi up` with the candidate's overrides, wait for its k6 capacity Job
 * and collect (`fleet matrix`'s runLoadTestPasses), and the capacity per node. The stack stays up between candidates.
 */
export function clusterEvaluator(stack: string, config: FleetConfig, deps: ClusterEvaluatorDependencies): Evaluator {
  const now = deps.now ?? Date.now;
  return async (candidate, fidelity, { budgetSeconds, hint, signal }) => {
    const startedAt = now();
    const seconds = () => (now() - startedAt) / 1000;
    const env = candidateEnvironment(config, candidate, fidelity, { budgetSeconds: Math.max(1, budgetSeconds - ROLLOUT_SECONDS), hint });
    // The config the program sees with these overrides (mode capacity: an exit 99 ends the staircase, it is no failure).
    const candidateConfig = parseFleetConfig(applyEnvOverrides(config as unknown as Record<string, unknown>, env));
    try {
      // The staircase pass only: a refine or confirmation pass costs an up and a pod start that the candidate's budget does not plan for.
      const options = { waitTimeoutMs: Math.max(1000, budgetSeconds * 1000 - (now() - startedAt)), signal, maxRefinePasses: 0, confirm: false };
      const { results } = await runLoadTestPasses(deps, stack, candidateConfig, options, env);
      return measurementOf(capacityOfPodResults(results, config), config.cluster.fleetNodes, seconds());
    } catch (error) {
      if (signal?.aborted) throw error;
      return { capacity: 0, steps: 0, seconds: seconds(), note: (error as Error).message };
    }
  };
}
