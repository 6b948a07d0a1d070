// Synthetic steps and fleets for the capacity tests: steps with known latencies, a queue with a known knee.
import { LatencyHistogram } from "../histogram.js";
import type { Slo } from "../thresholds.js";
import type { CapacityStep } from "./step.js";

export const SLO: Slo = { percentile: 90, latencyMs: 100, maxErrorRate: 0.01 };
export const STEP_SECONDS = 10;

/** A step whose latencies are `latencies` (ms, each once), `failures` of them http_503. */
export function step(
  offeredRate: number,
  latencies: number[],
  options: { achievedRate?: number; failures?: number; stoppedEarly?: boolean } = {},
): CapacityStep {
  const histogram = new LatencyHistogram();
  for (const ms of latencies) histogram.record(ms);
  const failures = options.failures ?? 0;
  return {
    offeredRate,
    achievedRate: options.achievedRate ?? offeredRate,
    durationSeconds: STEP_SECONDS - 2,
    warmupSeconds: 2,
    requests: latencies.length,
    errors: failures > 0 ? { http_503: failures } : {},
    histogram: histogram.toJSON(),
    latencyMs: histogram.summary(),
    ...(options.stoppedEarly ? { stoppedEarly: true } : {}),
  };
}

/** `n` latencies of which the first share is `fast` ms and the rest `slow` ms. */
export function latencies(n: number, fastShare: number, fast: number, slow: number): number[] {
  return Array.from({ length: n }, (_, i) => (i < n * fastShare ? fast : slow));
}

/** A fleet with a queue: p90 grows like 1/(1 - load) up to `serviceRate`, past which it falls behind. */
export function queueingFleet(serviceRate: number) {
  return (rate: number): CapacityStep => {
    const load = rate / serviceRate;
    if (load >= 1) return step(rate, latencies(200, 0, 0, 2000), { achievedRate: serviceRate });
    const p90 = 5 / (1 - load);
    return step(rate, latencies(200, 0.85, 4, p90));
  };
}
