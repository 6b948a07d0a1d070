import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bucketIndex,
  bucketValueMs,
  HISTOGRAM_BUCKETS,
  HISTOGRAM_HIGHEST_MS,
  HISTOGRAM_LOWEST_MS,
  LatencyHistogram,
  percentilesFromHistogram,
} from "./histogram.js";

function exactPercentile(sorted: number[], q: number): number {
  return sorted[Math.max(1, Math.ceil((q / 100) * sorted.length)) - 1]!;
}

// Latencies spread over the whole range on a log scale, as real latencies are.
const latency = fc.double({ min: Math.log(HISTOGRAM_LOWEST_MS), max: Math.log(HISTOGRAM_HIGHEST_MS), noNaN: true }).map(Math.exp);

describe("bucketIndex", () => {
  it("puts every value within 1% of its bucket's reported value", () => {
    fc.assert(
      fc.property(latency, (ms) => {
        expect(Math.abs(bucketValueMs(bucketIndex(ms)) - ms) / ms).toBeLessThanOrEqual(0.01);
      }),
    );
  });

  it("clamps values outside 50 us .. 60 s to the first and last bucket", () => {
    expect(bucketIndex(0)).toBe(0);
    expect(bucketIndex(0.001)).toBe(0);
    expect(bucketIndex(3_600_000)).toBe(HISTOGRAM_BUCKETS - 1);
    expect(bucketIndex(Number.NaN)).toBe(0);
  });

  it("is monotonic", () => {
    fc.assert(fc.property(latency, latency, (a, b) => (a <= b ? bucketIndex(a) <= bucketIndex(b) : bucketIndex(a) >= bucketIndex(b))));
  });
});

describe("LatencyHistogram", () => {
  it("gives percentiles within 1% of the exact ones on random data", () => {
    fc.assert(
      fc.property(fc.array(latency, { minLength: 1, maxLength: 2000 }), (values) => {
        const histogram = new LatencyHistogram();
        for (const v of values) histogram.record(v);
        const sorted = [...values].sort((a, b) => a - b);
        for (const q of [1, 50, 90, 95, 99, 99.9, 100]) {
          const exact = exactPercentile(sorted, q);
          expect(Math.abs(histogram.percentile(q) - exact) / exact).toBeLessThanOrEqual(0.01);
        }
        expect(histogram.percentile(100)).toBe(sorted.at(-1));
      }),
      { numRuns: 200 },
    );
  });

  it("keeps exact count, min, max and mean through JSON", () => {
    const histogram = new LatencyHistogram();
    for (const v of [1.5, 2.25, 10, 400]) histogram.record(v);
    const summary = percentilesFromHistogram(JSON.parse(JSON.stringify(histogram)));
    expect(summary).toMatchObject({ min: 1.5, max: 400, mean: (1.5 + 2.25 + 10 + 400) / 4 });
    expect(histogram.toJSON().count).toBe(4);
    expect(Object.keys(histogram.toJSON().buckets)).toHaveLength(4);
  });

  it("reports zeros when empty", () => {
    expect(new LatencyHistogram().summary()).toEqual({ min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 });
  });

  it("refuses to merge a histogram with other buckets, saying why", () => {
    const data = { ...new LatencyHistogram().toJSON(), growth: 1.05 };
    expect(() => new LatencyHistogram().merge(data)).toThrow(/growing by 1.05.*Re-run/);
  });
});
