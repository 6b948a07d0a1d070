// The capacity search's plan: which rate to offer next, given the steps so far. Grow the rate
// geometrically until a step breaks the SLO, then bisect between the last rate that held and the
// first that broke until the two are within the precision, never past the time budget. Pure: the
// local driver runs the steps, and a k6 staircase can be planned with the same function.
import type { Slo } from "@inference-fleet/fleet-config";
import { bracketOf } from "./bracket.js";
import type { CapacityStep } from "./step.js";

export interface PlannerOptions {
  readonly slo: Slo;
  /** The first rate offered, requests per second. */
  readonly startRate: number;
  /** Each growth step offers this many times the last (default 2). */
  readonly growth?: number;
  /** Stop once (first bad - last good) / last good is at most this (default 0.05). */
  readonly precision?: number;
  /** No step starts that would end after this many seconds. */
  readonly budgetSeconds: number;
  /** Seconds one step takes, its warm-up included. */
  readonly stepSeconds: number;
  /** Seconds spent so far, when the caller measures it (start-up, drains); default: the steps' warm-ups and windows. */
  readonly elapsedSeconds?: number;
  /** Never offer more than this (default 1,000,000 req/s). */
  readonly maxRate?: number;
  /** When even this rate breaks the SLO, the capacity is 0 (default 1 req/s). */
  readonly minRate?: number;
  /** Measure a rate that broke once again before believing it (default false: believed at once). */
  readonly remeasureBreaks?: boolean;
}

/** What ended a search: its time budget, or the SLO (the bracket is narrow enough, or no rate is left to try). */
export type SearchEnd = "budget" | "slo";

export type PlannerDecision =
  | { readonly kind: "step"; readonly rate: number; readonly phase: "grow" | "shrink" | "bisect" | "recheck" }
  | { readonly kind: "done"; readonly reason: string; readonly endedBy: SearchEnd };

const DEFAULT_PRECISION = 0.05;
const DEFAULT_GROWTH = 2;

/** Three significant digits: rates people can read, and fine enough for any precision above 1%. */
export function roundRate(rate: number): number {
  return Number(rate.toPrecision(3));
}

/** Refuses options no search can run with, in words that say what to give instead. */
function validatePlannerOptions(options: PlannerOptions): void {
  if (!(options.startRate > 0)) throw new Error(`The capacity search's start rate must be a positive number of req/s, got ${options.startRate}.`);
  if (!((options.growth ?? DEFAULT_GROWTH) > 1)) throw new Error(`The growth factor must be over 1, got ${options.growth}.`);
  const precision = options.precision ?? DEFAULT_PRECISION;
  if (!(precision > 0 && precision < 1)) throw new Error(`The precision must be between 0 and 1 (0.05 is 5%), got ${precision}.`);
  if (!(options.stepSeconds > 0)) throw new Error(`A step must last a positive number of seconds, got ${options.stepSeconds}.`);
}

/** The options with their defaults filled in, once validated: what both planners read. */
export function plannerSettings(options: PlannerOptions): { growth: number; precision: number; maxRate: number; minRate: number } {
  validatePlannerOptions(options);
  return {
    growth: options.growth ?? DEFAULT_GROWTH,
    precision: options.precision ?? DEFAULT_PRECISION,
    maxRate: options.maxRate ?? 1_000_000,
    minRate: options.minRate ?? 1,
  };
}

/** Seconds of the budget spent: what the caller measured, else the steps' warm-ups and windows. */
export function spentSeconds(steps: readonly CapacityStep[], options: Pick<PlannerOptions, "elapsedSeconds">): number {
  return options.elapsedSeconds ?? steps.reduce((sum, s) => sum + s.durationSeconds + s.warmupSeconds, 0);
}

/** Why a search stops for time. */
export function budgetReason(elapsed: number, options: Pick<PlannerOptions, "stepSeconds" | "budgetSeconds">): string {
  return `time budget: another ${options.stepSeconds} s step would end after ${options.budgetSeconds} s (${elapsed.toFixed(0)} s spent)`;
}

/** The next rate to offer, or "done" with the reason; a rate that broke once is measured again before the search moves on. */
export function nextRate(steps: readonly CapacityStep[], options: PlannerOptions): PlannerDecision {
  const { growth, precision, maxRate, minRate } = plannerSettings(options);
  const elapsed = spentSeconds(steps, options);
  if (elapsed + options.stepSeconds > options.budgetSeconds) return { kind: "done", reason: budgetReason(elapsed, options), endedBy: "budget" };
  if (steps.length === 0) return { kind: "step", rate: roundRate(Math.min(options.startRate, maxRate)), phase: "grow" };

  const { good, bad, badUnconfirmed } = bracketOf(steps, options.slo);
  const tested = new Set(steps.map((s) => s.offeredRate));
  if (bad && badUnconfirmed && options.remeasureBreaks) return { kind: "step", rate: bad.step.offeredRate, phase: "recheck" };

  if (!bad) {
    const highest = Math.max(...steps.map((s) => s.offeredRate));
    if (highest >= maxRate) return { kind: "done", reason: `every step held up to the highest rate allowed, ${maxRate} req/s`, endedBy: "slo" };
    return { kind: "step", rate: roundRate(Math.min(highest * growth, maxRate)), phase: "grow" };
  }
  if (!good) {
    const lower = roundRate(bad.step.offeredRate / growth);
    if (lower < minRate) return { kind: "done", reason: `even ${bad.step.offeredRate} req/s breaks the SLO`, endedBy: "slo" };
    return { kind: "step", rate: lower, phase: "shrink" };
  }
  const goodRate = good.step.offeredRate;
  const badRate = bad.step.offeredRate;
  if ((badRate - goodRate) / goodRate <= precision) {
    return { kind: "done", reason: `${goodRate} req/s holds and ${badRate} req/s breaks: within ${(precision * 100).toFixed(0)}%`, endedBy: "slo" };
  }
  let next = (goodRate + badRate) / 2;
  // A clear breach means the fleet saturated: it served about what it achieved, so the capacity is
  // below that, and probing there narrows the bracket faster than the midpoint.
  const achieved = bad.verdict.achievedRate;
  if (bad.verdict.clearBreach && achieved > goodRate * (1 + precision) && achieved < next) next = achieved;
  const rate = roundRate(next);
  if (rate <= goodRate || rate >= badRate || tested.has(rate)) {
    return {
      kind: "done",
      reason: `${goodRate} req/s holds and ${badRate} req/s breaks: no rate left between them at this resolution`,
      endedBy: "slo",
    };
  }
  return { kind: "step", rate, phase: "bisect" };
}
