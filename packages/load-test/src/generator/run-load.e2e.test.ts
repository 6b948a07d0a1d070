import { shardOwner } from "@inference-fleet/fleet-config";
import { afterEach, describe, expect, it } from "vitest";
import { parseResult } from "../results-schema.js";
import { startDelayServer, type DelayServer } from "./delay-server.js";
import { executionProvidersOf } from "../servers.js";
import { runLoad, type LoadProgress } from "./run-load.js";

let server: DelayServer | undefined;
let others: DelayServer[] = [];
afterEach(async () => {
  await Promise.all([server, ...others].map((s) => s?.close()));
  server = undefined;
  others = [];
});

const DELAY_MS = 50;

/** The generator's p50 within 10% of how long the server really took (its timers fire late when the machine is busy). */
function expectDelayMeasured(p50: number, server: DelayServer): void {
  const truth = server.served.percentile(50);
  expect(truth).toBeGreaterThanOrEqual(DELAY_MS - 1);
  expect(Math.abs(p50 - truth) / truth).toBeLessThan(0.1);
}

describe("runLoad against a real HTTP server that answers after 50 ms", () => {
  it("gets the delay right in closed loop (bmk) and stops on time", async () => {
    server = await startDelayServer({ delayMs: DELAY_MS });
    // Warm up (JIT, first connections): the server shares this process, so a cold start would show on both sides.
    await runLoad({ targets: [server.url], models: ["model0"], mode: "bmk", concurrency: 2, maxRequests: 10 });
    server.served.reset();
    const requestsBefore = server.requests();
    const started = Date.now();
    const result = parseResult(await runLoad({ targets: [server.url], models: ["model0", "model1"], mode: "bmk", concurrency: 1, durationSeconds: 1.5 }));
    const elapsed = (Date.now() - started) / 1000;
    expect(elapsed).toBeGreaterThanOrEqual(1.5);
    // Stopped means nothing is sent after it returns, not a wall-clock bound (a busy machine stretches those).
    const sentWhenDone = server.requests();
    expect(sentWhenDone - requestsBefore).toBe(result.requests + Object.values(result.errors).reduce((n, c) => n + c, 0));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(server.requests()).toBe(sentWhenDone);
    expectDelayMeasured(result.latencyMs.p50, server);
    // One worker at ~50 ms: at most 20 req/s, one request at a time, and the throughput is the requests counted over
    // the measured window. (One worker because the server shares this thread: replies due at once would wait for each
    // other here, which they would not on a separate server; the bench checks 32 connections against wrk with the
    // server in its own process.) A stalled machine only lowers it, so no lower bound is asserted.
    expect(result.requests).toBeGreaterThan(0);
    expect(result.throughput).toBeCloseTo(result.requests / result.durationSeconds, 6);
    expect(result.throughput).toBeLessThan((1000 / DELAY_MS) * 1.05);
    expect(result.errors).toEqual({});
    expect(result.requests).toBe(server.requests() - requestsBefore);
    expect(result.series.reduce((n, p) => n + p.requests, 0)).toBe(result.requests);
    expect(result.labels.generator).toBe("local");
  });

  it("gets the delay right in open loop (rate) and sends at the asked rate", async () => {
    server = await startDelayServer({ delayMs: DELAY_MS });
    const result = await runLoad({ targets: [server.url], models: ["model0"], mode: "rate", rate: 200, durationSeconds: 1.5 });
    expectDelayMeasured(result.latencyMs.p50, server);
    expect(result.requests).toBeGreaterThanOrEqual(295);
    expect(result.requests).toBeLessThanOrEqual(301);
    expect(result.errors).toEqual({});
  });

  it("counts queueing in open loop: latency runs from when a request was due", async () => {
    // One connection to a 20 ms server can answer 50 req/s; asked for 100 req/s for half a second,
    // the last requests wait about a quarter of a second for their turn, and that wait must show.
    server = await startDelayServer({ delayMs: 20 });
    const result = await runLoad({ targets: [server.url], models: ["model0"], mode: "rate", rate: 100, concurrency: 1, durationSeconds: 0.5 });
    expect(result.latencyMs.max).toBeGreaterThan(200);
  });

  it("stops at the request cap", async () => {
    server = await startDelayServer({ delayMs: 1 });
    const result = await runLoad({ targets: [server.url], models: ["model0"], mode: "seq", concurrency: 3, maxRequests: 50 });
    expect(result.requests).toBe(50);
    expect(server.requests()).toBe(50);
  });
});

describe("runLoad errors", () => {
  it("counts HTTP 503 and dropped connections by kind", async () => {
    server = await startDelayServer({ behaviour: (n) => (n % 3 === 0 ? "503" : n % 3 === 1 ? "drop" : "ok") });
    const result = await runLoad({ targets: [server.url], models: ["model0"], mode: "rnd", concurrency: 1, maxRequests: 90 });
    expect(result.requests).toBe(90);
    expect(result.errors).toEqual({ http_503: 30, connection: 30 });
    expect(result.histogram.count).toBe(30); // the successes only: neither 503s nor dropped connections are in the percentiles
  });

  it("counts a server that does not answer in time as a timeout", async () => {
    // undici checks response timeouts about once a second, so the server must be well slower than that.
    server = await startDelayServer({ delayMs: 2500 });
    const result = await runLoad({ targets: [server.url], models: ["model0"], mode: "rnd", concurrency: 2, maxRequests: 2, timeoutMs: 100 });
    expect(result.errors).toEqual({ timeout: 2 });
  });

  it("counts a server that is not there as connection errors", async () => {
    const result = await runLoad({ targets: ["http://127.0.0.1:9"], models: ["model0"], mode: "rnd", maxRequests: 3 });
    expect(result.errors).toEqual({ connection: 3 });
    expect(result.servers).toEqual([{ target: "http://127.0.0.1:9" }]);
  });

  it.each([
    [{ mode: "rate" as const }, /needs a rate/],
    [{ mode: "bmk" as const, rate: 5 }, /closed loop/],
    [{ mode: "ramp" as const }, /needs the rates it rises from and to/],
    [{ mode: "bmk" as const, targets: ["127.0.0.1:8080"] }, /not an http\(s\) URL/],
    [{ mode: "bmk" as const, durationSeconds: 5, warmupSeconds: 5 }, /warm-up \(5 s\) must be shorter than the duration \(5 s\), which includes it/],
    [{ mode: "bmk" as const, warmupSeconds: -1 }, /warm-up must be 0 or more seconds/],
  ])("rejects %o with a message saying what to do", async (options, message) => {
    await expect(runLoad({ targets: ["http://127.0.0.1:8080"], models: ["model0"], ...options })).rejects.toThrow(message);
  });
});

describe("runLoad warm-up", () => {
  it("sends load for the whole duration but counts nothing that finished in the warm-up", async () => {
    // 503s for the first 0.3 s, well inside the 0.6 s warm-up: none of them may show.
    const called = Date.now();
    server = await startDelayServer({ delayMs: 20, behaviour: () => (Date.now() < called + 300 ? "503" : "ok") });
    const reports: LoadProgress[] = [];
    const onProgress = (p: LoadProgress) => reports.push(p);
    const options = { targets: [server.url], models: ["model0"], mode: "bmk" as const, concurrency: 1, durationSeconds: 1.2, warmupSeconds: 0.6 };
    const result = parseResult(await runLoad({ ...options, onProgress, progressIntervalMs: 100 }));
    const elapsed = Date.now() - called;
    expect(elapsed).toBeGreaterThanOrEqual(1200);
    expect(result.errors).toEqual({});
    expect(result.warmupSeconds).toBe(0.6);
    expect(Date.parse(result.startTime) - called).toBeGreaterThanOrEqual(600);
    // The figures cover the measured window only: about 0.6 s of a 20 ms server, one request at a time.
    // The measured window is the 1.2 s run less its 0.6 s warm-up, never the whole run.
    expect(result.durationSeconds).toBeGreaterThanOrEqual(0.6);
    expect(result.durationSeconds).toBeLessThanOrEqual(elapsed / 1000 - 0.6 + 0.05);
    expect(result.throughput).toBeCloseTo(result.requests / result.durationSeconds, 6);
    expect(result.requests).toBeGreaterThan(0);
    // The warm-up's requests were sent (the server saw them) but not counted.
    expect(server.requests()).toBeGreaterThan(result.requests);
    expect(result.histogram.count).toBe(result.requests);
    expect(result.series.reduce((n, p) => n + p.requests, 0)).toBe(result.requests);
    expect(Math.min(...result.series.map((p) => p.second))).toBe(Math.floor(Date.parse(result.startTime) / 1000));
    expect(reports[0]).toMatchObject({ warmingUp: true, requests: 0, errors: 0 });
    expect(reports.at(-1)).toMatchObject({ warmingUp: false });
  });

  it.each([
    ["closed loop", { mode: "seq" as const, concurrency: 3 }],
    ["open loop", { mode: "rate" as const, rate: 400 }],
  ])("stops at a request cap that counts measured requests only (%s)", async (_, options) => {
    server = await startDelayServer({ delayMs: 5 });
    const result = await runLoad({ targets: [server.url], models: ["model0"], maxRequests: 40, warmupSeconds: 0.3, ...options });
    expect(result.requests).toBe(40);
    expect(result.histogram.count).toBe(40);
    expect(server.requests()).toBeGreaterThan(40);
  });
});

describe("runLoad asks the servers what they run on", () => {
  it("records each target's execution provider before the load, without counting it as load", async () => {
    server = await startDelayServer({ delayMs: 1, executionProvider: "cuda" });
    others = [await startDelayServer({ delayMs: 1 }), await startDelayServer({ delayMs: 1, executionProvider: "cpu" })];
    const targets = [server.url, ...others.map((o) => o.url)];
    const result = parseResult(await runLoad({ targets, models: ["model0", "model1"], mode: "seq", maxRequests: 12 }));
    const [unknown, cpu] = others.map((o) => o.url);
    expect(result.servers).toEqual([{ target: server.url, executionProvider: "cuda" }, { target: unknown }, { target: cpu, executionProvider: "cpu" }]);
    expect(executionProvidersOf(result).get(others[1]!.url)).toBe("cpu");
    expect(server.metadataRequests).toEqual(["/v2/models/model0"]);
    expect(server.requests() + others[0]!.requests() + others[1]!.requests()).toBe(12);
  });

  it("asks each server about a model it owns when models are sharded; a 404 is unknown, not a failure", async () => {
    const models = Array.from({ length: 8 }, (_, i) => `model${i}`);
    const owned = (index: number) => models.filter((model) => shardOwner(model, 3) === index);
    server = await startDelayServer({ delayMs: 1, executionProvider: "cuda", models: owned(0) });
    others = [
      await startDelayServer({ delayMs: 1, executionProvider: "cuda", models: owned(1) }),
      await startDelayServer({ delayMs: 1, executionProvider: "cuda", models: [] }),
    ];
    const targets = [server.url, ...others.map((o) => o.url)];
    const result = await runLoad({ targets, models, mode: "rnd", routing: "shard", maxRequests: 5 });
    expect(result.servers.map((s) => s.executionProvider)).toEqual(["cuda", "cuda", undefined]);
    expect(owned(0)).toContain(server.metadataRequests[0]!.split("/").at(-1));
    expect(result.requests).toBe(5);
  });
});

describe("runLoad control", () => {
  it("stops at once when aborted and returns what had finished", async () => {
    server = await startDelayServer({ delayMs: 5 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const result = await runLoad({ targets: [server.url], models: ["model0"], mode: "bmk", concurrency: 4, durationSeconds: 30, signal: controller.signal });
    // Its own account of the run, not the test's clock: stopped long before the 30 s it was planned for.
    expect(result.durationSeconds).toBeLessThan(15);
    expect(result.requests).toBeGreaterThan(20);
    expect(result.errors).toEqual({});
  });

  it("reports progress while running", async () => {
    server = await startDelayServer({ delayMs: 5 });
    const reports: LoadProgress[] = [];
    await runLoad({
      targets: [server.url],
      models: ["model0"],
      mode: "bmk",
      concurrency: 2,
      durationSeconds: 0.55,
      progressIntervalMs: 100,
      onProgress: (p) => reports.push(p),
    });
    expect(reports.length).toBeGreaterThanOrEqual(4);
    const last = reports.at(-1)!;
    expect(last.requests).toBeGreaterThan(0);
    expect(last.requestsPerSecond).toBeGreaterThan(0);
    expect(last.p90Ms).toBeGreaterThan(4);
  });
});
