// The capacity and the latency-throughput curve from a search's steps: the one function the local
// search, `fleet merge` and (for k6 staircases) `fleet matrix` use, so they cannot disagree.
import { percentilesFromHistogram, type LatencyPercentiles } from "../histogram.js";
import { totalErrors } from "../results.js";
import type { Slo } from "../thresholds.js";
import { bracketOf } from "./bracket.js";
import type { CapacityStep } from "./step.js";

export interface CurvePoint {
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

export interface CapacityVerdict {
  /** The largest offered rate (req/s) whose step holds the SLO, below every rate that broke it; 0 when none held. */
  capacityAtSlo: number;
  slo: Slo;
  /** The step at the capacity: its achieved rate and percentiles (absent when none held). */
  atCapacity?: { offeredRate: number; achievedRate: number; latencyMs: LatencyPercentiles; errorRate: number };
  /** Every step, by offered rate. */
  curve: CurvePoint[];
}

/** The capacity at the SLO (the bracket's rate that holds, see bracketOf) and the curve. */
export function capacityFromSteps(steps: readonly CapacityStep[], slo: Slo): CapacityVerdict {
  const { judged, good: best } = bracketOf(steps, slo);
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
  if (!best) return { capacityAtSlo: 0, slo, curve };
  return {
    capacityAtSlo: best.step.offeredRate,
    slo,
    atCapacity: {
      offeredRate: best.step.offeredRate,
      achievedRate: best.step.achievedRate,
      latencyMs: percentilesFromHistogram(best.step.histogram),
      errorRate: best.verdict.errorRate,
    },
    curve,
  };
}
