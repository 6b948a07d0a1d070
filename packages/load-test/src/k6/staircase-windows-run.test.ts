// The bundled script running a staircase whose rates are measured in windows (CAPACITY_WINDOWS), on the
// stand-in k6 runtime: each rate's windows come back with their own histograms, two pods' windows merge
// window by window, and a single spiked window does not break a rate whose other windows hold.
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { bundleK6Script } from "../bundle.js";
import { capacityFromSteps } from "../capacity/curve.js";
import { judgeWindows } from "../capacity/windows.js";
import { mergeResults } from "../merge.js";
import { parseResult, type LoadTestResult } from "../results-schema.js";
import { loadBundledScript, type FakeResponse } from "./fake-k6.test-helper.js";

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const SLO = { percentile: 90, latencyMs: 100, maxErrorRate: 0.01 };
// Two rates, each 2 s of warm-up then 3 windows of 2 s: scenarios step_00..step_05, a rate every 8 s.
const env = {
  TARGETS: "http://s0:8080",
  MODELS: "model0",
  MODE: "capacity",
  CAPACITY_RATES: "100,200",
  CAPACITY_WARMUP: "2s",
  CAPACITY_WINDOW: "6s",
  CAPACITY_WINDOWS: "3",
  CAPACITY_STABILITY: "0.1",
  GENERATORS: "2",
  SLO_PERCENTILE: "90",
  SLO_MS: "100",
  RESULTS_PATH: "/results/out.json",
};

let bundle: string;
beforeAll(async () => {
  bundle = await bundleK6Script();
});
beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(T0);
});
afterEach(() => vi.useRealTimers());

/** One pod through both rates: each window answers its share of the rate (50 or 100 req/s for 2 s) in `latencyMs(rate, window)`. */
async function runPod(pod: number, latencyMs: (rateIndex: number, window: number) => number): Promise<LoadTestResult> {
  let next: FakeResponse = { status: 200, durationMs: 1 };
  const script = await loadBundledScript(bundle, { ...env, POD_INDEX: String(pod) }, (url) =>
    url.includes("/v2/models/") ? { status: 404, durationMs: 1 } : next,
  );
  vi.setSystemTime(T0);
  const setupData = script.setup();
  for (let rateIndex = 0; rateIndex < 2; rateIndex++) {
    for (let window = 0; window < 3; window++) {
      const startMs = T0 + rateIndex * 8000 + (window === 0 ? 0 : 2000 + window * 2000);
      script.setScenario(`step_0${rateIndex * 3 + window}`, startMs);
      // Inside the window's measured part (after the rate's warm-up for its first window).
      vi.setSystemTime(startMs + (window === 0 ? 2500 : 500));
      next = { status: 200, durationMs: latencyMs(rateIndex, window) + pod };
      for (let i = 0; i < (rateIndex + 1) * 100; i++) script.default(setupData);
    }
  }
  vi.setSystemTime(T0 + 16_000);
  const files = script.handleSummary(script.summaryData(setupData));
  return parseResult(JSON.parse(files["/results/out.json"]!));
}

describe("a k6 staircase measured in windows", () => {
  it("keeps each rate's windows with their histograms, merges pods window by window, and one spiked window breaks nothing", async () => {
    // Every window answers in 10 ms, except the second window of 100 req/s, spiked to 400 ms.
    const latency = (rateIndex: number, window: number) => (rateIndex === 0 && window === 1 ? 400 : 10);
    const pods = [await runPod(0, latency), await runPod(1, latency)];
    const steps = pods[0]!.capacity!.steps;
    expect(steps.map((s) => [s.offeredRate, s.windows?.length, s.warmupSeconds, s.stability?.windows])).toEqual([
      [100, 3, 2, 3],
      [200, 3, 2, 3],
    ]);
    expect(steps[0]!.windows!.map((w) => [w.requests, w.durationSeconds])).toEqual([
      [100, 2],
      [100, 2],
      [100, 2],
    ]);
    expect(steps[0]!.windows![1]!.latencyMs.p90).toBeGreaterThan(300);
    // A rate's counts per target and per model span all its windows: the one target and model hold the whole step.
    for (const step of steps) {
      const counts = { requests: step.requests, errors: step.errors, histogram: step.histogram };
      expect(step.byTarget).toEqual([{ name: "http://s0:8080", ...counts }]);
      expect(step.byModel).toEqual([{ name: "model0", ...counts }]);
    }
    const merged = mergeResults(pods).capacity!.steps;
    expect(merged[0]!.windows!.map((w) => w.requests)).toEqual([200, 200, 200]);
    expect(merged[1]!.windows!.map((w) => w.achievedRate)).toEqual([200, 200, 200]);
    // The spiked window disagrees with the other two: the rule's 3 windows never agree, so the majority decides (2 of 3 hold).
    const judged = judgeWindows(merged[0]!, merged[0]!.windows!, SLO, merged[0]!.stability!);
    expect(judged).toMatchObject({ settled: true, stable: false, verdict: { holds: true } });
    expect(capacityFromSteps(merged, SLO).capacityAtSlo).toBe(200);
  });
});
