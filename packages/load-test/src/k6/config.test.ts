import { describe, expect, it } from "vitest";
import { k6ConfigFromEnv, parseLabels } from "./config.js";
import { SLO_LATENCY_METRIC } from "./metrics.js";

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
