import { describe, expect, it } from "vitest";
import { parseFleetConfig } from "../parse.js";
import { loadStackConfig, listStacks, defaultStacksDir } from "../stack-file.js";
import { clusterWorkloads } from "./cluster-workloads.js";
import { estimateUsdPerHour } from "./cost.js";
import { planStack } from "./stack-plan.js";

describe("add-on pods in the plan", () => {
  it("puts the CloudWatch agent on every node, the DCGM exporter on GPU nodes, and the controllers on system nodes", () => {
    const config = parseFleetConfig({ instanceType: "g5.xlarge", loadTest: { instanceType: "c7i.2xlarge" }, server: { expose: "nlb" } });
    const { system, fleet } = clusterWorkloads(config);
    expect(fleet.daemonSets.map((d) => d.name)).toEqual(expect.arrayContaining(["cloudwatch-agent", "dcgm-exporter"]));
    expect(system.daemonSets.map((d) => d.name)).toContain("cloudwatch-agent");
    expect(system.pods.map((p) => p.name)).toEqual(
      expect.arrayContaining([
        "cloudwatch-operator",
        "cloudwatch-agent-prometheus",
        "aws-load-balancer-controller-0",
        "aws-load-balancer-controller-1",
        "cluster-autoscaler",
      ]),
    );
    expect(fleet.pods.every((p) => p.name.startsWith("server"))).toBe(true);
  });

  it("leaves them out when turned off", () => {
    const config = parseFleetConfig({ observability: { enabled: false }, cluster: { autoscaler: false } });
    const { system } = clusterWorkloads(config);
    expect(system.pods.map((p) => p.name)).toEqual(["coredns-0", "coredns-1", "k6-0"]);
  });

  it.each(listStacks(defaultStacksDir(import.meta.dirname)))("still fits stack %s with every add-on", (stack) => {
    expect(planStack(loadStackConfig(stack, { env: {} })).problems).toEqual([]);
  });
});

describe("idle and running cost", () => {
  it("drops the fleet nodes when idle under the autoscaler", () => {
    const config = parseFleetConfig({ instanceType: "c7g.4xlarge", cluster: { systemNodes: 2 } });
    const cost = estimateUsdPerHour(config);
    expect(cost.total).toBeCloseTo(0.58 + 2 * 0.357 + 0.1 + 0.045, 6);
    expect(cost.idle.total).toBeCloseTo(2 * 0.357 + 0.1 + 0.045, 6);
  });
  it("keeps them without it", () => {
    const cost = estimateUsdPerHour(parseFleetConfig({ cluster: { autoscaler: false } }));
    expect(cost.idle.total).toBe(cost.total);
  });
});

describe("the new config fields' checks", () => {
  it.each([
    [{ loadTest: { target: "loadBalancer" } }, /loadTest\.target.*set server\.expose to nlb or alb/],
    [{ server: { internetFacing: true } }, /server\.internetFacing.*set server\.expose/],
    [{ cluster: { idle: true, autoscaler: false } }, /cluster\.idle.*set cluster\.autoscaler: true/],
  ])("refuses %j, saying what to do", (input, message) => {
    expect(() => parseFleetConfig(input)).toThrow(message);
  });
});
