// Synthetic steps and fleets for the capacity tests: steps with known latencies, a queue with a known knee.
import { LatencyHistogram } from "../histogram.js";
import type { Slo } from "@inference-fleet/fleet-config";
import type { CapacityStep, CapacityWindow } from "./step.js";

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

/** A seeded generator of numbers in [0, 1) (mulberry32), so noisy tests repeat exactly. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WINDOW_SECONDS = 3;

/** One window at `rate` of a queueing fleet (see queueingFleet) whose p90 is scaled by `factor`. */
export function queueWindow(serviceRate: number, rate: number, factor: number): CapacityWindow {
  const load = rate / serviceRate;
  const behind = load >= 1;
  const p90 = behind ? 2000 : (5 / (1 - load)) * factor;
  const histogram = new LatencyHistogram();
  for (const ms of latencies(200, behind ? 0 : 0.85, 4, p90)) histogram.record(ms);
  return {
    durationSeconds: WINDOW_SECONDS,
    achievedRate: behind ? serviceRate * (0.97 + 0.06 * (factor - 1)) : rate,
    requests: 200,
    errors: {},
    histogram: histogram.toJSON(),
    latencyMs: histogram.summary(),
  };
}

/**
 * A noisy queueing fleet measured window by window: each window's p90 wanders by up to +-`noise`, and with
 * chance `spikeChance` a window is spiked (a neighbour took the CPU: p90 x`spikeFactor`, achieved down a fifth).
 * Its knee (p90 = 100 ms) is at 0.95 x serviceRate.
 */
export function noisyFleet(serviceRate: number, random: () => number, options: { noise?: number; spikeChance?: number; spikeFactor?: number } = {}) {
  const noise = options.noise ?? 0.15;
  const spikeChance = options.spikeChance ?? 0.1;
  const spikeFactor = options.spikeFactor ?? 8;
  return (rate: number): CapacityWindow => {
    const spiked = random() < spikeChance;
    const factor = 1 + noise * (2 * random() - 1);
    const window = queueWindow(serviceRate, rate, spiked ? spikeFactor : factor);
    return spiked ? { ...window, achievedRate: window.achievedRate * 0.8 } : window;
  };
}
