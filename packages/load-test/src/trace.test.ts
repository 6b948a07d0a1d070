import { describe, expect, it } from "vitest";
import { SlowestRequests, slowestOf } from "./slowest.js";
import { parseServerTiming, traceIdOf, traceIds } from "./trace.js";

describe("traceIds", () => {
  it("gives valid, distinct traceparents whose trace id reads back", () => {
    const ids = traceIds();
    const seen = new Set<string>();
    for (let n = 0; n < 1000; n++) {
      const { traceId, traceparent } = ids(n);
      expect(traceIdOf(traceparent)).toBe(traceId);
      seen.add(traceId);
    }
    expect(seen.size).toBe(1000);
  });
  it("never makes an all-zero id, even from a random source that gives only zeros", () => {
    const { traceparent } = traceIds(() => 0)(0);
    expect(traceIdOf(traceparent)).toBeDefined();
  });
});

describe("traceIdOf", () => {
  it.each([
    ["00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "4bf92f3577b34da6a3ce929d0e0e4736"],
    ["00-00000000000000000000000000000000-00f067aa0ba902b7-01", undefined],
    ["00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", undefined],
    ["ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", undefined],
    ["not a traceparent", undefined],
    [undefined, undefined],
  ])("%s -> %s", (header, want) => {
    expect(traceIdOf(header)).toBe(want);
  });
});

describe("parseServerTiming", () => {
  it("reads queue, inference, batch and batch size", () => {
    expect(parseServerTiming('queue;dur=0.41, inference;dur=1.12, batch;desc="s0-17", batchsize;desc="4", other;dur=3')).toEqual({
      queueMs: 0.41,
      inferenceMs: 1.12,
      batch: "s0-17",
      batchSize: 4,
    });
  });
  it("gives undefined for no header or none of its metrics", () => {
    expect(parseServerTiming(undefined)).toBeUndefined();
    expect(parseServerTiming("cache;dur=2")).toBeUndefined();
  });
});

describe("SlowestRequests", () => {
  const request = (latencyMs: number) => ({ traceId: String(latencyMs), target: "t", latencyMs, at: new Date(0).toISOString() });
  it("keeps the ten slowest, slowest first, and admits only what would make the list", () => {
    const slowest = new SlowestRequests();
    for (const latency of [5, 50, 1, 30, 7, 90, 2, 3, 60, 4, 8, 9, 100, 0.5]) slowest.offer(request(latency));
    expect(slowest.list().map((r) => r.latencyMs)).toEqual([100, 90, 60, 50, 30, 9, 8, 7, 5, 4]);
    expect(slowest.admits(3)).toBe(false);
    expect(slowest.admits(4.5)).toBe(true);
  });
  it("merges lists from several generators into the slowest of all", () => {
    expect(slowestOf([request(1), request(9), request(5)], 2).map((r) => r.latencyMs)).toEqual([9, 5]);
  });
});
