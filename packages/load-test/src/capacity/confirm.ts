// The confirmation after a search: the rate found is held for a sustained window (SageMaker Inference
// Recommender's steps last minutes, not seconds); if the SLO breaks, the rate steps down and is held
// again. Only a rate that held its sustained window is reported, so the figure never overstates what
// the fleet keeps up. Pure: the local search and `fleet matrix` run the holds, this decides.
import type { Slo } from "@inference-fleet/fleet-config";
import { roundRate } from "./planner.js";
import { judgeMeasurement, type CapacityStep } from "./step.js";

export interface ConfirmationOptions {
  /** Each confirmation that breaks steps down by this share (default 0.07). */
  readonly stepDown?: number;
  /** Holds tried at most, the first included (default 5). */
  readonly maxAttempts?: number;
  /** Seconds left for the confirmation, when the caller keeps a clock: no hold starts that could not finish in them. */
  readonly secondsLeft?: number;
  /** Seconds one hold takes at most (its warm-up included); needed with secondsLeft. */
  readonly holdSeconds?: number;
}

const DEFAULT_STEP_DOWN = 0.07;
/**
 * A sustained hold holds only when the SLO held throughout: over the whole hold, and in all but this share of its
 * windows. Near the knee a fleet swings between short queues and long ones (measured here: 2 s windows at 8 ms and
 * 145 ms alternating for a minute), so a whole-minute p90 under the SLO can hide a rate that the next minute breaks.
 */
export const MAX_BREACHING_WINDOWS = 0.1;

/** How many of a hold's windows broke the SLO on their own. */
export function breachingWindows(hold: CapacityStep, slo: Slo): number {
  return (hold.windows ?? []).filter((w) => !judgeMeasurement({ ...w, offeredRate: hold.offeredRate, warmupSeconds: 0 }, slo).holds).length;
}

/** Whether a sustained hold kept the SLO throughout (see MAX_BREACHING_WINDOWS); a hold without windows is judged whole. */
export function holdKeptSlo(hold: CapacityStep, slo: Slo): boolean {
  if (!judgeMeasurement(hold, slo).holds) return false;
  return breachingWindows(hold, slo) <= Math.floor((hold.windows ?? []).length * MAX_BREACHING_WINDOWS);
}
const DEFAULT_CONFIRM_ATTEMPTS = 5;

export type ConfirmationDecision =
  | { readonly kind: "hold"; readonly rate: number }
  | { readonly kind: "done"; readonly reason: string; /** The confirmation that held (absent when none did). */ readonly confirmed?: CapacityStep };

/** No single step down goes below this share of the rate that broke (a 40% drop at most), however low a stalled hold's throughput was. */
const MAX_DROP_PER_ATTEMPT = 0.6;

/**
 * The rate after a hold that broke: `stepDown` lower, or, when the hold saturated (it served less than it was
 * offered), `stepDown` below what it served: a saturated fleet serves its capacity, so that is where the next hold
 * starts (measured: holds of 1,400, 1,300 and 1,210 req/s each broke, and three 7% steps ran out before reaching a
 * rate the fleet kept up). Never below MAX_DROP_PER_ATTEMPT of the rate that broke.
 */
export function rateAfterBreak(hold: CapacityStep, stepDown: number): number {
  const offered = hold.offeredRate;
  const stepped = offered * (1 - stepDown);
  const served = hold.achievedRate * (1 - stepDown);
  return roundRate(Math.min(stepped, Math.max(served, offered * MAX_DROP_PER_ATTEMPT)));
}

/**
 * What to do after the holds so far (in the order run) of the search's answer `found`: hold `found`
 * first, then lower after each hold that broke (rateAfterBreak), until one holds, the attempts run out,
 * or (with secondsLeft) another hold would not finish in the time left.
 */
export function nextConfirmation(found: number, holds: readonly CapacityStep[], slo: Slo, options: ConfirmationOptions = {}): ConfirmationDecision {
  const stepDown = options.stepDown ?? DEFAULT_STEP_DOWN;
  const maxAttempts = options.maxAttempts ?? DEFAULT_CONFIRM_ATTEMPTS;
  if (!(stepDown > 0 && stepDown < 1)) throw new Error(`The confirmation's step down must be a share between 0 and 1 (0.05 is 5%), got ${stepDown}.`);
  if (!(found > 0)) return { kind: "done", reason: "the search found no rate that holds the SLO: nothing to confirm" };
  const last = holds[holds.length - 1];
  if (!last) return { kind: "hold", rate: found };
  if (holdKeptSlo(last, slo))
    return { kind: "done", reason: `${last.offeredRate} req/s held the SLO for ${last.durationSeconds.toFixed(0)} s`, confirmed: last };
  const rates = holds.map((h) => h.offeredRate).join(", ");
  if (holds.length >= maxAttempts) return { kind: "done", reason: `not confirmed: ${rates} req/s each broke the SLO when held` };
  if (options.secondsLeft !== undefined && options.secondsLeft < (options.holdSeconds ?? 0)) {
    return { kind: "done", reason: `not confirmed: ${rates} req/s each broke the SLO when held, and another hold would not finish in the time left` };
  }
  const lower = rateAfterBreak(last, stepDown);
  if (!(lower > 0) || lower >= last.offeredRate) return { kind: "done", reason: `not confirmed: ${rates} req/s broke the SLO and no lower rate is left` };
  return { kind: "hold", rate: lower };
}

/** The confirmation that held among `holds` (nextConfirmation stops at the first that holds), if any. */
export function confirmedHold(holds: readonly CapacityStep[], slo: Slo): CapacityStep | undefined {
  return holds.find((hold) => holdKeptSlo(hold, slo));
}
