// The loop's decisions with a fake metric source, fake servers and a fake clock: no process, no timer.
import { LoadTargets } from "@inference-fleet/load-test";
import { describe, expect, it } from "vitest";
import { Autoscaler, type AutoscaleRule } from "./autoscaler.js";
import { loadMetricOf } from "./server-metric.js";

const RULE: AutoscaleRule = {
  metric: "model_server_queue_depth",
  target: 2,
  min: 1,
  max: 4,
  tolerance: 0.1,
  scaleDownWindowSeconds: 5,
  intervalSeconds: 1,
};

function harness(rule = RULE) {
  let now = 0;
  let next = 1;
  let metric = 0;
  const stopped: string[] = [];
  const loadTargets = new LoadTargets(["http://s0"]);
  const autoscaler = new Autoscaler(rule, {
    loadTargets,
    clock: { now: () => now },
    metrics: { read: async (targets) => targets.map(() => metric) },
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
    expect(record.rule).toMatchObject({ target: 2, min: 1, max: 4 });
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
        metrics: { read: async (targets) => targets.map(() => metric) },
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
      metrics: { read: async (targets) => targets.map(() => undefined) },
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
      metrics: { read: async (targets) => targets.map(() => 4) },
      servers: { start: async () => Promise.reject(new Error("port taken")), stop: async () => {} },
      log: (line) => logged.push(line),
    });
    await autoscaler.step();
    await autoscaler.settle();
    expect(autoscaler.desired).toBe(1);
    expect(autoscaler.startFailures).toEqual(["A server the autoscaler started did not become ready: port taken"]);
  });
});

describe("loadMetricOf", () => {
  it("reads the queue depth summed over sessions (the cluster scalers' metric), else nothing", () => {
    expect(loadMetricOf('# HELP x\nmodel_server_requests_in_flight 3\nmodel_server_queue_depth{session="a"} 9\n')).toBe(9);
    expect(loadMetricOf('model_server_queue_depth{session="a"} 2\nmodel_server_queue_depth{session="b"} 1\n')).toBe(3);
    expect(loadMetricOf("model_server_requests_in_flight 3\nmodel_server_queue_depth_other 3\n")).toBeUndefined();
  });
});
