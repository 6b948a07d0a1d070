// The confirmation after a search: the rate found is held for a sustained window (SageMaker Inference
// Recommender's steps last minutes, not seconds); if the SLO breaks, the rate steps down and is held
// again. Only a rate that held its sustained window is reported, so the figure never overstates what
// the fleet keeps up. The rate found is held first, as measured; every later hold is at a rate of one
// fixed grid (confirmationRate), so two runs whose searches ended apart step through the same rates.
// Pure: the local search and `fleet matrix` run the holds, this decides.
import type { Slo } from "@inference-fleet/fleet-config";
import { roundRate } from "./planner.js";
import { judgeMeasurement, type CapacityStep, type CapacityWindow } from "./step.js";

export interface ConfirmationOptions {
  /** Each confirmation that breaks steps down by this share (default 0.07). */
  readonly stepDown?: number;
  /** Holds tried at most, the first included (default 5). */
  readonly maxAttempts?: number;
  /** Seconds left for the confirmation, when the caller keeps a clock: no hold starts that could not finish in them. */
  readonly secondsLeft?: number;
  /** Seconds one hold takes at most (its warm-up included); needed with secondsLeft. */
  readonly holdSeconds?: number;
  /** The lowest rate the search saw break the SLO (bracketOf's `bad`), the ceiling a hold that held is refined towards. */
  readonly ceiling?: number;
  /** After a hold holds, another is tried between it and the ceiling while the ceiling is more than this share above it (default 0.15). */
  readonly refineAbove?: number;
  /**
   * Only one short measurement saw `ceiling` break (the search's budget ended before it was measured again): when the
   * first hold (the search's answer) holds under it, the next grid rate up is held too, even within refineAbove.
   */
  readonly ceilingUnconfirmed?: boolean;
}

const DEFAULT_STEP_DOWN = 0.07;
/**
 * A confirmed rate with a break more than 15% above it is refined: measured, a search cut by its budget stopped at
 * 800 req/s with 992 broken, 800 held its minute and so did 1,000 (1.25x) in the next minute. Within 15%, 1.25x the
 * confirmed rate lies above a rate that broke.
 */
const DEFAULT_REFINE_ABOVE = 0.15;
/**
 * A sustained hold holds only when the SLO held throughout: over the whole hold, and in all but this share of its
 * windows. Near the knee a fleet swings between short queues and long ones (measured here: 2 s windows at 8 ms and
 * 145 ms alternating for a minute), so a whole-minute p90 under the SLO can hide a rate that the next minute breaks.
 * Rounded to whole windows: 3 of a 60 s hold's 2 s windows, 29 or 30 as its start falls against the clock's seconds.
 */
export const MAX_BREACHING_WINDOWS = 0.1;

/**
 * How many of a hold's windows broke the SLO for the requests in them: their percentile or errors over it, or nothing
 * answered. A window's achieved rate is judged at what it served (the whole hold's against the offered rate): a window's
 * count swings with answers that finish just across its edge (measured: 946 then 1,056 req/s in two windows of a
 * 1,000 req/s hold, at p90 19 and 114 ms), and a stall shows in the latency of the requests it holds up.
 */
export function breachingWindows(hold: { readonly offeredRate: number; readonly windows?: readonly CapacityWindow[] | undefined }, slo: Slo): number {
  const breaks = (w: CapacityWindow) => !judgeMeasurement({ ...w, offeredRate: Math.min(hold.offeredRate, w.achievedRate), warmupSeconds: 0 }, slo).holds;
  return (hold.windows ?? []).filter(breaks).length;
}

/** Whether a sustained hold kept the SLO throughout (see MAX_BREACHING_WINDOWS); a hold without windows is judged whole. */
export function holdKeptSlo(hold: CapacityStep, slo: Slo): boolean {
  if (!judgeMeasurement(hold, slo).holds) return false;
  return breachingWindows(hold, slo) <= Math.round((hold.windows ?? []).length * MAX_BREACHING_WINDOWS);
}
/**
 * Whether a hold still running can no longer keep the SLO: more of its finished windows broke it than a whole hold of
 * `holdWindows` may (MAX_BREACHING_WINDOWS). Cut there, a lost minute costs its seconds so far, not all of them
 * (measured: holds at 866, 958 and 1,030 req/s had lost after 8-30 s and ran on to 60), and the time goes to the next hold.
 */
export function holdIsLost(windowsSoFar: readonly CapacityWindow[], holdWindows: number, offeredRate: number, slo: Slo): boolean {
  return breachingWindows({ offeredRate, windows: windowsSoFar }, slo) > Math.round(holdWindows * MAX_BREACHING_WINDOWS);
}

const DEFAULT_CONFIRM_ATTEMPTS = 5;

export type ConfirmationDecision =
  | { readonly kind: "hold"; readonly rate: number }
  | { readonly kind: "done"; readonly reason: string; /** The confirmation that held (absent when none did). */ readonly confirmed?: CapacityStep };

/**
 * The rates a confirmation holds: powers of 1 / (1 - stepDown) req/s (with 7%: ..., 853, 917, 987, 1,060, 1,140, ...),
 * to 3 significant digits. Fixed, not counted down from the search's answer: measured here, five of six first holds
 * (the search's answer) broke, and three runs of one fleet stepped down from 866, 960 and 1,330 req/s to 805, 893
 * and 1,140, figures no two runs share; on one grid, their step-downs meet the same rates.
 */
function gridIndex(rate: number, stepDown: number): number {
  // 3 digits move a grid rate by up to 0.5%, under a tenth of a step: a rate that rounding put under its power still counts as it.
  return Math.floor(Math.log(rate) / -Math.log(1 - stepDown) + 0.1);
}

/** The grid rate `k` steps above the grid's floor of `rate` (k = 0: the highest grid rate at or below it). */
export function confirmationRate(rate: number, stepDown: number, k = 0): number {
  const at = (index: number) => roundRate(Math.pow(1 / (1 - stepDown), index));
  const index = gridIndex(rate, stepDown);
  // The index may be one too high (rounding, or the tolerance): then the floor is the one below.
  const floor = at(index) > rate ? index - 1 : index;
  return at(floor + k);
}

/** No single step down goes below this share of the rate that broke (a 40% drop at most), however low a stalled hold's throughput was. */
const MAX_DROP_PER_ATTEMPT = 0.6;

/**
 * The rate after a hold that broke: the grid rate below it, or, when the hold saturated (it served less than it was
 * offered), the grid rate at or below what it served: a saturated fleet serves its capacity, so that is where the next
 * hold starts (measured: holds of 1,400, 1,300 and 1,210 req/s each broke, and three 7% steps ran out before reaching
 * a rate the fleet kept up). Never below MAX_DROP_PER_ATTEMPT of the rate that broke.
 */
export function rateAfterBreak(hold: CapacityStep, stepDown: number): number {
  const offered = hold.offeredRate;
  // Half a step down from a grid rate lands between it and the grid rate below, whose floor that is.
  const target = Math.min(offered * (1 - stepDown / 2), Math.max(hold.achievedRate, offered * MAX_DROP_PER_ATTEMPT));
  return confirmationRate(target, stepDown);
}

/**
 * What to do after the holds so far (in the order run) of the search's answer `found`: hold `found` first, then
 * lower after each hold that broke (rateAfterBreak, on the grid), until one holds; then, while a break lies more than
 * `refineAbove` above the highest rate that held, hold the grid rate nearest the geometric mean between them, so a
 * search that stopped short (its budget, a noisy minute) or a deep step down does not leave the figure far under what
 * the fleet keeps up. Done when nothing is left to refine, the attempts run out, or (with secondsLeft) another hold
 * would not finish in the time left.
 */
export function nextConfirmation(found: number, holds: readonly CapacityStep[], slo: Slo, options: ConfirmationOptions = {}): ConfirmationDecision {
  const stepDown = options.stepDown ?? DEFAULT_STEP_DOWN;
  const maxAttempts = options.maxAttempts ?? DEFAULT_CONFIRM_ATTEMPTS;
  if (!(stepDown > 0 && stepDown < 1)) throw new Error(`The confirmation's step down must be a share between 0 and 1 (0.05 is 5%), got ${stepDown}.`);
  if (!(found > 0)) return { kind: "done", reason: "the search found no rate that holds the SLO: nothing to confirm" };
  const last = holds[holds.length - 1];
  if (!last) return { kind: "hold", rate: found };
  const best = confirmedHold(holds, slo);
  if (best) return refineOrDone(best, holds, slo, { ...options, stepDown }, maxAttempts);
  const rates = holds.map((h) => h.offeredRate).join(", ");
  if (holds.length >= maxAttempts) return { kind: "done", reason: `not confirmed: ${rates} req/s each broke the SLO when held` };
  if (!timeForHolds(options, 1)) {
    return { kind: "done", reason: `not confirmed: ${rates} req/s each broke the SLO when held, and another hold would not finish in the time left` };
  }
  const next = rateAfterBreak(last, stepDown);
  // The last hold the time allows (or the last attempt) goes one grid step lower: a run with a figure a step under
  // the knee beats one with none (measured: holds at 1,060 and 987 req/s were lost at 57 s and 41 s, and no time was
  // left for a third).
  const lower = lastChance(holds.length, maxAttempts, options) ? confirmationRate(next, stepDown, -1) : next;
  if (!(lower > 0) || lower >= last.offeredRate) return { kind: "done", reason: `not confirmed: ${rates} req/s broke the SLO and no lower rate is left` };
  return { kind: "hold", rate: lower };
}

/** Whether the next hold is the last one the attempts or the time allow. */
function lastChance(holdsSoFar: number, maxAttempts: number, options: ConfirmationOptions): boolean {
  return holdsSoFar + 1 >= maxAttempts || !timeForHolds(options, 2);
}

/** Whether `count` more whole holds fit in the time left (always, without a clock). */
function timeForHolds(options: ConfirmationOptions, count: number): boolean {
  return options.secondsLeft === undefined || options.secondsLeft >= count * (options.holdSeconds ?? 0);
}

/**
 * After `best` held: the rate between it and the lowest break above it, while that break is far enough above; or, when
 * the only break near it is one the search measured once (ceilingUnconfirmed) and the search's own answer held, the
 * next grid rate up: measured, a search cut by its budget with 845 req/s broken once (a slow 16 s) confirmed 800, and
 * 1,000 (1.25x) then held a minute.
 */
function refineOrDone(best: CapacityStep, holds: readonly CapacityStep[], slo: Slo, options: ConfirmationOptions, maxAttempts: number): ConfirmationDecision {
  const held = `${best.offeredRate} req/s held the SLO for ${best.durationSeconds.toFixed(0)} s`;
  const breaks = holds.filter((h) => h.offeredRate > best.offeredRate && !holdKeptSlo(h, slo)).map((h) => h.offeredRate);
  const searchBreak = options.ceiling !== undefined && options.ceiling > best.offeredRate ? [options.ceiling] : [];
  const ceiling = Math.min(...breaks, ...searchBreak);
  const near = ceiling <= best.offeredRate * (1 + (options.refineAbove ?? DEFAULT_REFINE_ABOVE));
  // Once, after the search's own answer held: a later hold that held was a step down or a refine, already bracketed.
  const climb = near && breaks.length === 0 && options.ceilingUnconfirmed === true && best === holds[0];
  if (!Number.isFinite(ceiling) || (near && !climb)) {
    const below = Number.isFinite(ceiling) ? `; ${ceiling} req/s broke` : "";
    return { kind: "done", reason: held + below, confirmed: best };
  }
  const stepDown = options.stepDown ?? DEFAULT_STEP_DOWN;
  // Between them on the grid: the grid rate nearest their geometric mean, else (and for a climb) the grid rate just above the hold.
  const nearest = confirmationRate(Math.sqrt((best.offeredRate * ceiling) / (1 - stepDown)), stepDown);
  const between = !climb && nearest > best.offeredRate && nearest < ceiling ? nearest : confirmationRate(best.offeredRate, stepDown, 1);
  const tried = holds.some((h) => h.offeredRate === between);
  if (holds.length >= maxAttempts || !timeForHolds(options, 1) || tried || between <= best.offeredRate || (!climb && between >= ceiling)) {
    const what = climb
      ? `${ceiling} req/s broke once in the search, and no time or attempt was left to hold ${between}`
      : `${ceiling} req/s broke, and no time or attempt was left to try between them`;
    return { kind: "done", reason: `${held}; ${what}`, confirmed: best };
  }
  return { kind: "hold", rate: between };
}

/** The highest rate among `holds` that held its sustained window, if any: the confirmed capacity. */
export function confirmedHold(holds: readonly CapacityStep[], slo: Slo): CapacityStep | undefined {
  return holds.filter((hold) => holdKeptSlo(hold, slo)).reduce<CapacityStep | undefined>((a, b) => (a && a.offeredRate >= b.offeredRate ? a : b), undefined);
}
