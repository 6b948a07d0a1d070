import { describe, expect, it } from "vitest";
import {
  ConfigError,
  desiredReplicas,
  desiredReplicasOfMetrics,
  estimateUsdPerHour,
  fleetNodeBounds,
  loadStackConfig,
  parseFleetConfig,
  planStack,
  queueDepthTarget,
  requestRateTarget,
  serverReplicas,
  stabilizeReplicas,
  type Recommendation,
} from "./index.js";

describe("desiredReplicas (the HPA's ceil(current x average / target), tolerance 0.1)", () => {
  it.each([
    // current, per pod, target, min, max, expected, why
    [2, [8, 8], 4, 1, 10, 4, "twice the target doubles"],
    [3, [5, 6, 7], 4, 1, 10, 5, "ceil(3 x 6 / 4) = ceil(4.5)"],
    [4, [1, 1, 1, 1], 4, 1, 10, 1, "a quarter of the target scales down to a quarter"],
    [4, [4.3, 4.3, 4.3, 4.3], 4, 1, 10, 4, "7.5% over the target is within the tolerance"],
    [4, [3.7, 3.7, 3.7, 3.7], 4, 1, 10, 4, "7.5% under is within the tolerance too"],
    [4, [4.5, 4.5, 4.5, 4.5], 4, 1, 10, 5, "12.5% over scales: ceil(4.5)"],
    [2, [40, 40], 4, 1, 5, 5, "never above max"],
    [3, [0, 0, 0], 4, 2, 10, 2, "never below min"],
    [1, [0], 4, 2, 10, 2, "a count below min is raised to min"],
    [3, [], 4, 1, 10, 3, "no samples: no change"],
    [0, [], 4, 1, 10, 1, "a stopped workload with no samples goes to min"],
    [0, [3], 4, 2, 10, 2, "a stopped workload with work starts at min"],
  ])("current %i, per pod %j, target %d, [%i, %i] -> %i (%s)", (current, metricPerPod, target, min, max, expected) => {
    expect(desiredReplicas({ current, metricPerPod, target, min, max })).toBe(expected);
  });

  it.each([
    // current, per pod (fewer samples than pods), target, expected, why
    [3, [150], 70, 3, "1 of 3 reports 150: the 2 starting count 0, 150 / 3 = 50 is under 70, so no change (not ceil(3 x 150 / 70) = 7)"],
    [3, [300], 70, 5, "300 over 3 pods is 100 each: ceil(3 x 100 / 70) = 5"],
    [4, [10, 10], 70, 3, "2 of 4 report 10: the 2 others count at the target, (20 + 140) / 4 = 40: ceil(4 x 40 / 70) = 3"],
    [4, [60, 60], 70, 4, "the 2 silent pods at the target: (120 + 140) / 4 = 65, within the tolerance of 70"],
  ])("current %i, per pod %j, target %d -> %i (%s)", (current, metricPerPod, target, expected) => {
    expect(desiredReplicas({ current, metricPerPod, target, min: 1, max: 10 })).toBe(expected);
  });

  it("takes a tolerance of its own", () => {
    expect(desiredReplicas({ current: 4, metricPerPod: [4.3, 4.3, 4.3, 4.3], target: 4, min: 1, max: 10, tolerance: 0 })).toBe(5);
  });

  it.each([
    [{ target: 0 }, /target must be a positive number.*targetQueueDepth/],
    [{ min: 3, max: 2 }, /0 <= min <= max/],
  ])("refuses %j with a sentence that says what to do", (bad, message) => {
    expect(() => desiredReplicas({ current: 1, metricPerPod: [1], target: 4, min: 1, max: 4, ...bad })).toThrow(message);
  });
});

describe("desiredReplicasOfMetrics on request rate (target 70 req/s per pod) and queue depth (target 4 per pod)", () => {
  const RATE = 70;
  const DEPTH = 4;
  const decide = (current: number, ratePerPod: readonly number[], depthPerPod: readonly number[]) =>
    desiredReplicasOfMetrics({
      current,
      min: 1,
      max: 10,
      metrics: [
        { metricPerPod: ratePerPod, target: RATE },
        { metricPerPod: depthPerPod, target: DEPTH },
      ],
    });

  it("scales out on the rate while the queues are still empty (below saturation)", () => {
    // 150 req/s on one pod: ceil(150 / 70) = 3, though no request waits yet.
    expect(decide(1, [150], [0])).toBe(3);
  });

  it("keeps the count it chose when the same load spreads over the new pods (the queue-depth rule flapped here)", () => {
    // The 150 req/s over 3 pods: 50 each, ceil(3 x 50 / 70) = ceil(2.14) = 3; the queues read 0, which alone would say 1.
    expect(decide(3, [50, 50, 50], [0, 0, 0])).toBe(3);
    expect(desiredReplicas({ current: 3, metricPerPod: [0, 0, 0], target: DEPTH, min: 1, max: 10 })).toBe(1);
  });

  it.each([
    // current n, rate per pod r, expected: no scale-in while r > 70 x (n - 1) / n (the hysteresis), beyond the tolerance
    [3, 47, 3, "47 > 70 x 2/3 = 46.7: ceil(2.01) = 3, no scale-in"],
    [3, 46, 2, "46 < 46.7: ceil(1.97) = 2"],
    [4, 53, 4, "53 > 70 x 3/4 = 52.5: ceil(3.03) = 4"],
    [4, 52, 3, "52 < 52.5: ceil(2.97) = 3"],
    [2, 36, 2, "36 > 35: ceil(1.03) = 2"],
    [2, 34, 1, "34 < 35: ceil(0.97) = 1"],
  ])("with %i pods at %d req/s each -> %i (%s)", (current, rate, expected) => {
    expect(
      decide(
        current,
        Array.from({ length: current }, () => rate),
        [0],
      ),
    ).toBe(expected);
  });

  it("scales on queue depth when a saturated pod's served rate is capped at its capacity", () => {
    // Capacity 100 req/s: the rate alone asks ceil(100 / 70) = 2; 12 waiting per pod asks ceil(12 / 4) = 3.
    expect(decide(1, [100], [12])).toBe(3);
  });

  it("never scales down on one metric while the other has no samples", () => {
    expect(decide(3, [], [0, 0, 0])).toBe(3);
    expect(decide(3, [10, 10, 10], [])).toBe(3);
    expect(desiredReplicasOfMetrics({ current: 12, min: 1, max: 10, metrics: [] })).toBe(10);
  });
});

describe("requestRateTarget", () => {
  const withScaling = (autoscaling: object) => parseFleetConfig({ server: { autoscaling: { enabled: true, ...autoscaling } } });

  it("holds each pod at targetUtilization of the measured capacity", () => {
    expect(requestRateTarget(withScaling({ capacityPerServer: 200 }))?.perPod).toBeCloseTo(140);
    expect(requestRateTarget(withScaling({ capacityPerServer: 200, targetUtilization: 0.5 }))).toMatchObject({ perPod: 100, reason: /200 req\/s.*0.5/ });
  });

  it("has no target without a measured capacity", () => {
    expect(requestRateTarget(withScaling({}))).toBeUndefined();
  });

  it("refuses a utilization outside (0, 1]", () => {
    expect(() => withScaling({ capacityPerServer: 200, targetUtilization: 0 })).toThrow(/targetUtilization/);
    expect(() => withScaling({ capacityPerServer: 200, targetUtilization: 1.2 })).toThrow(/targetUtilization/);
  });
});

describe("stabilizeReplicas (the highest recommendation in the scale-down window)", () => {
  const run = (ticks: Array<[atSeconds: number, recommendation: number]>, windowSeconds: number): number[] => {
    let history: Recommendation[] = [];
    return ticks.map(([at, recommendation]) => {
      const step = stabilizeReplicas({ nowMs: at * 1000, recommendation, history, scaleDownWindowSeconds: windowSeconds });
      history = step.history;
      return step.replicas;
    });
  };

  it("scales up at once", () => {
    expect(
      run(
        [
          [0, 2],
          [15, 6],
        ],
        300,
      ),
    ).toEqual([2, 6]);
  });

  it("holds a scale-down until the window has seen only lower recommendations", () => {
    expect(
      run(
        [
          [0, 6],
          [60, 2],
          [200, 2],
          [299, 3],
          [300, 2],
          [301, 2],
          [600, 2],
        ],
        300,
      ),
    ).toEqual([6, 6, 6, 6, 6, 3, 2]);
    expect(
      run(
        [
          [0, 6],
          [60, 2],
          [301, 2],
          [600, 2],
        ],
        300,
      ),
    ).toEqual([6, 6, 2, 2]);
  });

  it("with a window of 0 follows each recommendation", () => {
    expect(
      run(
        [
          [0, 6],
          [1, 2],
          [2, 4],
        ],
        0,
      ),
    ).toEqual([6, 2, 4]);
  });

  it("keeps only the recommendations inside the window", () => {
    const first = stabilizeReplicas({ nowMs: 0, recommendation: 5, history: [], scaleDownWindowSeconds: 60 });
    const later = stabilizeReplicas({ nowMs: 61_000, recommendation: 1, history: first.history, scaleDownWindowSeconds: 60 });
    expect(later).toEqual({ replicas: 1, history: [{ atMs: 61_000, replicas: 1 }] });
  });
});

describe("the autoscaling and ha stack fields", () => {
  const on = { enabled: true };
  const problems = (input: unknown): string[] => {
    try {
      parseFleetConfig(input);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems.map((p) => `${p.path}: ${p.message}`);
      throw error;
    }
    return [];
  };

  it("are off by default, one pod per server", () => {
    const config = parseFleetConfig({});
    expect(config.server.autoscaling).toEqual({
      enabled: false,
      minReplicas: 1,
      maxReplicas: 3,
      targetUtilization: 0.7,
      scaleDownStabilizationSeconds: 300,
      interval: 1,
    });
    expect(config.cluster.ha).toBe(false);
    expect(serverReplicas(config)).toEqual({ min: 1, max: 1, initial: 1, autoscaled: false });
  });

  it("parse a duration for the stabilisation window", () => {
    expect(parseFleetConfig({ server: { autoscaling: { scaleDownStabilizationSeconds: "2m" } } }).server.autoscaling.scaleDownStabilizationSeconds).toBe(120);
  });

  it.each([
    [{ server: { autoscaling: { minReplicas: 4, maxReplicas: 2 } } }, /maxReplicas must be at least minReplicas/],
    [{ server: { autoscaling: on }, cluster: { autoscaler: false } }, /server.autoscaling.enabled: .*set cluster.autoscaler: true/],
    [{ server: { autoscaling: on }, observability: { enabled: false } }, /set observability.enabled: true/],
    [{ server: { autoscaling: on }, observability: { scrapeIntervalSeconds: 45 } }, /observability.scrapeIntervalSeconds: must divide 60/],
    [{ server: { autoscaling: on }, cluster: { existing: { clusterName: "x" } } }, /remove cluster.existing or turn autoscaling off/],
    [{ server: { autoscaling: on, image: "example.com/server:1" } }, /remove server.image/],
    [{ cluster: { ha: true, fleetNodes: 2 } }, /cluster.natGateways: must be onePerAz with cluster.ha/],
    [{ cluster: { ha: true, natGateways: "onePerAz" } }, /cluster.fleetNodes: must be at least 2 with cluster.ha/],
    [{ cluster: { ha: true, natGateways: "onePerAz", fleetNodes: 2 }, server: { autoscaling: on } }, /minReplicas: must be at least 2 with cluster.ha/],
  ])("refuse %j", (input, message) => {
    expect(problems(input).join("\n")).toMatch(message);
  });

  it("give each server two pods with ha, and minReplicas..maxReplicas with autoscaling", () => {
    const ha = parseFleetConfig({ cluster: { ha: true, natGateways: "onePerAz", fleetNodes: 2 } });
    expect(serverReplicas(ha)).toEqual({ min: 2, max: 2, initial: 2, autoscaled: false });
    const scaled = parseFleetConfig({ server: { autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 5 } } });
    expect(serverReplicas(scaled)).toEqual({ min: 2, max: 5, initial: 2, autoscaled: true });
  });
});

describe("queueDepthTarget", () => {
  const withScaling = (autoscaling: object, loadTest: object = {}) =>
    parseFleetConfig({ server: { maxBatch: 8, autoscaling: { enabled: true, ...autoscaling } }, loadTest });

  it.each([
    [{ targetQueueDepth: 12 }, {}, 12, "stack"],
    // 200 req/s x 0.1 s x (1 - 0.2) = 16
    [{ capacityPerServer: 200 }, { slo: "p90<=100ms" }, 16, "capacity"],
    // 200 x 0.05 x 0.5 = 5
    [{ capacityPerServer: 200 }, { slo: "p90<=50ms", sizing: { headroom: 0.5 } }, 5, "capacity"],
    // 3 x 0.1 x 0.8 = 0.24: never below one request
    [{ capacityPerServer: 3 }, {}, 1, "capacity"],
    [{}, {}, 8, "default"],
  ])("%j with load test %j -> %d per pod (%s)", (autoscaling, loadTest, perPod, source) => {
    expect(queueDepthTarget(withScaling(autoscaling, loadTest))).toMatchObject({ perPod, source });
  });

  it("says where the default comes from", () => {
    expect(queueDepthTarget(withScaling({})).reason).toMatch(/no measured capacity.*server.maxBatch 8/);
  });
});

describe("the fleet node group's bounds and price", () => {
  it("keeps min 0 and max fleetNodes on a fixed-size stack", () => {
    expect(fleetNodeBounds(loadStackConfig("c7i", { env: {} }))).toMatchObject({ min: 0, initial: 1, max: 1, serversPerNode: 5 });
  });

  it("makes room for every server at maxReplicas, above min", () => {
    const config = loadStackConfig("c7i", { env: { FLEET_SERVER_AUTOSCALING_ENABLED: "true", FLEET_SERVER_AUTOSCALING_MAX_REPLICAS: "3" } });
    // 5 servers x 3 pods, 5 per node
    expect(fleetNodeBounds(config)).toMatchObject({ min: 0, initial: 1, max: 3 });
    expect(estimateUsdPerHour(config).atMax?.fleetNodes).toBe(3);
  });

  it("keeps the ha nodes when idle and leaves room above them", () => {
    const ha = loadStackConfig("c7i-ha", { env: {} });
    const bounds = fleetNodeBounds(ha);
    expect(bounds).toMatchObject({ min: 2, initial: 2, max: 4 });
    expect(bounds.max).toBeGreaterThan(bounds.min);
    const idle = fleetNodeBounds(loadStackConfig("c7i-ha", { env: { FLEET_CLUSTER_IDLE: "true" } }));
    expect(idle).toMatchObject({ min: 2, initial: 2 });
  });

  it("places both pods of every ha server on the two nodes", () => {
    const plan = planStack(loadStackConfig("c7i-ha", { env: {} }));
    expect(plan.fits).toBe(true);
    const fleet = plan.nodeGroups.find((g) => g.role === "fleet")!;
    expect(fleet.nodes.flatMap((n) => n.pods.map((p) => p.name)).sort()).toEqual(
      ["server0", "server0-2", "server1", "server1-2", "server2", "server2-2", "server3", "server3-2", "server4", "server4-2"].sort(),
    );
    const system = plan.nodeGroups.find((g) => g.role === "system")!;
    expect(system.nodes.flatMap((n) => n.pods.map((p) => p.name))).toEqual(
      expect.arrayContaining(["keda-operator", "keda-metrics-apiserver", "keda-admission-webhooks"]),
    );
  });

  it("prices ha above the same fleet without it: a second fleet node and a NAT gateway per zone", () => {
    const plain = estimateUsdPerHour(loadStackConfig("c7i", { env: {} }));
    const ha = estimateUsdPerHour(loadStackConfig("c7i-ha", { env: {} }));
    expect(ha.natGateways - plain.natGateways).toBeCloseTo(2 * 0.045, 6);
    expect(ha.nodes - plain.nodes).toBeCloseTo(0.714, 3);
    expect(ha.idle.nodes - plain.idle.nodes).toBeCloseTo(2 * 0.714, 3);
  });
});
