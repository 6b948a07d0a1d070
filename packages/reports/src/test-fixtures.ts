// Synthetic results for report tests and for looking at a report: a capacity search over a fleet
// whose latency grows like a queue's as the offered rate nears its service rate, and a plain run.
import { capacityFromSteps } from "@inference-fleet/load-test";
import type { CapacityStep } from "@inference-fleet/load-test";
import { LatencyHistogram } from "@inference-fleet/load-test";
import { ResultRecorder } from "@inference-fleet/load-test";
import type { LoadTestResult } from "@inference-fleet/load-test";
import type { Slo } from "@inference-fleet/fleet-config";

export const FIXTURE_START = Date.UTC(2025, 5, 1, 10, 0, 0);
const FIXTURE_SLO: Slo = { percentile: 90, latencyMs: 100, maxErrorRate: 0.01 };
const STEP_SECONDS = 10;

/**
 * `n` latencies of a fleet serving `serviceRate` req/s at `rate`: a `baseMs` service time plus an
 * exponential wait whose mean grows like load / (1 - load); past the service rate every request waits ~2 s.
 */
export function queueLatencies(rate: number, serviceRate: number, baseMs: number, n = 400): number[] {
  const load = rate / serviceRate;
  if (load >= 1) return Array.from({ length: n }, (_, i) => 1500 + (i / n) * 1000);
  const meanWait = (baseMs * load) / (1 - load);
  return Array.from({ length: n }, (_, i) => baseMs - meanWait * Math.log(1 - (i + 0.5) / n));
}

/** A step at `rate`: achieved falls short of offered past the service rate. */
function queueStep(rate: number, serviceRate: number, baseMs: number): CapacityStep {
  const histogram = new LatencyHistogram();
  for (const ms of queueLatencies(rate, serviceRate, baseMs)) histogram.record(ms);
  return {
    offeredRate: rate,
    achievedRate: Math.min(rate, serviceRate),
    durationSeconds: STEP_SECONDS,
    warmupSeconds: 2,
    requests: Math.round(Math.min(rate, serviceRate) * STEP_SECONDS),
    errors: {},
    histogram: histogram.toJSON(),
    latencyMs: histogram.summary(),
  };
}

/** Ten seconds at `rps` requests per second with latencies spread like `latencies` (cycled); per-second series included. */
export function plainRun(labels: Record<string, string>, rps: number, latencies: number[], failures = 0): LoadTestResult {
  const recorder = new ResultRecorder(FIXTURE_START);
  for (let s = 0; s < STEP_SECONDS; s++) {
    for (let i = 0; i < rps; i++)
      recorder.recordResponse(latencies[((s * rps + i) * 7919) % latencies.length]!, 200, FIXTURE_START + s * 1000 + (i * 1000) / rps);
  }
  for (let i = 0; i < failures; i++) recorder.recordResponse(5, 503, FIXTURE_START + 5000);
  const meta = { generator: "local" as const, mode: "rate" as const, targets: ["http://127.0.0.1:8080"], models: ["model0"], labels };
  return recorder.finish(meta, FIXTURE_START + STEP_SECONDS * 1000);
}

/**
 * A capacity search's result over a queueing fleet: steps doubling from `startRate` until the SLO
 * breaks, then bisecting; the top-level figures are those of the step at the capacity, as `fleet local` writes them.
 */
export function capacityRun(labels: Record<string, string>, options: { serviceRate: number; baseMs?: number; startRate?: number; slo?: Slo }): LoadTestResult {
  const { serviceRate } = options;
  const baseMs = options.baseMs ?? 5;
  const slo = options.slo ?? FIXTURE_SLO;
  const rates: number[] = [];
  for (let rate = options.startRate ?? Math.round(serviceRate / 8); rates.length < 8; rate *= 2) {
    rates.push(rate);
    if (!capacityFromSteps([queueStep(rate, serviceRate, baseMs)], slo).atCapacity) break;
  }
  // Two bisection steps between the last good and the first bad rate.
  let [good, bad] = [rates.at(-2) ?? 0, rates.at(-1)!];
  for (let i = 0; i < 2 && good > 0; i++) {
    const mid = Math.round((good + bad) / 2);
    rates.push(mid);
    if (capacityFromSteps([queueStep(mid, serviceRate, baseMs)], slo).atCapacity) good = mid;
    else bad = mid;
  }
  const steps = rates.map((rate) => queueStep(rate, serviceRate, baseMs));
  const { capacityAtSlo } = capacityFromSteps(steps, slo);
  const at = capacityAtSlo > 0 ? capacityAtSlo : rates[0]!;
  const result = plainRun(labels, Math.round(at), queueLatencies(at, serviceRate, baseMs));
  return { ...result, capacity: { capacityAtSlo, slo, steps } };
}

/**
 * Ten seconds of a fleet of two servers and two models: the second server answers half as many
 * requests, 3x slower, with some 503s (unbalanced); the first spends most of its time in inference
 * (CPU-bound), the second most of it waiting for a run (queue-bound).
 */
export function fleetRun(labels: Record<string, string>): LoadTestResult {
  const targets = ["http://127.0.0.1:8081", "http://127.0.0.1:8082"];
  const models = ["model0", "model1"];
  const recorder = new ResultRecorder(FIXTURE_START, 0, { targets: 2, models: 2 });
  for (let s = 0; s < STEP_SECONDS; s++) {
    for (let i = 0; i < 300; i++) {
      const target = i % 3 === 2 ? 1 : 0;
      const at = FIXTURE_START + s * 1000 + (i * 1000) / 300;
      if (target === 1 && i % 30 === 2) recorder.recordError("http_503", at, target, i % 2);
      else recorder.recordSuccess(target === 0 ? 8 + (i % 7) : 30 + (i % 11), at, target, i % 2);
    }
  }
  const meta = { generator: "local" as const, mode: "rate" as const, targets, models, labels };
  const serverTimes = [
    { target: targets[0]!, requests: 2000, requestSeconds: 2000 * 0.0075, runs: 2000, inferenceSeconds: 2000 * 0.006, batchedRequests: 2000 },
    { target: targets[1]!, requests: 1000, requestSeconds: 1000 * 0.028, runs: 500, inferenceSeconds: 500 * 0.009, batchedRequests: 1000 },
  ];
  return recorder.finish({ ...meta, serverTimes }, FIXTURE_START + STEP_SECONDS * 1000);
}
