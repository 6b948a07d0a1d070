import { describe, expect, it } from "vitest";
import { usdPerMillionAt, usdPerMonth } from "./cost.js";
import { DEFAULT_SLO, describeSlo, describeSloInFull, figuresMeetSlo, parseSloLabel, sloLabel, sloOfStack, stackSloSchema } from "./slo.js";

describe("Slo", () => {
  it("reads a stack file's SLO, shorthand or object, into the one Slo", () => {
    expect(sloOfStack(stackSloSchema.parse("p99<=0.25s"))).toEqual({ percentile: 99, latencyMs: 250, maxErrorRate: 0.01 });
    expect(sloOfStack(stackSloSchema.parse({}))).toEqual(DEFAULT_SLO);
  });

  it("writes and reads its results label", () => {
    const slo = { percentile: 95, latencyMs: 42.5, maxErrorRate: 0.005 };
    expect(sloLabel(slo)).toBe("p95<=42.5ms errors<=0.5%");
    expect(parseSloLabel(sloLabel(slo))).toEqual(slo);
    expect(parseSloLabel("p90<=100ms")).toEqual(DEFAULT_SLO);
    expect(() => parseSloLabel("p90 < 100")).toThrow(/write it as "p90<=100ms"/);
  });

  it("describes itself", () => {
    expect(describeSlo(DEFAULT_SLO)).toBe("p90 <= 100 ms");
    expect(describeSloInFull(DEFAULT_SLO)).toBe("p90 <= 100 ms, at most 1% errors");
  });

  it.each([
    [{ throughput: 10, latencyMs: { p90: 100 }, errorRate: 0.01 }, true],
    [{ throughput: 10, latencyMs: { p90: 100.1 }, errorRate: 0 }, false],
    [{ throughput: 10, latencyMs: { p90: 50 }, errorRate: 0.011 }, false],
    [{ throughput: 0, latencyMs: { p90: 50 }, errorRate: 0 }, false],
    [{ throughput: 10, latencyMs: { p99: 50 }, errorRate: 0 }, false],
  ])("judges %j: meets %s", (figures, meets) => {
    expect(figuresMeetSlo(figures, DEFAULT_SLO)).toBe(meets);
  });
});

describe("cost", () => {
  it("prices a million inferences and a month", () => {
    expect(usdPerMillionAt(0.36, 100)).toBeCloseTo(1, 12);
    expect(usdPerMillionAt(0.36, 0)).toBeUndefined();
    expect(usdPerMonth(1)).toBe(730);
  });
});
