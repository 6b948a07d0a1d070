import { describe, expect, it } from "vitest";
import { ConfigError } from "../config-error.js";
import { parseFleetConfig } from "../parse.js";
import { listStacks, loadStackConfig } from "../stack-file.js";
import { clusterWorkloads } from "./cluster-workloads.js";
import { placePods } from "./fit.js";
import { nodeAllocatable } from "./node-capacity.js";
import { getInstanceType } from "../catalog.js";
import { quotaNeeds, sumQuotaNeeds } from "./quotas.js";
import { assertStackRuns, planStack } from "./stack-plan.js";

describe("planStack", () => {
  it.each(listStacks())("stack %s fits its nodes", (stack) => {
    const plan = planStack(loadStackConfig(stack, { env: {} }));
    expect(plan.problems).toEqual([]);
    expect(plan.fits).toBe(true);
  });

  it("finds that four 4-CPU servers do not fit one c7i.4xlarge, naming the pod, the node and the shortfall", () => {
    const config = parseFleetConfig({
      instanceType: "c7i.4xlarge",
      server: { numServers: 4, resources: { cpu: "4", memory: "6Gi" } },
      cluster: { prePullImages: true },
    });
    const plan = planStack(config);
    expect(plan.fits).toBe(false);
    expect(plan.problems).toEqual([
      expect.objectContaining({
        path: "server.numServers",
        message: expect.stringMatching(
          /^does not fit: server3 needs 4 CPU, 6 GiB memory; 3\.505 CPU, 9\.4 GiB memory left on c7i\.4xlarge node 1 of 1 after 3 pod\(s\) \(server0, server1, server2\): not enough CPU\./,
        ),
      }),
    ]);
    expect(() => assertStackRuns(config, "test")).toThrow(ConfigError);
  });

  it.each(listStacks())("stack %s can roll a new server image: a surge pod fits beside the servers, or the old server goes first", (stack) => {
    const config = loadStackConfig(stack, { env: {} });
    const plan = planStack(config);
    const fleet = plan.nodeGroups.find((group) => group.role === "fleet")!;
    const { daemonSets, pods } = clusterWorkloads(config).fleet;
    // The rollout's extra pod, placed after every server as the scheduler would meet it.
    const withSurge = placePods(fleet.allocatable, fleet.count, daemonSets, [...pods, { ...pods[0]!, name: "surge" }]);
    if (plan.rollout.strategy === "surge") expect(withSurge.unplaced).toEqual([]);
    else expect(withSurge.unplaced.map((u) => u.pod.name)).toEqual(["surge"]);
  });

  it("replaces servers one at a time on a full node, and surges where there is room", () => {
    const full = planStack(parseFleetConfig({ instanceType: "c7i.4xlarge", server: { numServers: 3, resources: { cpu: "4", memory: "6Gi" } } }));
    expect(full.rollout).toMatchObject({ strategy: "replace", reason: expect.stringMatching(/no fleet node has room/) });
    const roomy = planStack(parseFleetConfig({ instanceType: "c7i.4xlarge", server: { numServers: 1, resources: { cpu: "4", memory: "6Gi" } } }));
    expect(roomy.rollout.strategy).toBe("surge");
  });

  it("says once that forty servers do not fit, with the count of the others, instead of a line per pod", () => {
    const plan = planStack(parseFleetConfig({ instanceType: "c7i.4xlarge", server: { numServers: 40, resources: { cpu: "3", memory: "4Gi" } } }));
    expect(plan.problems).toHaveLength(1);
    expect(plan.problems[0]!.message).toMatch(/^does not fit: server5 needs 3 CPU.*; 34 more pods \(server6 \.\. server39\) fit nowhere either\. Lower/);
  });

  it("spreads servers over the fleet's nodes, so more nodes make room", () => {
    const config = parseFleetConfig({
      instanceType: "c7i.4xlarge",
      server: { numServers: 4, resources: { cpu: "4", memory: "6Gi" } },
      cluster: { fleetNodes: 2 },
    });
    const fleet = planStack(config).nodeGroups.find((group) => group.role === "fleet")!;
    expect(fleet.nodes.map((node) => node.pods.map((pod) => pod.name))).toEqual([
      ["server0", "server2"],
      ["server1", "server3"],
    ]);
  });

  it("needs a GPU per gpu server: two servers on one g5.xlarge do not fit", () => {
    const plan = planStack(parseFleetConfig({ instanceType: "g5.xlarge", server: { numServers: 2, resources: { cpu: "1", memory: "2Gi" } } }));
    expect(plan.problems[0]!.message).toMatch(/server1 needs .*1 nvidia\.com\/gpu; .*0 nvidia\.com\/gpu left .*: not enough nvidia\.com\/gpu/);
  });

  it("puts the k6 pods on the system nodes and says when they do not fit", () => {
    const plan = planStack(parseFleetConfig({ loadTest: { instanceType: "c7i.large", pods: 3 } }));
    expect(plan.problems.map((p) => p.path)).toContain("loadTest.pods");
  });

  it("refuses a placeholder image", () => {
    const plan = planStack(parseFleetConfig({ server: { image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/server:latest" } }));
    expect(plan.problems).toEqual([expect.objectContaining({ path: "server.image", message: expect.stringMatching(/placeholder/) })]);
  });

  it("skips node checks for a bring-your-own cluster", () => {
    const plan = planStack(parseFleetConfig({ cluster: { existing: { clusterName: "shared" } } }));
    expect(plan.nodeGroups).toEqual([]);
    expect(plan.quotas).toEqual([]);
    expect(plan.usdPerHour.total).toBe(0);
  });
});

describe("placePods", () => {
  it("reports every pod when the DaemonSets alone overflow a node", () => {
    const node = nodeAllocatable(getInstanceType("c7i.large"));
    const hog = { name: "hog", cpuMillis: 5000, memoryMiB: 0, devices: {} };
    const placed = placePods(node, 1, [hog], [{ name: "server0", cpuMillis: 100, memoryMiB: 100, devices: {} }]);
    expect(placed.unplaced.map((u) => u.pod.name)).toEqual(["hog", "server0"]);
    expect(placed.unplaced[0]!.reason).toMatch(/the DaemonSets \(hog\) alone need more than a c7i\.large node's allocatable 1\.93 CPU/);
  });
});

describe("quotaNeeds", () => {
  it("counts vCPUs per quota family, one Elastic IP per NAT gateway, the VPC and its internet gateway", () => {
    const needs = quotaNeeds(loadStackConfig("g5", { env: {} }));
    expect(Object.fromEntries(needs.map((n) => [n.quotaCode, n.need]))).toEqual({
      "L-DB2E81BA": 4,
      "L-1216C47A": 16,
      "L-0263D0A3": 1,
      "L-F678F1CE": 1,
      "L-A4707A72": 1,
    });
    const inf = quotaNeeds(
      parseFleetConfig({ instanceType: "inf2.xlarge", server: { image: "registry.example.org/neuron:1" }, cluster: { natGateways: "onePerAz" } }),
    );
    expect(Object.fromEntries(inf.map((n) => [n.quotaCode, n.need]))).toMatchObject({ "L-1945791B": 4, "L-0263D0A3": 3 });
    expect(sumQuotaNeeds([needs, needs]).find((n) => n.quotaCode === "L-0263D0A3")!.need).toBe(2);
  });
});
