import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CapacityStep } from "./capacity/step.js";
import { LatencyHistogram } from "./histogram.js";
import { mergeResults } from "./merge.js";
import { ResultRecorder, type ResultMeta } from "./recorder.js";
import { parseResult } from "./results-schema.js";

const meta: ResultMeta = { generator: "k6", mode: "rate", targets: ["http://a"], models: ["model0"], labels: { stack: "c7g", instanceType: "c7g.xlarge" } };
const START = Date.UTC(2025, 0, 1, 12, 0, 0, 250);
const END = START + 20_000;

type Outcome = { atMs: number; latencyMs: number; status: number } | { atMs: number; failure: "timeout" | "connection" };

const outcome: fc.Arbitrary<Outcome> = fc.oneof(
  fc.record({
    atMs: fc.integer({ min: START, max: END }),
    latencyMs: fc.double({ min: 0.01, max: 70_000, noNaN: true }),
    status: fc.constantFrom(200, 200, 200, 500, 503),
  }),
  fc.record({ atMs: fc.integer({ min: START, max: END }), failure: fc.constantFrom("timeout" as const, "connection" as const) }),
);

function record(outcomes: Outcome[], warmupSeconds = 0) {
  const recorder = new ResultRecorder(START, warmupSeconds);
  for (const o of outcomes) {
    if ("failure" in o) recorder.recordFailure(o.failure, o.atMs);
    else recorder.recordResponse(o.latencyMs, o.status, o.atMs);
  }
  return recorder.finish(meta, END);
}

describe("mergeResults", () => {
  it("merging a run split at random equals the result of the whole run", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(outcome, fc.nat(4)), { maxLength: 400 }), (tagged) => {
        const whole = record(
          tagged.map(([o]) => o),
          3,
        );
        const parts = [0, 1, 2, 3, 4].map((part) =>
          record(
            tagged.filter(([, p]) => p === part).map(([o]) => o),
            3,
          ),
        );
        const merged = mergeResults(parts.map((p) => parseResult(JSON.parse(JSON.stringify(p)))));
        expect(merged).toEqual({ ...whole, sources: 5 });
      }),
      { numRuns: 100 },
    );
  });

  it("keeps the labels all parts agree on and drops the rest", () => {
    const a = { ...record([]), labels: { stack: "c7g", pod: "0" } };
    const b = { ...record([]), labels: { stack: "c7g", pod: "1" } };
    expect(mergeResults([a, b]).labels).toEqual({ stack: "c7g" });
  });

  it("keeps the warm-up and unions the servers by target, a known provider winning over an unknown one", () => {
    const a = { ...record([]), warmupSeconds: 5, servers: [{ target: "http://a", executionProvider: "cuda" }, { target: "http://b" }] };
    const b = { ...record([]), warmupSeconds: 5, servers: [{ target: "http://b", executionProvider: "cpu" }, { target: "http://c" }] };
    const merged = mergeResults([a, b]);
    expect(merged.warmupSeconds).toBe(5);
    const expected = [{ target: "http://a", executionProvider: "cuda" }, { target: "http://b", executionProvider: "cpu" }, { target: "http://c" }];
    expect(merged.servers).toEqual(expected);
  });

  it("reads files written before warm-up and servers were recorded, and merges them with new ones", () => {
    const { warmupSeconds: _w, servers: _s, ...old } = record([]);
    const parsed = parseResult(JSON.parse(JSON.stringify(old)));
    expect(parsed).toMatchObject({ warmupSeconds: 0, servers: [] });
    const servers = [{ target: "http://a", executionProvider: "cpu" }];
    expect(mergeResults([parsed, { ...record([]), servers }]).servers).toEqual(servers);
  });

  it("merges capacity searches step by step (same offered rate) and computes the capacity again", () => {
    const slo = { percentile: 90, latencyMs: 100, maxErrorRate: 0.01 };
    const capacityStep = (offeredRate: number, ms: number[], achievedRate: number): CapacityStep => {
      const histogram = new LatencyHistogram();
      for (const m of ms) histogram.record(m);
      const data = histogram.toJSON();
      return {
        offeredRate,
        achievedRate,
        durationSeconds: 8,
        warmupSeconds: 2,
        requests: ms.length,
        errors: {},
        histogram: data,
        latencyMs: histogram.summary(),
      };
    };
    // Pod A alone holds 200 req/s (its p90 reads 20 ms), but the merged step's p90 is 150 ms: only the merged steps tell.
    const podA = [capacityStep(100, [10, 10, 10, 10, 10, 10, 10, 10, 10, 10], 50), capacityStep(200, [...Array<number>(9).fill(20), 150], 100)];
    const podB = [capacityStep(100, [12, 12, 12, 12, 12, 12, 12, 12, 12, 12], 50), capacityStep(200, [...Array<number>(8).fill(20), 150, 150], 100)];
    const a = { ...record([]), capacity: { capacityAtSlo: 200, slo, steps: podA } };
    const b = { ...record([]), capacity: { capacityAtSlo: 100, slo, steps: podB } };
    const merged = mergeResults([a, b].map((r) => parseResult(JSON.parse(JSON.stringify(r)))));
    expect(merged.capacity!.steps.map((s) => [s.offeredRate, s.achievedRate, s.requests])).toEqual([
      [100, 100, 20],
      [200, 200, 20],
    ]);
    expect(merged.capacity!.steps[1]!.histogram).toEqual(LatencyHistogram.from(podA[1]!.histogram).merge(podB[1]!.histogram).toJSON());
    expect(merged.capacity).toMatchObject({ capacityAtSlo: 100, slo });
    // The pods led with different steps (200 and 100); the merged result leads with the merged step at the capacity.
    expect(merged).toMatchObject({ requests: 20, throughput: 100, durationSeconds: 8, warmupSeconds: 2, histogram: merged.capacity!.steps[0]!.histogram });
    expect(merged.latencyMs.p90).toBeCloseTo(12, 0);
    expect(() => mergeResults([a, record([])])).toThrow(/capacity search and some do not/);
    expect(() => mergeResults([a, { ...b, capacity: { ...b.capacity, slo: { ...slo, latencyMs: 50 } } }])).toThrow(/different SLOs/);
    expect("capacity" in mergeResults([record([]), record([])])).toBe(false);
  });

  it("refuses to merge different modes and empty input", () => {
    expect(() => mergeResults([])).toThrow(/at least one/);
    expect(() => mergeResults([record([]), { ...record([]), mode: "bmk" }])).toThrow(/different modes/);
  });
});
