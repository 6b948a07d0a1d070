// The capacity search for generators that cannot adapt while they run (k6): each pass is a
// staircase of rates planned up front from the steps so far, with the same bracket, growth,
// precision and budget as the step-by-step planner. The first pass grows from the start rate; a
// later pass fills the bracket between the last rate that held and the first that broke with a
// geometric grid fine enough for the precision, so one pass lands where bisection would in several.
import { bracketOf } from "./bracket.js";
import { budgetReason, plannerSettings, roundRate, spentSeconds, type PlannerOptions, type SearchEnd } from "./planner.js";
import type { CapacityStep } from "./step.js";

export interface StaircaseOptions extends PlannerOptions {
  /** At most this many steps in the pass (default: as many as the budget leaves). */
  readonly maxSteps?: number;
}

export type StaircasePlan =
  | { readonly kind: "steps"; readonly rates: number[]; readonly phase: "grow" | "shrink" | "refine" }
  | { readonly kind: "done"; readonly reason: string; readonly endedBy: SearchEnd };

/** Distinct rates, rounded as the planner rounds them, in ascending order: a staircase climbs. */
function ascending(rates: number[], keep: (rate: number) => boolean = () => true): number[] {
  return [...new Set(rates.map(roundRate))].filter(keep).sort((a, b) => a - b);
}

/** `count` rates from `from` growing by `growth` each, stopping at `maxRate`. */
function growFrom(from: number, growth: number, count: number, maxRate: number): number[] {
  const rates: number[] = [];
  for (let i = 0, rate = from; i < count; i++, rate *= growth) {
    rates.push(Math.min(rate, maxRate));
    if (rate >= maxRate) break;
  }
  return rates;
}

/**
 * The next pass of a staircase search, ascending (so a pass that clearly breaks can stop there and
 * skip only rates that would break too), or "done" with the reason. A rate that broke once ends the
 * next pass, measured again (see bracketOf), unless a lower rate of that pass breaks first.
 */
export function planStaircase(steps: readonly CapacityStep[], options: StaircaseOptions): StaircasePlan {
  const { growth, precision, maxRate, minRate } = plannerSettings(options);
  const elapsed = spentSeconds(steps, options);
  const room = Math.min(Math.floor((options.budgetSeconds - elapsed) / options.stepSeconds + 1e-9), options.maxSteps ?? Infinity);
  if (room < 1) return { kind: "done", reason: budgetReason(elapsed, options), endedBy: "budget" };
  if (steps.length === 0) return { kind: "steps", rates: ascending(growFrom(options.startRate, growth, room, maxRate)), phase: "grow" };

  const { good, bad, badUnconfirmed } = bracketOf(steps, options.slo);
  const tested = new Set(steps.map((s) => s.offeredRate));
  // The break measured again tops the pass, taking one of its places.
  const recheck = bad && badUnconfirmed && options.remeasureBreaks ? [bad.step.offeredRate] : [];
  const places = room - recheck.length;
  if (!bad) {
    const highest = Math.max(...tested);
    if (highest >= maxRate) return { kind: "done", reason: `every step held up to the highest rate allowed, ${maxRate} req/s`, endedBy: "slo" };
    return { kind: "steps", rates: ascending(growFrom(highest * growth, growth, room, maxRate)), phase: "grow" };
  }
  const badRate = bad.step.offeredRate;
  if (!good) {
    const lower = Array.from({ length: places }, (_, i) => badRate / growth ** (i + 1));
    const rates = ascending(lower, (rate) => rate >= minRate && !tested.has(rate));
    if (rates.length === 0 && recheck.length === 0) return { kind: "done", reason: `even ${badRate} req/s breaks the SLO`, endedBy: "slo" };
    return { kind: "steps", rates: [...rates, ...recheck], phase: "shrink" };
  }
  const goodRate = good.step.offeredRate;
  if ((badRate - goodRate) / goodRate <= precision) {
    if (recheck.length > 0) return { kind: "steps", rates: recheck, phase: "refine" };
    return { kind: "done", reason: `${goodRate} req/s holds and ${badRate} req/s breaks: within ${(precision * 100).toFixed(0)}%`, endedBy: "slo" };
  }
  if (places < 1) return { kind: "steps", rates: recheck, phase: "refine" };
  // A clear breach means the fleet saturated near what it achieved: the capacity is below that, so
  // the grid ends there (and probes it) instead of at the rate that broke.
  const achieved = bad.verdict.achievedRate;
  const top = bad.verdict.clearBreach && achieved > goodRate * (1 + precision) && achieved < badRate ? achieved : badRate;
  const probeTop = top !== badRate;
  const needed = Math.ceil(Math.log(top / goodRate) / Math.log(1 + precision) - 1e-9);
  // `intervals` gaps between goodRate and top; their inner ends (and top itself when untested) are the rates.
  const intervals = Math.min(needed, places + (probeTop ? 0 : 1));
  const count = probeTop ? intervals : intervals - 1;
  const grid = Array.from({ length: count }, (_, k) => goodRate * (top / goodRate) ** ((k + 1) / intervals));
  const rates = [...ascending(grid, (rate) => rate > goodRate && rate < badRate && !tested.has(rate)), ...recheck];
  if (rates.length === 0) {
    return {
      kind: "done",
      reason: `${goodRate} req/s holds and ${badRate} req/s breaks: no rate left between them at this resolution`,
      endedBy: "slo",
    };
  }
  return { kind: "steps", rates, phase: "refine" };
}
