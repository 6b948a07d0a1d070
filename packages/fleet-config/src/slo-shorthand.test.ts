import { describe, expect, it } from "vitest";
import { parseFleetConfig } from "./parse.js";

const sloOf = (slo: string) => parseFleetConfig({ loadTest: { slo } }).loadTest.slo;

describe("the SLO shorthand", () => {
  it.each([
    ["p90<=100ms", "p90", 100],
    ["p99 <= 250 ms", "p99", 250],
    ["p95<=0.2s", "p95", 200],
  ])("reads %s", (text, percentile, thresholdMs) => {
    expect(sloOf(text)).toMatchObject({ percentile, thresholdMs });
  });

  it.each([
    ["p90<=100", /SLO "p90<=100" has no unit: write "p90<=100ms" \(or s\)/],
    ["p90<100ms", /SLO "p90<100ms" uses "<": an SLO holds while the percentile is at most the threshold, so write "p90<=100ms"/],
    ["p80<=100ms", /SLO "p80<=100ms" is not understood: write it as "p90<=100ms"/],
    ["fast", /SLO "fast" is not understood/],
  ])("refuses %s saying what to write", (text, message) => {
    expect(() => sloOf(text)).toThrow(message);
  });
});
