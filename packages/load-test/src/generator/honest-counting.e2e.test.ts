// The generator never flatters: a broken answer with a 200 status, a 503 and a dropped body are
// each an error of its kind, outside the latency percentiles; per-target and per-model counts add
// up to the totals.
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { mergeResults } from "../merge.js";
import { parseResult } from "../results-schema.js";
import type { BadAnswer } from "./bad-answers.js";
import { startDelayServer, type DelayServer } from "./delay-server.js";
import { runLoad } from "./run-load.js";

let servers: DelayServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

describe("a response counts only when it is a 2xx whose body is the whole answer", () => {
  it.each<[BadAnswer | "503", string]>([
    ["truncated", "truncated_body"],
    ["endless", "body_too_large"],
    ["long-length", "length_mismatch"],
    ["short-length", "bad_body"],
    ["not-json", "bad_body"],
    ["503", "http_503"],
  ])("counts %s as %s, and keeps it out of the latency percentiles", async (bad, kind) => {
    // Every other request is broken; the good ones answer after 30 ms, the broken ones at once: if a
    // broken one counted as a success, p50 would drop far below 30 ms.
    const server = await startDelayServer({ delayMs: 30, behaviour: (n) => (n % 2 === 0 ? "ok" : bad) });
    servers.push(server);
    const result = parseResult(await runLoad({ targets: [server.url], models: ["model0"], mode: "rnd", concurrency: 1, maxRequests: 20 }));
    expect(result.requests).toBe(20);
    expect(result.errors).toEqual({ [kind]: 10 });
    expect(result.histogram.count).toBe(10);
    expect(result.latencyMs.min).toBeGreaterThanOrEqual(29);
    expect(result.throughput * result.durationSeconds).toBeCloseTo(10, 6);
  });
});

describe("per-target and per-model counts", () => {
  it("splits requests, errors and latency by server and by model, and they merge like the totals", async () => {
    const good = await startDelayServer({ delayMs: 2 });
    const failing = await startDelayServer({ behaviour: "503" });
    servers.push(good, failing);
    const options = { targets: [good.url, failing.url], models: ["model0", "model1"], mode: "seq" as const, maxRequests: 40 };
    const [a, b] = [parseResult(await runLoad(options)), parseResult(await runLoad(options))];
    for (const result of [a, b]) {
      expect(result.byTarget!.map((t) => [t.name, t.requests, t.errors, t.histogram.count])).toEqual([
        [good.url, 20, {}, 20],
        [failing.url, 20, { http_503: 20 }, 0],
      ]);
      expect(result.byModel!.map((m) => m.name)).toEqual(["model0", "model1"]);
      expect(result.byModel!.reduce((n, m) => n + m.requests, 0)).toBe(40);
      expect(result.byModel!.reduce((n, m) => n + m.histogram.count, 0)).toBe(result.histogram.count);
    }
    const merged = mergeResults([a, b]);
    expect(merged.byTarget!.map((t) => [t.name, t.requests, t.histogram.count])).toEqual([
      [good.url, 40, 40],
      [failing.url, 40, 0],
    ]);
    expect(merged.byTarget![0]!.histogram.count).toBe(merged.histogram.count);
  });
});

/** A TCP server that accepts and at once drops every connection, counting them: a server that died. */
async function startDeadServer(): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  server.on("connection", (socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("after the server dies, connection attempts back off", () => {
  it.each([
    ["closed loop, 16 workers", { mode: "bmk" as const, concurrency: 16 }],
    ["open loop, 2,000 req/s", { mode: "rate" as const, rate: 2000 }],
  ])("%s: a few dozen attempts in 1.5 s, and every request due counts as an error", async (_, options) => {
    const dead = await startDeadServer();
    try {
      const result = await runLoad({ targets: [dead.url], models: ["model0"], durationSeconds: 1.5, servers: [{ target: dead.url }], ...options });
      // 10 ms doubling to 1 s: the first wave, then about 8 probes. Without backoff this is thousands.
      expect(dead.connections()).toBeLessThan(60);
      expect(result.histogram.count).toBe(0);
      expect(Object.keys(result.errors)).toEqual(["connection"]);
      if (options.mode === "rate") expect(result.requests).toBeGreaterThan(2500);
    } finally {
      await dead.close();
    }
  });
});
