/** Places pods on a node group's nodes the way the scheduler would, and says in numbers why one cannot go anywhere. */
import type { NodeAllocatable } from "./node-capacity.js";
import type { PodRequest } from "./cluster-workloads.js";
import { formatCpu, formatMemory } from "./quantity.js";

export interface NodeFree {
  readonly cpuMillis: number;
  readonly memoryMiB: number;
  readonly pods: number;
  readonly devices: Readonly<Record<string, number>>;
}

export interface NodePlacement {
  /** 0-based node index in its group. */
  readonly index: number;
  readonly daemonSets: readonly PodRequest[];
  readonly pods: readonly PodRequest[];
  /** What is left for other pods once the DaemonSets and the placed pods have their requests. */
  readonly free: NodeFree;
}

export interface UnplacedPod {
  readonly pod: PodRequest;
  /** E.g. "server3 needs 4 CPU; 3.76 CPU left on c7i.4xlarge node 1 of 1 after 3 pods (server0, server1, server2)". */
  readonly reason: string;
}

export interface GroupPlacement {
  readonly nodes: readonly NodePlacement[];
  readonly unplaced: readonly UnplacedPod[];
}

/** The resources a pod asks for that the node lacks. */
function shortages(pod: PodRequest, free: NodeFree): string[] {
  const short: string[] = [];
  if (pod.cpuMillis > free.cpuMillis) short.push("CPU");
  if (pod.memoryMiB > free.memoryMiB) short.push("memory");
  if (free.pods < 1) short.push("pod slots (max pods reached)");
  for (const [resource, count] of Object.entries(pod.devices)) if (count > (free.devices[resource] ?? 0)) short.push(resource);
  return short;
}

/** Whether a pod fits in what a node has left. */
export function fitsIn(pod: PodRequest, free: NodeFree): boolean {
  return shortages(pod, free).length === 0;
}

function describe(amounts: { cpuMillis: number; memoryMiB: number; devices: Readonly<Record<string, number>> }): string {
  const parts = [`${formatCpu(amounts.cpuMillis)} CPU`, `${formatMemory(amounts.memoryMiB)} memory`];
  for (const [resource, count] of Object.entries(amounts.devices)) parts.push(`${count} ${resource}`);
  return parts.join(", ");
}

function take(free: NodeFree, pod: PodRequest): NodeFree {
  const devices = { ...free.devices };
  for (const [resource, count] of Object.entries(pod.devices)) devices[resource] = (devices[resource] ?? 0) - count;
  return { cpuMillis: free.cpuMillis - pod.cpuMillis, memoryMiB: free.memoryMiB - pod.memoryMiB, pods: free.pods - 1, devices };
}

/**
 * Every node runs the DaemonSets; each pod then goes to the node with the most CPU left among those
 * it fits on (the fleet's pods spread over hosts). A pod that fits nowhere is reported against the
 * node with the most CPU left, with what it needs, what is left and what is short.
 */
export function placePods(allocatable: NodeAllocatable, nodeCount: number, daemonSets: readonly PodRequest[], pods: readonly PodRequest[]): GroupPlacement {
  const empty: NodeFree = { cpuMillis: allocatable.cpuMillis, memoryMiB: allocatable.memoryMiB, pods: allocatable.pods, devices: allocatable.devices };
  const nodes = Array.from({ length: nodeCount }, (_, index) => ({ index, daemonSets, pods: [] as PodRequest[], free: daemonSets.reduce(take, empty) }));
  const unplaced: UnplacedPod[] = [];
  const overcommitted = nodes[0] && (nodes[0].free.cpuMillis < 0 || nodes[0].free.memoryMiB < 0 || nodes[0].free.pods < 0);
  if (overcommitted) {
    const reason =
      `the DaemonSets (${daemonSets.map((d) => d.name).join(", ")}) alone need more than a ${allocatable.instanceType} node's allocatable ` +
      `${describe(allocatable)}`;
    return { nodes, unplaced: [...daemonSets, ...pods].map((pod) => ({ pod, reason })) };
  }
  const mostCpuLeft = (list: typeof nodes) => list.reduce((a, b) => (b.free.cpuMillis > a.free.cpuMillis ? b : a));
  for (const pod of pods) {
    const candidates = nodes.filter((node) => shortages(pod, node.free).length === 0);
    if (candidates.length > 0) {
      const node = mostCpuLeft(candidates);
      node.pods.push(pod);
      node.free = take(node.free, pod);
      continue;
    }
    if (nodes.length === 0) {
      unplaced.push({ pod, reason: `${pod.name} has no node to run on: the node group has 0 nodes` });
      continue;
    }
    const node = mostCpuLeft(nodes);
    const after = node.pods.length === 0 ? "with only its DaemonSets" : `after ${node.pods.length} pod(s) (${node.pods.map((p) => p.name).join(", ")})`;
    const where = `${allocatable.instanceType} node ${node.index + 1} of ${nodeCount}`;
    unplaced.push({
      pod,
      reason: `${pod.name} needs ${describe(pod)}; ${describe(node.free)} left on ${where} ${after}: not enough ${shortages(pod, node.free).join(", ")}`,
    });
  }
  return { nodes, unplaced };
}
