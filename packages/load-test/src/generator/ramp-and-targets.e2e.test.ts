// Ramp mode and a changing set of servers, against real HTTP servers on loopback (the delay server).
import { afterEach, describe, expect, it } from "vitest";
import { parseResult } from "../results-schema.js";
import { totalErrors } from "../results.js";
import { traceIdOf } from "../trace.js";
import { startDelayServer, type DelayServer } from "./delay-server.js";
import { LoadTargets } from "./load-targets.js";
import { rampSchedule, runLoad } from "./run-load.js";

const servers: DelayServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(delayMs = 5): Promise<DelayServer> {
  const s = await startDelayServer({ delayMs });
  servers.push(s);
  return s;
}

/** How many requests a schedule makes due before `ms`. */
function dueBefore(schedule: (n: number) => number, ms: number): number {
  let n = 0;
  while (schedule(n) < ms) n++;
  return n;
}

describe("rampSchedule", () => {
  it("rises linearly: from*t + (to-from)*t^2/(2*duration) requests are due by t", () => {
    const schedule = rampSchedule(20, 100, 2);
    expect(dueBefore(schedule, 1000)).toBe(40); // 20 + 80/4
    expect(dueBefore(schedule, 2000)).toBe(120); // 40 + 80
    // The gap between requests shrinks from 1/20 s to 1/100 s.
    expect(schedule(1) - schedule(0)).toBeGreaterThan(45);
    expect(schedule(1) - schedule(0)).toBeLessThan(50);
    expect(schedule(119) - schedule(118)).toBeLessThan(11);
  });
  it("holds a flat rate when from equals to", () => {
    expect(dueBefore(rampSchedule(50, 50, 2), 2000)).toBe(100);
  });
});

describe("runLoad ramp mode", () => {
  it("sends exactly the requests the ramp makes due, each once, each with its own traceparent", async () => {
    const s = await server();
    const result = parseResult(await runLoad({ targets: [s.url], models: ["model0"], mode: "ramp", rampFrom: 20, rampTo: 100, durationSeconds: 2 }));
    expect(result.requests).toBe(dueBefore(rampSchedule(20, 100, 2), 2000));
    expect(result.errors).toEqual({});
    expect(s.requests()).toBe(result.requests);
    expect(result.mode).toBe("ramp");
    // The ten slowest, slowest first, each named by a valid trace id.
    const slowest = result.slowest!;
    expect(slowest).toHaveLength(10);
    expect(slowest.map((r) => r.latencyMs)).toEqual([...slowest.map((r) => r.latencyMs)].sort((a, b) => b - a));
    expect(new Set(slowest.map((r) => r.traceId)).size).toBe(10);
    for (const r of slowest) expect(traceIdOf(`00-${r.traceId}-0000000000000001-01`)).toBe(r.traceId);
  });

  it("refuses a ramp without its rates or its duration", async () => {
    await expect(runLoad({ targets: ["http://127.0.0.1:9"], models: ["m"], mode: "ramp", durationSeconds: 1 })).rejects.toThrow(/rises from and to/);
    await expect(runLoad({ targets: ["http://127.0.0.1:9"], models: ["m"], mode: "ramp", rampFrom: 1, rampTo: 2 })).rejects.toThrow(/needs a duration/);
  });
});

describe("runLoad over servers that join and leave", () => {
  it("spreads over a server once it joins, and a drained server gets nothing after its last answer, with no request lost", async () => {
    const [s0, s1] = [await server(), await server()];
    const targets = new LoadTargets([s0.url]);
    const rate = 200;
    const running = runLoad({ targets: [s0.url], models: ["model0"], mode: "rate", rate, durationSeconds: 2, loadTargets: targets, serverMetrics: false });
    await new Promise((resolve) => setTimeout(resolve, 600));
    targets.add(s1.url);
    await new Promise((resolve) => setTimeout(resolve, 600));
    await targets.drain(s0.url);
    // Drained: none of its requests is in flight, and none goes to it from now on.
    expect(targets.inFlightTo(s0.url)).toBe(0);
    const s0AtDrain = s0.requests();
    const result = parseResult(await running);
    expect(s0.requests()).toBe(s0AtDrain);
    expect(result.requests).toBe(dueBefore(rampSchedule(rate, rate, 2), 2000));
    expect(totalErrors(result.errors)).toBe(0);
    expect(result.targets).toEqual([s0.url, s1.url]);
    const byTarget = Object.fromEntries(result.byTarget!.map((p) => [p.name, p.requests]));
    expect(byTarget[s0.url]).toBe(s0.requests());
    expect(byTarget[s1.url]).toBe(s1.requests());
    expect(byTarget[s1.url]).toBeGreaterThan(0);
  });

  it("sends each request to the server with the fewest in flight, so a slow server gets few", async () => {
    const [fast, slow] = [await server(2), await server(300)];
    const targets = new LoadTargets([fast.url, slow.url]);
    const result = await runLoad({ targets: [fast.url, slow.url], models: ["model0"], mode: "rate", rate: 100, durationSeconds: 1, loadTargets: targets });
    expect(result.requests).toBe(100);
    // Round-robin would give the slow server half; it gets a request only when the fast one has none in flight either.
    expect(slow.requests()).toBeLessThan(fast.requests() / 3);
  });

  it("refuses to drain the last server and refuses servers that change under a closed loop", async () => {
    const targets = new LoadTargets(["http://127.0.0.1:9"]);
    await expect(targets.drain("http://127.0.0.1:9")).rejects.toThrow(/last server taking load/);
    await expect(runLoad({ targets: ["http://127.0.0.1:9"], models: ["m"], mode: "bmk", loadTargets: targets })).rejects.toThrow(/need an open loop/);
  });

  it("sends a request refused by a server that went away to another server, and counts it once", async () => {
    const s0 = await server();
    const gone = await server();
    const goneUrl = gone.url;
    await gone.close();
    servers.splice(servers.indexOf(gone), 1);
    const result = parseResult(
      await runLoad({ targets: [s0.url, goneUrl], models: ["model0"], mode: "rate", rate: 100, durationSeconds: 1, retryRefused: true, serverMetrics: false }),
    );
    expect(result.requests).toBe(100);
    expect(result.errors).toEqual({});
    expect(s0.requests()).toBe(100);
  });
});
