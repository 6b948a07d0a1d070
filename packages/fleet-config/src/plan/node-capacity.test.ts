import { describe, expect, it } from "vitest";
import { getInstanceType } from "../catalog.js";
import { eniMaxPods, kubeReservedCpuMillis, kubeReservedMemoryMiB, managedNodeGroupPodCap, nodeAllocatable } from "./node-capacity.js";

describe("kubeReservedCpuMillis (nodeadm's formula)", () => {
  it.each([
    [1, 60],
    [2, 70],
    [4, 80],
    [8, 90],
    [16, 110],
    [32, 150],
    [96, 310],
  ])("reserves for %i vCPUs %i millicores", (vcpu, millis) => {
    expect(kubeReservedCpuMillis(vcpu)).toBeCloseTo(millis, 6);
  });
});

describe("max pods", () => {
  it.each([
    ["c7i.xlarge", 58, 58],
    ["c7i.2xlarge", 58, 58],
    ["c7i.4xlarge", 234, 110],
    ["g5.xlarge", 58, 58],
    ["g4dn.xlarge", 29, 29],
    ["inf2.xlarge", 58, 58],
    ["inf2.48xlarge", 737, 250],
  ])("%s: %i from its ENIs, %i as a managed node group allows", (type, eni, pods) => {
    const facts = getInstanceType(type);
    expect(eniMaxPods(facts)).toBe(eni);
    expect(Math.min(eni, managedNodeGroupPodCap(facts.vcpu))).toBe(pods);
    expect(nodeAllocatable(facts).pods).toBe(pods);
  });
});

describe("nodeAllocatable", () => {
  it("gives a c7i.4xlarge the 15.89 allocatable vCPU EKS reports, and memory less kube-reserved and eviction", () => {
    const node = nodeAllocatable(getInstanceType("c7i.4xlarge"));
    expect(node.cpuMillis).toBeCloseTo(15_890, 6);
    expect(node.kubeReserved.memoryMiB).toBe(kubeReservedMemoryMiB(234));
    expect(node.memoryMiB).toBeCloseTo(32 * 1024 * 0.95 - (11 * 234 + 255) - 100, 6);
  });

  it("advertises the accelerator devices the device plugins do", () => {
    expect(nodeAllocatable(getInstanceType("g5.12xlarge")).devices).toEqual({ "nvidia.com/gpu": 4 });
    expect(nodeAllocatable(getInstanceType("inf2.xlarge")).devices).toEqual({ "aws.amazon.com/neuron": 1, "aws.amazon.com/neuroncore": 2 });
    expect(nodeAllocatable(getInstanceType("c7g.xlarge")).devices).toEqual({});
  });
});
