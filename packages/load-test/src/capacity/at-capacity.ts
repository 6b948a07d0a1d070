// A capacity result leads with the figures of its step at the capacity (the lowest step when none
// held), as the local search writes them: one rule for the local search, k6 pods and merged results.
import { percentilesFromHistogram } from "../histogram.js";
import type { LoadTestResult } from "../results.js";
import type { CapacityStep } from "./step.js";

/** The step whose offered rate is the capacity, or the lowest step when none held (capacity 0); undefined without steps. */
export function stepAtCapacity(steps: readonly CapacityStep[], capacityAtSlo: number): CapacityStep | undefined {
  const at = steps.find((s) => s.offeredRate === capacityAtSlo);
  return at ?? steps.reduce<CapacityStep | undefined>((low, s) => (!low || s.offeredRate < low.offeredRate ? s : low), undefined);
}

/** `result` with the top-level figures of `step`, whose measured window starts at `startMs` (and its per-target and per-model counts, where it has them). */
export function withFiguresOfStep(result: LoadTestResult, step: CapacityStep, startMs: number): LoadTestResult {
  const start = Math.round(startMs);
  return {
    ...result,
    startTime: new Date(start).toISOString(),
    endTime: new Date(start + Math.round(step.durationSeconds * 1000)).toISOString(),
    durationSeconds: step.durationSeconds,
    warmupSeconds: step.warmupSeconds,
    requests: step.requests,
    errors: step.errors,
    throughput: step.achievedRate,
    latencyMs: percentilesFromHistogram(step.histogram),
    histogram: step.histogram,
    ...(step.byTarget ? { byTarget: step.byTarget } : {}),
    ...(step.byModel ? { byModel: step.byModel } : {}),
  };
}
