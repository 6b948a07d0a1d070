import { describe, expect, it } from "vitest";
import { k6ConfigFromEnv, parseLabels } from "./config.js";

const base = { TARGETS: "http://s0:8080, http://s1:8080", MODELS: "model0,model1" };

describe("k6ConfigFromEnv", () => {
  it.each([
    ["seq", {}, { executor: "constant-vus", vus: 1, duration: "60s" }],
    ["rnd", { VUS: "4", MAX_REQUESTS: "100" }, { executor: "shared-iterations", vus: 4, iterations: 100, maxDuration: "60s" }],
    ["bmk", { DURATION: "5m" }, { executor: "constant-vus", vus: 8, duration: "5m" }],
    ["rate", { RATE: "250", VUS: "50" }, { executor: "constant-arrival-rate", rate: 250, timeUnit: "1s", duration: "60s", preAllocatedVUs: 50, maxVUs: 100 }],
    ["ramp", { RAMP_START_RATE: "10", RAMP_MAX_RATE: "2000", DURATION: "10m", MAX_VUS: "500" }, { executor: "ramping-arrival-rate", startRate: 10, stages: [{ target: 2000, duration: "10m" }], maxVUs: 500 }],
  ])("builds the %s scenario", (mode, env, scenario) => {
    const config = k6ConfigFromEnv({ ...base, MODE: mode, ...env });
    expect(config.options.scenarios![mode]).toMatchObject(scenario);
    expect(config.targets).toEqual(["http://s0:8080", "http://s1:8080"]);
  });

  it("reads the SLO, labels and pod index", () => {
    const config = k6ConfigFromEnv({ ...base, SLO_PERCENTILE: "99", SLO_MS: "250", MAX_ERROR_RATE: "0.05", LABELS: "stack=g5,instanceType=g5.xlarge", POD_INDEX: "2" });
    expect(config.options.thresholds!.http_req_duration).toEqual(["p(99)<=250"]);
    expect(config.labels).toEqual({ stack: "g5", instanceType: "g5.xlarge", pod: "2", generator: "k6" });
    expect(config.resultsPath).toBe("/results/results-2.json");
  });

  it.each([
    [{ TARGETS: "" }, /Set TARGETS/],
    [{ MODE: "fast" }, /MODE="fast" is not a mode/],
    [{ DURATION: "ten" }, /not a k6 duration/],
    [{ RATE: "-1", MODE: "rate" }, /RATE="-1" is not valid/],
    [{ MODEL_DISTRIBUTION: "pareto" }, /uniform or zipf/],
  ])("explains a bad environment %o", (env, message) => {
    expect(() => k6ConfigFromEnv({ ...base, ...env })).toThrow(message);
  });

  it("rejects a label without a value", () => {
    expect(() => parseLabels("stack")).toThrow(/key=value/);
  });
});
