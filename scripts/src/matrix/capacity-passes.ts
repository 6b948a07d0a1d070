// The capacity search in the cluster, as passes of the load-test Job. k6 cannot change its rate while
// it runs and its VUs cannot read metrics, so the search adapts between runs: the first Job runs the
// doubling staircase (each pod stops after the first step that breaks the SLO), then each refine pass
// is the same Job again with loadTest.capacity.rates set (a FLEET_* override of one `pulumi up`: only
// the Job and its ConfigMap change, the fleet stays up), rates planned by planStaircase from the
// merged steps so far. Running the Job again costs an up and a pod start, but it brackets the capacity
// to the precision; a single script with refine stages planned in advance between every pair of
// steps would spend the budget on brackets the search never needs.
import { envNameFor, type FleetConfig } from "@inference-fleet/fleet-config";
import {
  capacityFromSteps,
  mergeResults,
  nextConfirmation,
  planStaircase,
  searchCeiling,
  staircaseOptionsOf,
  type CapacityStep,
  type LoadTestResult,
  type SearchEnd,
} from "@inference-fleet/load-test";

/** Refine passes after the staircase, at most: each costs a `pulumi up` and a k6 pod start. */
export const MAX_REFINE_PASSES = 3;
/**
 * Rates per refine pass: a pass of 4 narrows the bracket 5-fold (a bisection only 2-fold) and stops
 * after the first rate that breaks, so two passes take a doubling's bracket to 5% in about six steps.
 */
const REFINE_STEPS_PER_PASS = 4;

/** The override that makes the next up's Job offer `rates`. */
export function refineEnv(rates: readonly number[]): Record<string, string> {
  return { [envNameFor("loadTest.capacity.rates")]: JSON.stringify(rates) };
}

/** The override that makes the next up's Job hold `rate` for the confirmation's sustained window. */
function confirmEnv(config: FleetConfig, rate: number): Record<string, string> {
  return { ...refineEnv([rate]), [envNameFor("loadTest.capacity.stepSeconds")]: String(config.loadTest.capacity.confirmSeconds) };
}

/** One run of the load-test Job with these overrides: up, wait, collect; the pods' results. */
export type RunPass = (env: Record<string, string>) => Promise<LoadTestResult[]>;

export interface CapacityPasses {
  /** Every pod's result of every pass, the confirmation's holds under capacity.confirmations. */
  readonly results: LoadTestResult[];
  /** The overrides of the last pass (empty when only the staircase ran). */
  readonly lastEnv: Record<string, string>;
  readonly passes: number;
}

/** A pass's results with each step numbered as the how-manyth measurement of its rate, so a break measured again stays apart from the first. */
function numbered(pass: readonly LoadTestResult[], before: readonly CapacityStep[]): LoadTestResult[] {
  const attempt = (rate: number) => before.filter((s) => s.offeredRate === rate).length + 1;
  return pass.map((r) => (r.capacity ? { ...r, capacity: { ...r.capacity, steps: r.capacity.steps.map((s) => withAttempt(s, attempt(s.offeredRate))) } } : r));
}

function withAttempt(step: CapacityStep, attempt: number): CapacityStep {
  return attempt > 1 ? { ...step, attempt } : step;
}

/** A confirmation pass's results: its one step is a hold of the confirmation, not a step of the search. */
function asHolds(pass: readonly LoadTestResult[], attempt: number): LoadTestResult[] {
  return pass.map((r) =>
    r.capacity ? { ...r, capacity: { ...r.capacity, steps: [], confirmations: r.capacity.steps.map((s) => withAttempt(s, attempt)) } } : r,
  );
}

/**
 * Runs refine passes after the staircase's results `first` until the planner is done or `maxPasses` refine
 * passes ran, then the confirmation: a pass holding the rate found for loadTest.capacity.confirmSeconds,
 * stepping down while it breaks (nextConfirmation, as the local search does), unless `confirm` is false
 * (`fleet matrix --tune` compares candidates by the search alone).
 */
export async function refineCapacity(
  config: FleetConfig,
  first: readonly LoadTestResult[],
  runPass: RunPass,
  say: (line: string) => void,
  maxPasses = MAX_REFINE_PASSES,
  confirm = true,
): Promise<CapacityPasses> {
  let results = numbered(first, []);
  let lastEnv: Record<string, string> = {};
  let endedBy: SearchEnd = "slo";
  let pass = 1;
  for (; ; pass++) {
    const steps = mergeResults(results).capacity?.steps ?? [];
    const plan = planStaircase(steps, { ...staircaseOptionsOf(config), maxSteps: REFINE_STEPS_PER_PASS });
    if (plan.kind === "done") {
      endedBy = plan.endedBy;
      say(`capacity search done after ${pass} pass(es), ${steps.length} steps: ${plan.reason}`);
      if (endedBy === "budget") say("the time budget, not the SLO, ended the search: the capacity may be higher than found (raise loadTest.capacity.budget).");
      break;
    }
    if (pass > maxPasses) {
      endedBy = "budget";
      say(`capacity search stopped after ${pass} passes (at most ${maxPasses} refine passes); next would have been ${plan.rates.join(", ")} req/s`);
      break;
    }
    say(`capacity pass ${pass + 1} (${plan.phase}): ${plan.rates.join(", ")} req/s`);
    lastEnv = refineEnv(plan.rates);
    results = [...results, ...numbered(await runPass(lastEnv), steps)];
  }
  const merged = mergeResults(results).capacity!;
  const slo = merged.slo;
  const { capacityAtSlo: found, ...search } = capacityFromSteps(merged.steps, slo);
  const holds: CapacityStep[] = [];
  while (confirm) {
    const next = nextConfirmation(found, holds, slo, {
      stepDown: config.loadTest.capacity.stepDown,
      maxAttempts: config.loadTest.capacity.confirmAttempts,
      ...searchCeiling(search),
    });
    if (next.kind === "done") {
      say(`confirmation done: ${next.reason}`);
      break;
    }
    say(`confirming ${next.rate} req/s: holding it for ${config.loadTest.capacity.confirmSeconds} s`);
    lastEnv = confirmEnv(config, next.rate);
    const pass = asHolds(await runPass(lastEnv), holds.length + 1);
    results = [...results, ...pass];
    holds.push(...(mergeResults(pass).capacity?.confirmations ?? []));
  }
  const withEnd = results.map((r) => (r.capacity ? { ...r, capacity: { ...r.capacity, endedBy } } : r));
  return { results: withEnd, lastEnv, passes: pass + holds.length };
}
