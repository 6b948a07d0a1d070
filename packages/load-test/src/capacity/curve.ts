// The capacity and the latency-throughput curve from a search's steps and its confirmation: the one
// function the local search, `fleet merge` and (for k6 staircases) `fleet matrix` use, so they cannot disagree.
import { percentilesFromHistogram, type LatencyPercentiles } from "../histogram.js";
import { totalErrors } from "../results.js";
import type { Slo } from "@inference-fleet/fleet-config";
import { bracketOf } from "./bracket.js";
import { confirmedHold, holdKeptSlo, MAX_BREACHING_WINDOWS, type ConfirmationOptions } from "./confirm.js";
import type { SearchEnd } from "./planner.js";
import type { CapacityStep } from "./step.js";
import { judgeStep, settledWindows, windowSpread } from "./windows.js";

interface CurvePoint {
  offeredRate: number;
  achievedRate: number;
  p50: number;
  p90: number;
  p99: number;
  /** Failed requests in the measured window. */
  errors: number;
  errorRate: number;
  holds: boolean;
  reasons: string[];
}

/** One sustained hold of the confirmation, judged. */
interface ConfirmationAttempt {
  offeredRate: number;
  durationSeconds: number;
  holds: boolean;
  reasons: string[];
}

export interface CapacityVerdict {
  /**
   * The capacity, req/s: with a confirmation, the rate that held its sustained window (0 when none did);
   * without one, the largest offered rate whose step holds the SLO below every rate that broke it (0 when none held).
   */
  capacityAtSlo: number;
  /** What the search alone found, before any confirmation. */
  searchCapacity: number;
  /** The lowest rate the search saw break the SLO (absent when every step held): the confirmation refines towards it. */
  searchBreak?: number;
  /** Only one measurement saw searchBreak break: the search ended before measuring it again. */
  searchBreakUnconfirmed?: true;
  /** The confirmation's holds, in order (absent when none ran). */
  confirmation?: ConfirmationAttempt[];
  /** The lowest and highest achieved rate of the windows behind capacityAtSlo (absent without windows). */
  windows?: { low: number; high: number };
  slo: Slo;
  /** The step (or confirmation hold) at the capacity: its achieved rate and percentiles (absent when none held). */
  atCapacity?: { offeredRate: number; achievedRate: number; latencyMs: LatencyPercentiles; errorRate: number };
  /** Every step, by offered rate. */
  curve: CurvePoint[];
}

/** results.json's `capacity`: the verdict's two figures with what they rest on (every step, and the confirmation's holds). */
export function capacityRecord(
  verdict: Pick<CapacityVerdict, "capacityAtSlo" | "searchCapacity">,
  run: { readonly slo: Slo; readonly steps: CapacityStep[]; readonly confirmations: CapacityStep[]; readonly endedBy?: SearchEnd },
) {
  return {
    capacityAtSlo: verdict.capacityAtSlo,
    searchCapacity: verdict.searchCapacity,
    ...(run.endedBy ? { endedBy: run.endedBy } : {}),
    slo: run.slo,
    steps: run.steps,
    ...(run.confirmations.length > 0 ? { confirmations: run.confirmations } : {}),
  };
}

/** The capacity at the SLO (the confirmation's hold when there is one, else the bracket's rate that holds, see bracketOf) and the curve. */
export function capacityFromSteps(steps: readonly CapacityStep[], slo: Slo, confirmations: readonly CapacityStep[] = []): CapacityVerdict {
  const { judged, good, bad, badUnconfirmed } = bracketOf(steps, slo);
  const curve = judged.map(({ step, verdict }) => {
    const latency = percentilesFromHistogram(step.histogram);
    return {
      offeredRate: step.offeredRate,
      achievedRate: step.achievedRate,
      p50: latency.p50,
      p90: latency.p90,
      p99: latency.p99,
      errors: totalErrors(step.errors),
      errorRate: verdict.errorRate,
      holds: verdict.holds,
      reasons: verdict.reasons,
    };
  });
  const searchCapacity = good?.step.offeredRate ?? 0;
  const confirmation = confirmations.map((hold) => {
    const verdict = judgeStep(hold, slo);
    const holds = holdKeptSlo(hold, slo);
    const reasons = holds || !verdict.holds ? verdict.reasons : [`more than ${MAX_BREACHING_WINDOWS * 100}% of its windows over the SLO`];
    return { offeredRate: hold.offeredRate, durationSeconds: hold.durationSeconds, holds, reasons };
  });
  const best = confirmations.length > 0 ? confirmedHold(confirmations, slo) : good?.step;
  const base = {
    searchCapacity,
    ...(bad ? { searchBreak: bad.step.offeredRate, ...(badUnconfirmed ? { searchBreakUnconfirmed: true as const } : {}) } : {}),
    ...(confirmations.length > 0 ? { confirmation } : {}),
    slo,
    curve,
  };
  if (!best) return { capacityAtSlo: 0, ...base };
  const spread = best.windows ? windowSpread(best.windows, settledWindows(best, slo)) : undefined;
  return {
    capacityAtSlo: best.offeredRate,
    ...base,
    ...(spread ? { windows: spread } : {}),
    atCapacity: {
      offeredRate: best.offeredRate,
      achievedRate: best.achievedRate,
      latencyMs: percentilesFromHistogram(best.histogram),
      errorRate: judgeStep(best, slo).errorRate,
    },
  };
}

/** The confirmation's ceiling from what the search found: its lowest break, and whether one measurement alone saw it. */
export function searchCeiling(
  verdict: Pick<CapacityVerdict, "searchBreak" | "searchBreakUnconfirmed">,
): Pick<ConfirmationOptions, "ceiling" | "ceilingUnconfirmed"> {
  if (verdict.searchBreak === undefined) return {};
  return { ceiling: verdict.searchBreak, ...(verdict.searchBreakUnconfirmed ? { ceilingUnconfirmed: true } : {}) };
}
