import { describe, expect, it } from "vitest";
import { HISTOGRAM_BUCKETS } from "../histogram.js";
import { K6_ERROR_KINDS, REQUESTS_METRIC } from "./metrics.js";
import { keptParts, MAX_PART_RATES, partThresholds, sampleTagsOf } from "./parts.js";
import { staircaseFromEnv } from "./staircase.js";

const urls = (n: number) => Array.from({ length: n }, (_, i) => `http://s${i}:8080`);
const names = (n: number) => Array.from({ length: n }, (_, i) => `model${i}`);
const staircase = (rates: number, windows = 3) =>
  staircaseFromEnv({ CAPACITY_RATES: Array.from({ length: rates }, (_, i) => 100 * 2 ** i).join(","), CAPACITY_WINDOWS: String(windows) });
const COUNTERS = HISTOGRAM_BUCKETS + 2 + K6_ERROR_KINDS.length;

describe("the parts a k6 run keeps counts for", () => {
  it.each([
    ["a plain run of 2 servers and 2 models", { targets: urls(2), models: names(2) }, { targets: true, models: true }, 4],
    ["a refine pass (4 rates) of 5 servers and 4 models", { targets: urls(5), models: names(4), staircase: staircase(4) }, { targets: true, models: true }, 36],
    ["a confirmation hold of 5 servers and 4 models", { targets: urls(5), models: names(4), staircase: staircase(1) }, { targets: true, models: true }, 9],
    ["the first staircase (14 rates) of 5 servers", { targets: urls(5), models: names(4), staircase: staircase(14) }, { targets: false, models: false }, 0],
    ["a staircase of 13 rates, 1 server and 2 models", { targets: urls(1), models: names(2), staircase: staircase(13) }, { targets: true, models: true }, 39],
    ["a plain run of 2 servers with 60 models in repository mode", { targets: urls(2), models: names(60) }, { targets: true, models: false }, 2],
    ["a plain run of 60 servers and 1 model", { targets: urls(60), models: names(1) }, { targets: false, models: true }, 1],
  ])("%s", (_, plan, kept, partRates) => {
    expect(keptParts(plan)).toEqual(kept);
    // Every counted metric of each kept (part, rate), and never more than the budget's worth.
    expect(Object.keys(partThresholds(plan))).toHaveLength(partRates * COUNTERS);
    expect(partRates).toBeLessThanOrEqual(MAX_PART_RATES);
  });

  it("names per-rate submetrics in a staircase, whose windows share them", () => {
    const thresholds = partThresholds({ targets: urls(2), models: names(1), staircase: staircase(2, 3) });
    expect(Object.keys(thresholds).filter((name) => name.startsWith(`${REQUESTS_METRIC}{`))).toEqual([
      `${REQUESTS_METRIC}{rate:0,target:0}`,
      `${REQUESTS_METRIC}{rate:0,target:1}`,
      `${REQUESTS_METRIC}{rate:0,model:0}`,
      `${REQUESTS_METRIC}{rate:1,target:0}`,
      `${REQUESTS_METRIC}{rate:1,target:1}`,
      `${REQUESTS_METRIC}{rate:1,model:0}`,
    ]);
  });
});

describe("sampleTagsOf", () => {
  it("tags a sample with its target and model, and in a staircase with its scenario's step and rate", () => {
    const tagsOf = sampleTagsOf({ targets: urls(2), models: names(2), staircase: staircase(2, 3) });
    expect(tagsOf("step_04", 1, 0)).toEqual({ step: "4", rate: "1", target: "1", model: "0" });
    expect(tagsOf("step_00", 0, 1)).toEqual({ step: "0", rate: "0", target: "0", model: "1" });
    // Built once: the hot path hands k6 the same object every time.
    expect(tagsOf("step_04", 1, 0)).toBe(tagsOf("step_04", 1, 0));
    expect(sampleTagsOf({ targets: urls(2), models: names(2) })("rate", 1, 1)).toEqual({ target: "1", model: "1" });
  });
});
