// The bundled script running a capacity staircase on the stand-in k6 runtime: per-step histograms
// come back from handleSummary, and two pods' results merge into the same steps as one pod seeing it all.
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { bundleK6Script } from "../bundle.js";
import { capacityFromSteps } from "../capacity/curve.js";
import { LatencyHistogram } from "../histogram.js";
import { mergeCounts } from "../merge-counts.js";
import { mergeResults } from "../merge.js";
import { parseResult, type LoadTestResult } from "../results-schema.js";
import { loadBundledScript, type FakeResponse, type LoadedScript } from "./fake-k6.test-helper.js";
import { SLO_FAILED_METRIC, SLO_LATENCY_METRIC } from "./metrics.js";

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const SLO = { percentile: 90, latencyMs: 100, maxErrorRate: 0.01 };
const env = {
  TARGETS: "http://s0:8080,http://s1:8080",
  MODELS: "model0",
  MODE: "capacity",
  CAPACITY_RATES: "100,200,400",
  CAPACITY_WARMUP: "2s",
  CAPACITY_WINDOW: "8s",
  GENERATORS: "2",
  SLO_PERCENTILE: "90",
  SLO_MS: "100",
  RESULTS_PATH: "/results/out.json",
};

/** What one pod's requests see in a step: `count` measured responses, the i-th taking latency(i) ms, with `failures` 503s. */
interface StepLoad {
  count: number;
  latency: (i: number) => number;
  failures?: number;
}

/** A fleet that holds 100 and 200 req/s and breaks the p90 at 400 (a fifth of responses at 150 ms). */
function fleet(pod: number): StepLoad[] {
  return [
    { count: 400, latency: (i) => 5 + ((i + pod) % 7) },
    { count: 790, latency: (i) => 8 + ((i * 3 + pod) % 11), failures: 2 },
    { count: 1500, latency: (i) => (i % 5 === 0 ? 150 : 20 + pod) },
  ];
}

let bundle: string;
beforeAll(async () => {
  bundle = await bundleK6Script();
});
beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(T0);
});
afterEach(() => vi.useRealTimers());

/** Runs one pod through the staircase (until `endMs`, its end or an abort) and returns the results file it writes. */
async function runPod(pod: number, loads: StepLoad[], endMs = T0 + 31_000, more: Record<string, string> = {}): Promise<LoadTestResult> {
  return (await runPodScript(pod, loads, endMs, more)).result;
}

/** With `more`, the env's settings are overridden (e.g. MODELS). */
async function runPodScript(
  pod: number,
  loads: StepLoad[],
  endMs: number,
  more: Record<string, string> = {},
): Promise<{ result: LoadTestResult; script: LoadedScript }> {
  let next: FakeResponse = { status: 200, durationMs: 1 };
  const script = await loadBundledScript(bundle, { ...env, ...more, POD_INDEX: String(pod) }, (url) =>
    url.includes("/v2/models/") ? { status: 404, durationMs: 1 } : next,
  );
  vi.setSystemTime(T0);
  const setupData = script.setup();
  loads.forEach((load, step) => {
    const startMs = T0 + step * 10_000;
    if (startMs >= endMs) return;
    script.setScenario(`step_0${step}`, startMs);
    // A warm-up response: load, but no figure.
    vi.setSystemTime(startMs + 1500);
    next = { status: 200, durationMs: 900 };
    script.default(setupData);
    vi.setSystemTime(Math.min(startMs + 5000, endMs - 1));
    for (let i = 0; i < load.count; i++) {
      next = i < (load.failures ?? 0) ? { status: 503, durationMs: 2 } : { status: 200, durationMs: load.latency(i) };
      script.default(setupData);
    }
  });
  vi.setSystemTime(endMs);
  const files = script.handleSummary(script.summaryData(setupData));
  return { result: parseResult(JSON.parse(files["/results/out.json"]!)), script };
}

/** Whether a threshold such as "p(90)<=100" or "rate<0.5" holds over a trend's or rate's samples, as k6 reads it. */
function thresholdHolds(expression: string, samples: number[]): boolean {
  const [, aggregate, q, operator, bound] = /^(p\((\d+)\)|rate)(<=|<)([\d.]+)$/.exec(expression)!;
  const sorted = [...samples].sort((a, b) => a - b);
  const value = aggregate === "rate" ? samples.reduce((a, b) => a + b, 0) / samples.length : sorted[Math.ceil((Number(q) / 100) * sorted.length) - 1]!;
  return operator === "<" ? value < Number(bound) : value <= Number(bound);
}

/**
 * The histogram of a step's measured successes over every pod, recorded in one place: the same
 * buckets, count and sum (k6 counters keep no exact min and max, only their buckets).
 */
function histogramOf(pods: StepLoad[][], step: number) {
  const histogram = new LatencyHistogram();
  for (const loads of pods) {
    const { count, latency, failures = 0 } = loads[step]!;
    // The successes only: the 503s have no latency in the results.
    for (let i = failures; i < count; i++) histogram.record(latency(i));
  }
  const { buckets, count, sumUs } = histogram.toJSON();
  return { buckets, count, sumUs };
}

describe("the k6 capacity staircase, end to end on the stand-in runtime", () => {
  it("writes each step's histogram, errors and achieved rate, leaving the warm-ups out", async () => {
    const result = await runPod(0, fleet(0));
    const steps = result.capacity!.steps;
    expect(steps.map((s) => [s.offeredRate, s.requests, s.durationSeconds, s.warmupSeconds])).toEqual([
      [100, 400, 8, 2],
      [200, 790, 8, 2],
      [400, 1500, 8, 2],
    ]);
    for (const [i, step] of steps.entries()) expect(step.histogram).toMatchObject(histogramOf([fleet(0)], i));
    expect(steps[1]).toMatchObject({ errors: { http_503: 2 }, achievedRate: (790 - 2) / 8 });
    expect(steps[2]!.latencyMs.p90).toBeCloseTo(150, -1);
    // This pod offered half of each step: 50 req/s achieved 50 holds, so its own capacity is the total of the step that held.
    expect(result.capacity).toMatchObject({ capacityAtSlo: 200, slo: SLO });
    // The file leads with the step at the capacity, as the local search's does.
    expect(result).toMatchObject({ mode: "rate", requests: 790, errors: { http_503: 2 }, durationSeconds: 8 });
    expect(result.histogram).toEqual(steps[1]!.histogram);
    expect(result.startTime).toBe(new Date(T0 + 12_000).toISOString());
  });

  it("merges two pods' steps exactly and computes the capacity from the merged steps", async () => {
    const pods = [await runPod(0, fleet(0)), await runPod(1, fleet(1))];
    const merged = mergeResults(pods);
    const steps = merged.capacity!.steps;
    expect(steps.map((s) => [s.offeredRate, s.requests])).toEqual([
      [100, 800],
      [200, 1580],
      [400, 3000],
    ]);
    for (const [i, step] of steps.entries()) expect(step.histogram).toMatchObject(histogramOf([fleet(0), fleet(1)], i));
    expect(steps[0]!.achievedRate).toBe(100);
    const verdict = capacityFromSteps(steps, SLO);
    expect(verdict.capacityAtSlo).toBe(200);
    expect(merged.capacity!.capacityAtSlo).toBe(200);
    expect(verdict.curve.map((p) => p.holds)).toEqual([true, true, false]);
    expect(merged).toMatchObject({ requests: 1580, throughput: (1580 - 4) / 8, histogram: steps[1]!.histogram });
  });

  it("keeps each step's counts per target and per model, which add up to the step's exactly, and leads with those of the step at the capacity", async () => {
    const twoModels = { MODELS: "model0,model1" };
    const pods = [await runPod(0, fleet(0), T0 + 31_000, twoModels), await runPod(1, fleet(1), T0 + 31_000, twoModels)];
    const merged = mergeResults(pods);
    for (const result of [...pods, merged]) {
      for (const step of result.capacity!.steps) {
        expect(step.byTarget!.map((p) => p.name)).toEqual(["http://s0:8080", "http://s1:8080"]);
        expect(step.byModel!.map((p) => p.name)).toEqual(["model0", "model1"]);
        // Every part got some of the load (targets and models are picked at random), and together they are the step.
        for (const parts of [step.byTarget!, step.byModel!]) {
          expect(parts.every((p) => p.requests > 0)).toBe(true);
          expect(mergeCounts(parts)).toEqual({ requests: step.requests, errors: step.errors, histogram: step.histogram });
        }
      }
      // The file leads with the step at the capacity (200 req/s): its parts, not the whole staircase's.
      const atCapacity = result.capacity!.steps[1]!;
      expect(result.byTarget).toEqual(atCapacity.byTarget);
      expect(result.byModel).toEqual(atCapacity.byModel);
      expect(mergeCounts(result.byTarget!)).toEqual({ requests: result.requests, errors: result.errors, histogram: result.histogram });
    }
  });

  it("marks the step a pod stopped in (a clear-breach abort) and leaves out the steps it never ran", async () => {
    const loads = fleet(0);
    loads[1] = { count: 300, latency: () => 900 };
    // Aborted 4 s into step 1's measured window (it starts at 10 s, warm-up 2 s).
    const result = await runPod(0, loads, T0 + 16_000);
    const steps = result.capacity!.steps;
    expect(steps.map((s) => [s.offeredRate, s.durationSeconds, s.stoppedEarly ?? false])).toEqual([
      [100, 8, false],
      [200, 4, true],
    ]);
    expect(capacityFromSteps(steps, SLO).curve[1]).toMatchObject({ holds: false });
    expect(result.capacity!.capacityAtSlo).toBe(100);
  });

  it("feeds every stop threshold's submetric, and only a step that broke the SLO fails one", async () => {
    const loads = fleet(0);
    loads[2] = { count: 1500, latency: (i) => (i % 5 === 0 ? 150 : i % 5 === 1 ? 400 : 20) };
    const { script } = await runPodScript(0, loads, T0 + 31_000);
    const failing = (step: number) =>
      [SLO_LATENCY_METRIC, SLO_FAILED_METRIC].flatMap((metric) => {
        const name = `${metric}{step:${step}}`;
        const samples = script.samples(name);
        const { count, failures = 0 } = loads[step]!;
        expect(samples.length, name).toBe(metric === SLO_LATENCY_METRIC ? count - failures : count);
        return (script.options.thresholds[name] as { threshold: string }[]).filter((t) => !thresholdHolds(t.threshold, samples)).map((t) => t.threshold);
      });
    expect(failing(0)).toEqual([]);
    expect(failing(1)).toEqual([]);
    // p90 400 ms: over the SLO's 100 ms at the step's end, and over 3x it (a clear breach) too.
    expect(failing(2)).toEqual(["p(90)<=300", "p(90)<=100"]);
  });
});
