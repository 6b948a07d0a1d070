/**
 * What a node of an instance type offers pods, computed the way EKS computes it on the AL2023 AMI
 * (nodeadm, awslabs/amazon-eks-ami nodeadm/internal/kubelet): allocatable = capacity - kubeReserved
 * - evictionHard; no systemReserved amounts are set.
 */
import type { InstanceTypeFacts } from "../catalog.js";

/** kubelet's evictionHard memory.available on the EKS AMIs. */
const EVICTION_HARD_MEMORY_MIB = 100;

/**
 * MemTotal is below the instance's nominal memory (firmware and the kernel keep some). We assume 5%,
 * on the safe side of what EC2 nodes usually report; the plan prints it so a reader can check.
 */
export const KERNEL_RESERVED_MEMORY_FRACTION = 0.05;

/** Managed node groups cap max pods at 110 below 30 vCPUs and 250 from 30 up. */
export function managedNodeGroupPodCap(vcpu: number): number {
  return vcpu < 30 ? 110 : 250;
}

/** The VPC CNI's limit without prefix delegation: ENIs x (IPv4 per ENI - 1) + 2. */
export function eniMaxPods(facts: InstanceTypeFacts): number {
  return facts.network.maxEnis * (facts.network.ipv4PerEni - 1) + 2;
}

/** nodeadm's kube-reserved CPU: 6% of the first core, 1% of the second, 0.5% of the next two, 0.25% of the rest. */
export function kubeReservedCpuMillis(vcpu: number): number {
  const total = vcpu * 1000;
  const ranges: Array<[start: number, end: number, basisPoints: number]> = [
    [0, 1000, 600],
    [1000, 2000, 100],
    [2000, 4000, 50],
    [4000, total, 25],
  ];
  return ranges.reduce((sum, [start, end, bp]) => (total <= start ? sum : sum + ((Math.min(total, end) - start) * bp) / 10_000), 0);
}

/** nodeadm's kube-reserved memory: 11 MiB per pod the node may run, plus 255 MiB. */
export function kubeReservedMemoryMiB(maxPods: number): number {
  return 11 * maxPods + 255;
}

/** Extended resources a device plugin advertises on the node. */
type DeviceResources = Readonly<Record<string, number>>;

export interface NodeAllocatable {
  readonly instanceType: string;
  readonly capacity: { readonly cpuMillis: number; readonly memoryMiB: number };
  readonly kubeReserved: { readonly cpuMillis: number; readonly memoryMiB: number };
  readonly evictionMemoryMiB: number;
  readonly cpuMillis: number;
  readonly memoryMiB: number;
  readonly pods: number;
  readonly devices: DeviceResources;
}

/** The resource names accelerators are scheduled by. */
export const DEVICE_RESOURCE = {
  gpu: "nvidia.com/gpu",
  neuronDevice: "aws.amazon.com/neuron",
  neuronCore: "aws.amazon.com/neuroncore",
} as const;

function devicesOf(facts: InstanceTypeFacts): DeviceResources {
  const accelerator = facts.accelerator;
  if (!accelerator) return {};
  if (accelerator.kind === "nvidia") return { [DEVICE_RESOURCE.gpu]: accelerator.count };
  return { [DEVICE_RESOURCE.neuronDevice]: accelerator.count, [DEVICE_RESOURCE.neuronCore]: accelerator.count * accelerator.coresPerDevice };
}

/**
 * Allocatable CPU, memory, pods and devices of one node. Max pods is the ENI formula capped as
 * managed node groups cap it; kube-reserved memory is computed from the uncapped ENI figure, the
 * larger reserve, so the plan errs on the side of "does not fit" where the two sources differ.
 */
export function nodeAllocatable(facts: InstanceTypeFacts): NodeAllocatable {
  const eniPods = eniMaxPods(facts);
  const pods = Math.min(eniPods, managedNodeGroupPodCap(facts.vcpu));
  const capacity = { cpuMillis: facts.vcpu * 1000, memoryMiB: facts.memoryGiB * 1024 * (1 - KERNEL_RESERVED_MEMORY_FRACTION) };
  const kubeReserved = { cpuMillis: kubeReservedCpuMillis(facts.vcpu), memoryMiB: kubeReservedMemoryMiB(eniPods) };
  return {
    instanceType: facts.name,
    capacity,
    kubeReserved,
    evictionMemoryMiB: EVICTION_HARD_MEMORY_MIB,
    cpuMillis: capacity.cpuMillis - kubeReserved.cpuMillis,
    memoryMiB: capacity.memoryMiB - kubeReserved.memoryMiB - EVICTION_HARD_MEMORY_MIB,
    pods,
    devices: devicesOf(facts),
  };
}
