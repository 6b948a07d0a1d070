/**
 * Every pod the program puts on a node, with its requests: the EKS add-ons' DaemonSets, CoreDNS, our
 * DaemonSets, the k6 pods and the servers. infra builds its objects from the same figures, so the
 * plan and the cluster cannot disagree about what must fit.
 */
import { getInstanceType } from "../catalog.js";
import { serverReplicas } from "../autoscaling.js";
import type { FleetConfig } from "../schema.js";
import { addOnPods } from "./add-on-workloads.js";
import { DEVICE_RESOURCE } from "./node-capacity.js";
import { cpuMillis, memoryMiB } from "./quantity.js";

/** requests and limits as Kubernetes writes them. */
export interface ContainerResources {
  readonly requests: Readonly<Record<string, string>>;
  readonly limits: Readonly<Record<string, string>>;
}

/** The k6 container (the init container of a load-test pod): one CPU per generator. */
export const K6_RESOURCES: ContainerResources = { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } };
/** The aws-cli container that uploads a load-test pod's results. */
export const RESULTS_UPLOAD_RESOURCES: ContainerResources = { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } };
/** The image pre-pull DaemonSet's init and pause containers. */
export const PRE_PULL_RESOURCES: ContainerResources = { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } };
/** The NVIDIA and Neuron device plugins. */
export const DEVICE_PLUGIN_RESOURCES: ContainerResources = { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } };

/** One pod's scheduling requests. */
export interface PodRequest {
  readonly name: string;
  readonly cpuMillis: number;
  readonly memoryMiB: number;
  readonly devices: Readonly<Record<string, number>>;
}

const pod = (name: string, cpu: string, memory: string, devices: Record<string, number> = {}): PodRequest => ({
  name,
  cpuMillis: cpuMillis(cpu),
  memoryMiB: memoryMiB(memory),
  devices,
});
const requestsOf = (name: string, resources: ContainerResources) => pod(name, resources.requests.cpu ?? "0", resources.requests.memory ?? "0");

/**
 * The EKS add-ons' DaemonSets on every node, with the requests their default manifests set
 * (aws-node 25m CPU in the VPC CNI chart; kube-proxy 100m CPU; the Pod Identity agent none).
 */
const EKS_DAEMONSETS: readonly PodRequest[] = [pod("aws-node", "25m", "0"), pod("kube-proxy", "100m", "0"), pod("eks-pod-identity-agent", "0", "0")];

/** CoreDNS's two replicas (100m CPU, 70Mi each); the fleet nodes' taints keep them on the system nodes. */
const COREDNS_PODS: readonly PodRequest[] = [pod("coredns-0", "100m", "70Mi"), pod("coredns-1", "100m", "70Mi")];

/** A pod's effective request: the larger of its largest init container and the sum of its containers. */
function podOf(name: string, init: ContainerResources[], containers: ContainerResources[]): PodRequest {
  const inits = init.map((r) => requestsOf(name, r));
  const main = containers.map((r) => requestsOf(name, r));
  const sum = (list: PodRequest[], key: "cpuMillis" | "memoryMiB") => list.reduce((total, p) => total + p[key], 0);
  const max = (list: PodRequest[], key: "cpuMillis" | "memoryMiB") => Math.max(0, ...list.map((p) => p[key]));
  return {
    name,
    cpuMillis: Math.max(max(inits, "cpuMillis"), sum(main, "cpuMillis")),
    memoryMiB: Math.max(max(inits, "memoryMiB"), sum(main, "memoryMiB")),
    devices: {},
  };
}

/** The server pod's devices: GPUs, Neuron devices. */
export function serverDeviceRequests(config: FleetConfig): Record<string, number> {
  const { resources } = config.server;
  const devices: Record<string, number> = {};
  if (resources.gpus > 0) devices[DEVICE_RESOURCE.gpu] = resources.gpus;
  if (resources.neuronDevices > 0) devices[DEVICE_RESOURCE.neuronDevice] = resources.neuronDevices;
  return devices;
}

export interface NodeGroupWorkloads {
  /** One copy on every node of the group. */
  readonly daemonSets: readonly PodRequest[];
  /** Placed by the scheduler, in this order. */
  readonly pods: readonly PodRequest[];
}

/**
 * The server pods when every server runs `replicas` pods: server<i> for the first, server<i>-<r> for the others (each a
 * replica of the same Deployment, serving the same models).
 */
export function serverPods(config: FleetConfig, replicas: number): PodRequest[] {
  const { cpu, memory } = config.server.resources;
  return Array.from({ length: config.server.numServers }, (_, i) =>
    Array.from({ length: replicas }, (_, r) => ({
      ...pod(r === 0 ? `server${i}` : `server${i}-${r + 1}`, cpu, memory),
      devices: serverDeviceRequests(config),
    })),
  ).flat();
}

/** What lands on the system node group and on the fleet node group, add-ons included. */
export function clusterWorkloads(config: FleetConfig): { system: NodeGroupWorkloads; fleet: NodeGroupWorkloads } {
  const accelerator = getInstanceType(config.instanceType).accelerator;
  const addOns = addOnPods(config, accelerator?.kind);
  const everyNode = addOns.filter((a) => a.placement === "every").map((a) => requestsOf(a.name, a.resources));
  const systemDaemonSets = [...EKS_DAEMONSETS, ...everyNode];
  const fleetDaemonSets = [...EKS_DAEMONSETS, ...everyNode];
  if (accelerator) fleetDaemonSets.push(requestsOf(`${accelerator.kind}-device-plugin`, DEVICE_PLUGIN_RESOURCES));
  fleetDaemonSets.push(...addOns.filter((a) => a.placement === "accelerator").map((a) => requestsOf(a.name, a.resources)));
  if (config.cluster.prePullImages) fleetDaemonSets.push(podOf("image-pre-pull", [PRE_PULL_RESOURCES], [PRE_PULL_RESOURCES]));
  const systemAddOns = addOns.filter((a) => a.placement === "system").map((a) => requestsOf(a.name, a.resources));
  const k6Pods = Array.from({ length: config.loadTest.pods }, (_, i) => podOf(`k6-${i}`, [K6_RESOURCES], [RESULTS_UPLOAD_RESOURCES]));
  const servers = serverPods(config, serverReplicas(config).initial);
  return {
    system: { daemonSets: systemDaemonSets, pods: [...COREDNS_PODS, ...systemAddOns, ...k6Pods] },
    fleet: { daemonSets: fleetDaemonSets, pods: servers },
  };
}
