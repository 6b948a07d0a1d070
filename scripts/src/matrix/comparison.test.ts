import { describe, expect, it } from "vitest";
import { meetsSlo, pickCheapestMeetingSlo, renderComparisonMarkdown, summarizeStack } from "./comparison.js";
import type { Slo } from "@inference-fleet/fleet-config";
import { fakeResult } from "./test-fixtures.js";

const slo: Slo = { percentile: 90, latencyMs: 100, maxErrorRate: 0.01 };

// Prices from the catalog: c7i.4xlarge $0.714/h, c7g.4xlarge $0.58/h, g5.xlarge $1.006/h.
const c7i = summarizeStack("c7i", "c7i.4xlarge", 1, fakeResult({ requests: 10_000, latencyMs: 40 })); // 1000 req/s
const c7g = summarizeStack("c7g", "c7g.4xlarge", 1, fakeResult({ requests: 6_000, latencyMs: 60 })); // 600 req/s
const g5 = summarizeStack("g5", "g5.xlarge", 1, fakeResult({ requests: 30_000, latencyMs: 8 })); // 3000 req/s

describe("pickCheapestMeetingSlo", () => {
  it("picks the lowest USD per million inferences among stacks meeting the SLO", () => {
    // c7i: 0.714/3.6 = 0.198 $/M; c7g: 0.58/2.16 = 0.269 $/M; g5: 1.006/10.8 = 0.093 $/M.
    expect(pickCheapestMeetingSlo([c7i, c7g, g5], slo)?.stack).toBe("g5");
  });

  it("skips a cheaper stack that is too slow", () => {
    const slowG5 = summarizeStack("g5", "g5.xlarge", 1, fakeResult({ requests: 30_000, latencyMs: 150 }));
    expect(pickCheapestMeetingSlo([c7i, c7g, slowG5], slo)?.stack).toBe("c7i");
  });

  it("skips a stack with too many errors or a k6 threshold failure", () => {
    const erroring = summarizeStack("g5", "g5.xlarge", 1, fakeResult({ requests: 30_000, latencyMs: 8, errors: 600 }));
    const breached = summarizeStack("c7i", "c7i.4xlarge", 1, fakeResult({ requests: 10_000, latencyMs: 40 }), true);
    expect(pickCheapestMeetingSlo([breached, c7g, erroring], slo)?.stack).toBe("c7g");
  });

  it("judges by the SLO's percentile", () => {
    expect(meetsSlo(c7g, { ...slo, percentile: 99, latencyMs: 50 })).toBe(false);
    expect(pickCheapestMeetingSlo([c7i, c7g], { ...slo, latencyMs: 50 })?.stack).toBe("c7i");
  });

  it("counts node count in the cost", () => {
    const twoNodes = summarizeStack("g5x2", "g5.xlarge", 2, fakeResult({ requests: 10_000, latencyMs: 8 }));
    expect(twoNodes.usdPerHour).toBeCloseTo(2.012);
    expect(pickCheapestMeetingSlo([c7i, twoNodes], slo)?.stack).toBe("c7i");
  });

  it("returns undefined when nothing meets the SLO", () => {
    expect(pickCheapestMeetingSlo([c7i, c7g], { ...slo, latencyMs: 5 })).toBeUndefined();
  });
});

describe("renderComparisonMarkdown", () => {
  it("names the verdict, every stack, and the stacks that failed", () => {
    const markdown = renderComparisonMarkdown([c7i, g5], [{ stack: "inf2", reason: "wait failed: load-test pod k6-0 was OOMKilled" }], slo);
    expect(markdown).toContain("Cheapest meeting the SLO: g5.xlarge");
    expect(markdown).toMatch(/\| c7i\.4xlarge \| c7i \| 1 \| 1000\.0 \|/);
    expect(markdown).toContain("- inf2: wait failed: load-test pod k6-0 was OOMKilled");
  });
});

describe("stacks with their own SLOs", () => {
  it("judges each by its own and shows the SLO per row", () => {
    const strict = summarizeStack("g5", "g5.xlarge", 1, fakeResult({ requests: 30_000, latencyMs: 8 }), false, { ...slo, latencyMs: 5 });
    expect(meetsSlo(strict, slo)).toBe(false);
    expect(pickCheapestMeetingSlo([c7i, strict], slo)?.stack).toBe("c7i");
    const markdown = renderComparisonMarkdown([c7i, strict], [], slo);
    expect(markdown).toContain("each stack is judged against its own");
    expect(markdown).toMatch(/\| g5 \|.*\| p90 <= 5 ms, at most 1% errors \| no \|/);
  });
});

describe("a capacity search's summary", () => {
  const SLO = { percentile: 90, latencyMs: 100, maxErrorRate: 0.01 };
  const capacityOf = (capacityAtSlo: number) => ({ ...fakeResult({ requests: 5_000, latencyMs: 30 }), capacity: { capacityAtSlo, slo: SLO, steps: [] } });

  it("is priced at the capacity, not at the throughput of the step the file leads with", () => {
    const summary = summarizeStack("c7g", "c7g.4xlarge", 1, capacityOf(800));
    // c7g.4xlarge at $0.58/h serving 800 req/s: 0.58 / (800 * 3600 / 1e6) = $0.201 per million.
    expect(summary).toMatchObject({ capacityAtSlo: 800, throughput: 800 });
    expect(summary.usdPerMillionInferences).toBeCloseTo(0.58 / 2.88, 6);
    expect(meetsSlo(summary, slo)).toBe(true);
    expect(renderComparisonMarkdown([summary], [], slo)).toMatch(/\| c7g\.4xlarge \| c7g \| 1 \| 800\.0 \(capacity at SLO, not confirmed\) \| 30\.\d \|/);
  });

  it("meets no SLO when no step held (capacity 0)", () => {
    const summary = summarizeStack("c7g", "c7g.4xlarge", 1, capacityOf(0));
    expect(meetsSlo(summary, slo)).toBe(false);
    expect(pickCheapestMeetingSlo([summary, c7i], slo)?.stack).toBe("c7i");
  });
});
