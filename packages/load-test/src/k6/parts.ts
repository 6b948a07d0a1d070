// Where the time goes, in k6: each measured sample carries the index of its target and its model as
// tags, and handleSummary reads each one's counters from tagged submetrics, which k6 summarises only
// when a threshold names them (so each gets one that always passes). A staircase keeps them per rate
// (tag `rate`): a step's parts then add up to the step's own counts, and the step at the capacity
// leads the result with them, as its totals do. Pure, so vitest checks it without k6.
import type { ResultPart } from "../results.js";
import type { Thresholds } from "../thresholds.js";
import { countsFromCounters, type K6SummaryMetrics } from "./counters.js";
import { countedMetricNames, MODEL_TAG, submetric, TARGET_TAG } from "./metrics.js";
import { RATE_TAG, STEP_TAG, type K6Staircase } from "./staircase.js";

type Tags = Readonly<Record<string, string>>;

/** What the parts depend on: the targets and models from the env, and a staircase's steps. */
export interface K6PartsPlan {
  readonly targets: readonly string[];
  readonly models: readonly string[];
  readonly staircase?: K6Staircase;
}

/** The tags that select one target's or one model's samples (of one rate, in a staircase). */
function selector(tag: string, index: number, rate?: number): Record<string, number> {
  return rate === undefined ? { [tag]: index } : { [RATE_TAG]: rate, [tag]: index };
}

/** The rates of a staircase by index (each once), or one undefined: the whole run. */
function ratesOf(plan: K6PartsPlan): (number | undefined)[] {
  return plan.staircase ? [...new Set(plan.staircase.steps.map((step) => step.rateIndex))] : [undefined];
}

/**
 * (part, rate) pairs a run keeps counts for at most. Each costs 725 thresholds and a submetric that k6 matches
 * every sample of its metric against, in a k6 pod (1 CPU, 1 GiB) that also sends the load: 40 add about as many
 * as a staircase of 40 windows has of its own. Refine passes (4 rates) and confirmation holds (1 rate) of a
 * 5-server, 4-model stack fit; the first doubling staircase, which plans up to 14 rates and runs few (each pod
 * stops after the first that breaks), keeps none beside 5 servers.
 */
export const MAX_PART_RATES = 40;

/** Which parts a run keeps: per target when targets x rates fit MAX_PART_RATES, per model when they fit beside them. */
export function keptParts(plan: K6PartsPlan): { targets: boolean; models: boolean } {
  const rates = ratesOf(plan).length;
  const targets = plan.targets.length * rates <= MAX_PART_RATES;
  const models = ((targets ? plan.targets.length : 0) + plan.models.length) * rates <= MAX_PART_RATES;
  return { targets, models };
}

/** A `count>=0` threshold on every counted metric's submetric per target and per model kept (per rate in a staircase). */
export function partThresholds(plan: K6PartsPlan): Thresholds {
  const kept = keptParts(plan);
  const metrics = countedMetricNames();
  const thresholds: Thresholds = {};
  for (const rate of ratesOf(plan)) {
    const parts = [
      ...(kept.targets ? plan.targets.map((_, i) => selector(TARGET_TAG, i, rate)) : []),
      ...(kept.models ? plan.models.map((_, i) => selector(MODEL_TAG, i, rate)) : []),
    ];
    for (const tags of parts) for (const metric of metrics) thresholds[submetric(metric, tags)] = ["count>=0"];
  }
  return thresholds;
}

function partsFromK6Summary(data: K6SummaryMetrics, names: readonly string[], tag: string, rate?: number): ResultPart[] {
  return names.map((name, i) => ({ name, ...countsFromCounters(data, (metric) => submetric(metric, selector(tag, i, rate))) }));
}

/** The counts per target (by URL) and per model (by name) kept, from their submetrics: of the whole run, or of the staircase rate `rate`. */
export function partsOfK6Summary(data: K6SummaryMetrics, plan: K6PartsPlan, rate?: number): { byTarget?: ResultPart[]; byModel?: ResultPart[] } {
  const kept = keptParts(plan);
  return {
    ...(kept.targets ? { byTarget: partsFromK6Summary(data, plan.targets, TARGET_TAG, rate) } : {}),
    ...(kept.models ? { byModel: partsFromK6Summary(data, plan.models, MODEL_TAG, rate) } : {}),
  };
}

/**
 * The tags of a measured sample by its scenario, target and model, built once at init so the hot path
 * allocates nothing: target and model always, and in a staircase the step and rate of the scenario.
 */
export function sampleTagsOf(plan: K6PartsPlan): (scenario: string, target: number, model: number) => Tags {
  const table = (extra: Tags): Tags[][] =>
    plan.targets.map((_, t) => plan.models.map((_, m) => ({ ...extra, [TARGET_TAG]: String(t), [MODEL_TAG]: String(m) })));
  const plain = table({});
  const byScenario = new Map(
    (plan.staircase?.steps ?? []).map((step) => [step.scenario, table({ [STEP_TAG]: String(step.index), [RATE_TAG]: String(step.rateIndex) })]),
  );
  return (scenario, target, model) => (byScenario.get(scenario) ?? plain)[target]![model]!;
}
