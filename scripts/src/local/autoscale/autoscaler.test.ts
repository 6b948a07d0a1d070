// The loop's decisions with a fake metric source, fake servers and a fake clock: no process, no timer.
import { LoadTargets } from "@inference-fleet/load-test";
import { describe, expect, it } from "vitest";
import { Autoscaler, type AutoscaleRule, type MetricSource } from "./autoscaler.js";
import { QUEUE_DEPTH_METRIC, REQUEST_RATE_METRIC } from "./server-metric.js";

const RULE: AutoscaleRule = {
  triggers: [{ metric: QUEUE_DEPTH_METRIC, target: 2 }],
  min: 1,
  max: 4,
  tolerance: 0.1,
  scaleDownWindowSeconds: 5,
  intervalSeconds: 1,
};

/** A fake source: every server reads `value()` as its queue depth. */
const every = (value: () => number | undefined): MetricSource => ({
  read: async (targets) => ({ [QUEUE_DEPTH_METRIC]: targets.map(() => value()) }),
});

function harness(rule = RULE) {
  let now = 0;
  let next = 1;
  let metric = 0;
  const stopped: string[] = [];
  const loadTargets = new LoadTargets(["http://s0"]);
  const autoscaler = new Autoscaler(rule, {
    loadTargets,
    clock: { now: () => now },
    metrics: every(() => metric),
    servers: { start: async () => `http://s${next++}`, stop: async (url) => void stopped.push(url) },
  });
  /** Sets every server's metric, steps once a second later and lets starts and drains finish. */
  const tick = async (value: number) => {
    metric = value;
    now += 1000;
    await autoscaler.step();
    await autoscaler.settle();
    return loadTargets.current().length;
  };
  return { autoscaler, loadTargets, stopped, tick };
}

describe("Autoscaler", () => {
  it("scales out by the HPA rule when the servers run above the target, up to max", async () => {
    const { tick, loadTargets } = harness();
    expect(await tick(2)).toBe(1); // at the target: no change
    expect(await tick(5)).toBe(3); // ceil(1 x 5 / 2)
    expect(await tick(6)).toBe(4); // ceil(3 x 3) = 9, capped at max
    expect(loadTargets.current()).toEqual(["http://s0", "http://s1", "http://s2", "http://s3"]);
  });

  it("holds within the tolerance", async () => {
    const { tick } = harness();
    await tick(5);
    expect(await tick(2.15)).toBe(3);
    expect(await tick(1.85)).toBe(3);
  });

  it("scales down only after the window's highest recommendation allows it, newest server first, drained then stopped", async () => {
    const { tick, stopped, autoscaler } = harness();
    await tick(8); // 4 servers
    const replicas: number[] = [];
    for (let i = 0; i < 8; i++) replicas.push(await tick(0));
    // The recommendation of 4 (at t=1 s) stays in the 5 s window up to t=6 s; at t=7 s it is out, and min is left.
    expect(replicas).toEqual([4, 4, 4, 4, 4, 1, 1, 1]);
    expect(stopped).toEqual(["http://s3", "http://s2", "http://s1"]);
    const record = autoscaler.record();
    expect(record.events.filter((e) => e.action === "drained").map((e) => e.target)).toEqual(stopped);
    // Each point is what served when the decision was made.
    expect(record.points.map((p) => p.replicas)).toEqual([1, 4, 4, 4, 4, 4, 4, 1, 1]);
    expect(record.rule).toMatchObject({ metric: QUEUE_DEPTH_METRIC, target: 2, min: 1, max: 4 });
  });

  it("waits for a drained server's requests in flight before stopping it", async () => {
    let metric = 4;
    let now = 0;
    const stopped: string[] = [];
    const loadTargets = new LoadTargets(["http://s0"]);
    const autoscaler = new Autoscaler(
      { ...RULE, scaleDownWindowSeconds: 0 },
      {
        loadTargets,
        clock: { now: () => (now += 1000) },
        metrics: every(() => metric),
        servers: { start: async () => "http://s1", stop: async (url) => void stopped.push(url) },
      },
    );
    await autoscaler.step();
    await autoscaler.settle();
    expect(loadTargets.current()).toEqual(["http://s0", "http://s1"]);
    loadTargets.started("http://s1");
    metric = 0;
    await autoscaler.step();
    // Out of the load at once, but not stopped while its request is in flight.
    expect(loadTargets.current()).toEqual(["http://s0"]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toEqual([]);
    loadTargets.finished("http://s1");
    await autoscaler.settle();
    expect(stopped).toEqual(["http://s1"]);
  });

  it("keeps its server count when no server reports the metric", async () => {
    const { autoscaler, loadTargets } = harness();
    const blind = new Autoscaler(RULE, {
      loadTargets,
      clock: { now: () => 1000 },
      metrics: every(() => undefined),
      servers: { start: async () => "http://never", stop: async () => {} },
    });
    await blind.step();
    expect(blind.desired).toBe(1);
    expect(autoscaler.record().points).toEqual([]);
  });

  it("gives up a server that fails to start and says why", async () => {
    const loadTargets = new LoadTargets(["http://s0"]);
    const logged: string[] = [];
    const autoscaler = new Autoscaler(RULE, {
      loadTargets,
      clock: { now: () => 1000 },
      metrics: every(() => 4),
      servers: { start: async () => Promise.reject(new Error("port taken")), stop: async () => {} },
      log: (line) => logged.push(line),
    });
    await autoscaler.step();
    await autoscaler.settle();
    expect(autoscaler.desired).toBe(1);
    expect(autoscaler.startFailures).toEqual(["A server the autoscaler started did not become ready: port taken"]);
  });
});

/**
 * A ramp over servers of capacity 100 req/s each, the load spread evenly: each server serves min(load / n, 100) req/s and
 * queues only past its capacity (2 requests waiting per req/s over it). The shape of the real servers' metrics, with no
 * server: the rate grows with the load, the queue stays at 0 below saturation.
 */
function rampHarness(rule: AutoscaleRule) {
  let now = 0;
  let next = 1;
  let load = 0;
  const loadTargets = new LoadTargets(["http://s0"]);
  const metrics: MetricSource = {
    read: async (targets) => {
      const perServer = load / targets.length;
      return {
        [REQUEST_RATE_METRIC]: targets.map(() => Math.min(perServer, 100)),
        [QUEUE_DEPTH_METRIC]: targets.map(() => Math.max(0, perServer - 100) * 2),
      };
    },
  };
  const autoscaler = new Autoscaler(rule, {
    loadTargets,
    clock: { now: () => now },
    metrics,
    servers: { start: async () => `http://s${next++}`, stop: async () => {} },
  });
  /** One decision a second at `offered` req/s; the servers taking load after it. */
  const tick = async (offered: number) => {
    load = offered;
    now += 1000;
    await autoscaler.step();
    await autoscaler.settle();
    return loadTargets.current().length;
  };
  return { autoscaler, tick };
}

describe("Autoscaler on request rate and queue depth, under a ramp from 10% to 150% of one server's capacity", () => {
  const WINDOW = 5;
  const both: AutoscaleRule = {
    triggers: [
      { metric: REQUEST_RATE_METRIC, target: 70 },
      { metric: QUEUE_DEPTH_METRIC, target: 4 },
    ],
    min: 1,
    max: 4,
    tolerance: 0.1,
    scaleDownWindowSeconds: WINDOW,
    intervalSeconds: 1,
  };
  /** 10 to 150 req/s in steps of 5, then 2 s at 150, then no load for twice the window. */
  const ramp = [...Array.from({ length: 29 }, (_, i) => 10 + 5 * i), 150, 150];
  const run = async (rule: AutoscaleRule) => {
    const { tick, autoscaler } = rampHarness(rule);
    const during: number[] = [];
    for (const offered of ramp) during.push(await tick(offered));
    const after: number[] = [];
    for (let i = 0; i < 2 * WINDOW; i++) after.push(await tick(0));
    return { during, after, record: autoscaler.record() };
  };
  const decreases = (replicas: readonly number[]) => replicas.filter((r, i) => i > 0 && r < replicas[i - 1]!).length;

  it("scales out as the rate passes the target, never back in while the load rises, and ends with 2", async () => {
    const { during } = await run(both);
    expect(during[0]).toBe(1);
    expect(decreases(during)).toBe(0);
    // 150 req/s over 2 servers is 75 each: 7% over the target, within the tolerance, so 2 stay (3 would be 50 each).
    expect(during.at(-1)).toBe(2);
    // 1 server until the rate passes 70 x 1.1 = 77 (the tolerance): 75 req/s still 1, 80 req/s 2.
    expect(during[ramp.indexOf(75)]).toBe(1);
    expect(during[ramp.indexOf(80)]).toBe(2);
  });

  it("scales back to min after the ramp, only once the window has passed", async () => {
    const { after, record } = await run(both);
    // The recommendation of 2 made at the last loaded tick stays in the 5 s window for 5 more ticks.
    expect(after).toEqual([2, 2, 2, 2, 2, 1, 1, 1, 1, 1]);
    expect(record.rule.triggers!.map((t) => t.metric)).toEqual([REQUEST_RATE_METRIC, QUEUE_DEPTH_METRIC]);
    expect(record.points.at(-1)!.metrics).toEqual({ [REQUEST_RATE_METRIC]: 0, [QUEUE_DEPTH_METRIC]: 0 });
  });

  it("the same ramp on queue depth alone scales in while the load still rises (the flapping the rate removes)", async () => {
    const { during } = await run({ ...both, triggers: [{ metric: QUEUE_DEPTH_METRIC, target: 4 }], scaleDownWindowSeconds: 0 });
    expect(decreases(during)).toBeGreaterThan(0);
  });

  it("scales on queue depth when a saturated server's served rate is capped", async () => {
    // One server at 300 req/s serves 100 (rate alone: ceil(100 / 70) = 2), with 400 waiting: ceil(400 / 4), capped at 4.
    const { tick } = rampHarness(both);
    expect(await tick(300)).toBe(4);
  });
});
