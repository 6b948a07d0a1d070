import { describe, expect, it } from "vitest";
import { HISTOGRAM_BUCKETS } from "../histogram.js";
import { k6ConfigFromEnv, parseLabels } from "./config.js";
import { errorMetric, K6_ERROR_KINDS, LATENCY_SUM_METRIC, latencyBucketMetric, REQUESTS_METRIC, SLO_FAILED_METRIC, SLO_LATENCY_METRIC } from "./metrics.js";

const base = { TARGETS: "http://s0:8080, http://s1:8080", MODELS: "model0,model1" };

describe("k6ConfigFromEnv", () => {
  it.each([
    ["seq", {}, { executor: "constant-vus", vus: 1, duration: "60s" }],
    ["rnd", { VUS: "4", MAX_REQUESTS: "100" }, { executor: "shared-iterations", vus: 4, iterations: 100, maxDuration: "60s" }],
    ["bmk", { DURATION: "5m" }, { executor: "constant-vus", vus: 8, duration: "5m" }],
    // The fleet config's duration grammar: a bare number is seconds.
    ["seq", { DURATION: "90" }, { executor: "constant-vus", vus: 1, duration: "90s" }],
    ["rate", { RATE: "250", VUS: "50" }, { executor: "constant-arrival-rate", rate: 250, timeUnit: "1s", duration: "60s", preAllocatedVUs: 50, maxVUs: 100 }],
    [
      "ramp",
      { RAMP_START_RATE: "10", RAMP_MAX_RATE: "2000", DURATION: "10m", MAX_VUS: "500" },
      { executor: "ramping-arrival-rate", startRate: 10, stages: [{ target: 2000, duration: "10m" }], maxVUs: 500 },
    ],
  ])("builds the %s scenario", (mode, env, scenario) => {
    const config = k6ConfigFromEnv({ ...base, MODE: mode, ...env });
    expect(config.options.scenarios![mode]).toMatchObject(scenario);
    expect(config.targets).toEqual(["http://s0:8080", "http://s1:8080"]);
  });

  it.each([
    [{}, "GET", "pair"],
    [{ METHOD: "post" }, "POST", "pair"],
    [{ TEXTS: "single" }, "POST", "single"],
  ])("reads what each request sends from %o", (env, method, texts) => {
    expect(k6ConfigFromEnv({ ...base, ...env })).toMatchObject({ method, texts });
  });

  it("reads the SLO, labels and pod index", () => {
    const config = k6ConfigFromEnv({
      ...base,
      SLO_PERCENTILE: "99",
      SLO_MS: "250",
      MAX_ERROR_RATE: "0.05",
      LABELS: "stack=g5,instanceType=g5.xlarge",
      POD_INDEX: "2",
    });
    expect(config.options.thresholds![SLO_LATENCY_METRIC]).toEqual(["p(99)<=250"]);
    expect(config.labels).toEqual({ stack: "g5", instanceType: "g5.xlarge", pod: "2", generator: "k6" });
    expect(config.resultsPath).toBe("/results/results-2.json");
  });

  it.each([
    [{ TARGETS: "" }, /Set TARGETS/],
    [{ MODE: "fast" }, /MODE="fast" is not a mode/],
    [{ DURATION: "ten" }, /not a k6 duration/],
    [{ DURATION: "0s" }, /not a k6 duration/],
    [{ RATE: "-1", MODE: "rate" }, /RATE="-1" is not valid/],
    [{ MODEL_DISTRIBUTION: "pareto" }, /uniform or zipf/],
    [{ WARMUP: "five" }, /WARMUP="five" is not a duration/],
    [{ WARMUP: "-1s" }, /WARMUP="-1s" is not a duration/],
    [{ WARMUP: "60s" }, /WARMUP="60s" must be shorter than DURATION="60s", which includes it/],
    [{ WARMUP: "2m", DURATION: "1m30s" }, /must be shorter than DURATION/],
    [{ TEXTS: "triple" }, /TEXTS="triple" must be pair \(seq_0 \+ seq_1\) or single \(seq_0 alone\)/],
  ])("explains a bad environment %o", (env, message) => {
    expect(() => k6ConfigFromEnv({ ...base, ...env })).toThrow(message);
  });

  it.each([
    [{}, 0],
    [{ WARMUP: "" }, 0],
    [{ WARMUP: "5s" }, 5],
    [{ WARMUP: "2.5s" }, 2.5],
    [{ WARMUP: "1m30s", DURATION: "5m" }, 90],
    [{ WARMUP: "500ms" }, 0.5],
    [{ WARMUP: "7" }, 7],
  ])("reads the warm-up %o as %s s", (env, seconds) => {
    expect(k6ConfigFromEnv({ ...base, ...env }).warmupSeconds).toBe(seconds);
  });

  it("keeps one scenario for the whole DURATION when the warm-up is time-based", () => {
    const config = k6ConfigFromEnv({ ...base, MODE: "rate", RATE: "50", WARMUP: "10s", DURATION: "1m" });
    expect(config.options.scenarios).toEqual({ rate: expect.objectContaining({ duration: "1m" }) });
  });

  it("warms a request-capped run up in a scenario of its own, so the cap counts measured requests", () => {
    const config = k6ConfigFromEnv({ ...base, MODE: "bmk", VUS: "4", MAX_REQUESTS: "100", WARMUP: "10s", DURATION: "1m" });
    expect(config.options.scenarios).toEqual({
      warmup: { executor: "constant-vus", vus: 4, duration: "10s" },
      bmk: { executor: "shared-iterations", vus: 4, iterations: 100, startTime: "10s", maxDuration: "50s" },
    });
  });

  it("rejects a label without a value", () => {
    expect(() => parseLabels("stack")).toThrow(/key=value/);
  });
});

describe("k6ConfigFromEnv: the capacity staircase", () => {
  const staircase = {
    ...base,
    MODE: "capacity",
    CAPACITY_RATES: "50,100,200,400",
    CAPACITY_WARMUP: "2s",
    CAPACITY_WINDOW: "8s",
    GENERATORS: "2",
    SLO_MS: "100",
  };

  it("runs one constant-arrival-rate scenario per step, each starting when the one before ends, tagged by step", () => {
    const config = k6ConfigFromEnv(staircase);
    expect(config.mode).toBe("rate");
    expect(config.warmupSeconds).toBe(2);
    expect(config.staircase!.totalSeconds).toBe(40);
    const scenarios = config.options.scenarios!;
    expect(Object.keys(scenarios)).toEqual(["step_00", "step_01", "step_02", "step_03"]);
    // Each of the 2 pods offers half of the step's total rate.
    expect(scenarios.step_00).toEqual({
      executor: "constant-arrival-rate",
      rate: 25,
      timeUnit: "1s",
      startTime: "0s",
      duration: "10s",
      // Little's law at 100 ms: 2.5 in flight at the SLO, twice the clear breach's 3x at most.
      preAllocatedVUs: 4,
      maxVUs: 16,
      gracefulStop: "10s",
      tags: { step: "0" },
    });
    expect(Object.values(scenarios).map((s) => [(s as { rate: number }).rate, s.startTime, (s as { duration: string }).duration, s.tags])).toEqual([
      [25, "0s", "10s", { step: "0" }],
      [50, "10s", "10s", { step: "1" }],
      [100, "20s", "10s", { step: "2" }],
      [200, "30s", "10s", { step: "3" }],
    ]);
    expect(config.staircase!.steps.map((s) => s.offeredRate)).toEqual([50, 100, 200, 400]);
  });

  it("caps each step's VUs (MAX_VUS, else 300 per pod) and counts a fractional share per 1000 s", () => {
    const config = k6ConfigFromEnv({ ...staircase, CAPACITY_RATES: "100,20000", GENERATORS: "3" });
    expect(config.options.scenarios!.step_00).toMatchObject({ rate: 33333, timeUnit: "1000s" });
    expect(config.options.scenarios!.step_01).toMatchObject({ preAllocatedVUs: 300, maxVUs: 300 });
    expect(k6ConfigFromEnv({ ...staircase, MAX_VUS: "40" }).options.scenarios!.step_03).toMatchObject({ preAllocatedVUs: 21, maxVUs: 40 });
  });

  it("declares a threshold on every per-step submetric the summary reads, and none that judges the SLO", () => {
    const thresholds = k6ConfigFromEnv(staircase).options.thresholds!;
    for (const step of [0, 1, 2, 3]) {
      for (const metric of [latencyBucketMetric(0), latencyBucketMetric(HISTOGRAM_BUCKETS - 1), LATENCY_SUM_METRIC, REQUESTS_METRIC, errorMetric("http_503")]) {
        expect(thresholds[`${metric}{step:${step}}`]).toEqual(["count>=0"]);
      }
    }
    // The staircase breaks the SLO on purpose: no whole-run SLO threshold.
    expect(thresholds[SLO_LATENCY_METRIC]).toBeUndefined();
    expect(thresholds[SLO_FAILED_METRIC]).toBeUndefined();
    // Per step: the counters and two SLO stops; per rate, the counters of each of 2 targets and 2 models.
    const counters = HISTOGRAM_BUCKETS + 2 + K6_ERROR_KINDS.length;
    expect(Object.keys(thresholds)).toHaveLength(4 * (counters + 2) + 4 * 4 * counters);
  });

  it("declares a threshold on every per-rate submetric of each target and model, so their counts reach the summary", () => {
    const windowed = k6ConfigFromEnv({ ...staircase, CAPACITY_WINDOWS: "2" });
    for (const rate of [0, 3]) {
      for (const part of ["target:0", "target:1", "model:0", "model:1"]) {
        for (const metric of [
          latencyBucketMetric(0),
          latencyBucketMetric(HISTOGRAM_BUCKETS - 1),
          LATENCY_SUM_METRIC,
          REQUESTS_METRIC,
          errorMetric("timeout"),
        ]) {
          expect(windowed.options.thresholds![`${metric}{rate:${rate},${part}}`]).toEqual(["count>=0"]);
        }
      }
    }
    // Per rate, not per window: two windows of a rate share its parts.
    expect(Object.keys(windowed.options.thresholds!).filter((name) => name.startsWith(`${REQUESTS_METRIC}{rate:`))).toHaveLength(4 * 4);
  });

  it("stops a pod on a clear breach 3 s into a step's window, and after a step that ended over the SLO", () => {
    const thresholds = k6ConfigFromEnv({ ...staircase, SLO_PERCENTILE: "99", MAX_ERROR_RATE: "0.02" }).options.thresholds!;
    // Step 2 starts at 20 s; its window runs from 22 s to 30 s.
    expect(thresholds[`${SLO_LATENCY_METRIC}{step:2}`]).toEqual([
      { threshold: "p(99)<=300", abortOnFail: true, delayAbortEval: "25s" },
      { threshold: "p(99)<=100", abortOnFail: true, delayAbortEval: "31s" },
    ]);
    expect(thresholds[`${SLO_FAILED_METRIC}{step:0}`]).toEqual([
      { threshold: "rate<0.5", abortOnFail: true, delayAbortEval: "5s" },
      { threshold: "rate<=0.02", abortOnFail: true, delayAbortEval: "11s" },
    ]);
  });

  it.each([
    [{ CAPACITY_RATES: "" }, /CAPACITY_RATES="" must list the steps' total rates/],
    [{ CAPACITY_RATES: "50,fast" }, /CAPACITY_RATES="50,fast"/],
    [{ CAPACITY_RATES: "50,-1" }, /CAPACITY_RATES="50,-1"/],
    [{ CAPACITY_WINDOW: "0s" }, /CAPACITY_WINDOW="0s" must be longer than 0 s/],
    [{ CAPACITY_WARMUP: "soon" }, /CAPACITY_WARMUP="soon" is not a duration/],
    [{ GENERATORS: "0" }, /GENERATORS="0" must be the number of k6 pods/],
  ])("explains a bad staircase %o", (env, message) => {
    expect(() => k6ConfigFromEnv({ ...staircase, ...env })).toThrow(message);
  });
});
