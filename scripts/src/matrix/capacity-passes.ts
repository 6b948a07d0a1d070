// The capacity search in the cluster, as passes of the load-test Job. k6 cannot change its rate while
// it runs and its VUs cannot read metrics, so the search adapts between runs: the first Job runs the
// doubling staircase (each pod stops after the first step that breaks the SLO), then each refine pass
// is the same Job again with loadTest.capacity.rates set (a FLEET_* override of one `pulumi up`: only
// the Job and its ConfigMap change, the fleet stays up), rates planned by planStaircase from the
// merged steps so far. Running the Job again costs an up and a pod start, but it brackets the capacity
// to the precision; a single script with refine stages planned in advance between every pair of
// steps would spend the budget on brackets the search never needs.
import { envNameFor, type FleetConfig } from "@inference-fleet/fleet-config";
import { mergeResults, planStaircase, staircaseOptionsOf, type LoadTestResult } from "@inference-fleet/load-test";

/** Refine passes after the staircase, at most: each costs a `pulumi up` and a k6 pod start. */
export const MAX_REFINE_PASSES = 3;
/**
 * Rates per refine pass: a pass of 4 narrows the bracket 5-fold (a bisection only 2-fold) and stops
 * after the first rate that breaks, so two passes take a doubling's bracket to 5% in about six steps.
 */
export const REFINE_STEPS_PER_PASS = 4;

/** The override that makes the next up's Job offer `rates`. */
export function refineEnv(rates: readonly number[]): Record<string, string> {
  return { [envNameFor("loadTest.capacity.rates")]: JSON.stringify(rates) };
}

/** One run of the load-test Job with these overrides: up, wait, collect; the pods' results. */
export type RunPass = (env: Record<string, string>) => Promise<LoadTestResult[]>;

export interface CapacityPasses {
  /** Every pod's result of every pass. */
  readonly results: LoadTestResult[];
  /** The overrides of the last pass (empty when only the staircase ran). */
  readonly lastEnv: Record<string, string>;
  readonly passes: number;
}

/** Runs refine passes after the staircase's results `first` until the planner is done or `maxPasses` refine passes ran. */
export async function refineCapacity(
  config: FleetConfig,
  first: readonly LoadTestResult[],
  runPass: RunPass,
  say: (line: string) => void,
  maxPasses = MAX_REFINE_PASSES,
): Promise<CapacityPasses> {
  const results = [...first];
  let lastEnv: Record<string, string> = {};
  for (let pass = 1; ; pass++) {
    const steps = mergeResults(results).capacity?.steps ?? [];
    const plan = planStaircase(steps, { ...staircaseOptionsOf(config), maxSteps: REFINE_STEPS_PER_PASS });
    if (plan.kind === "done") {
      say(`capacity search done after ${pass} pass(es), ${steps.length} steps: ${plan.reason}`);
      return { results, lastEnv, passes: pass };
    }
    if (pass > maxPasses) {
      say(`capacity search stopped after ${pass} passes (at most ${maxPasses} refine passes); next would have been ${plan.rates.join(", ")} req/s`);
      return { results, lastEnv, passes: pass };
    }
    say(`capacity pass ${pass + 1} (${plan.phase}): ${plan.rates.join(", ")} req/s`);
    lastEnv = refineEnv(plan.rates);
    results.push(...(await runPass(lastEnv)));
  }
}
