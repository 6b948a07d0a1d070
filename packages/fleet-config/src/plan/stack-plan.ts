/**
 * `fleet plan`: what `pulumi up` would create for a stack and whether it will run, with no cloud
 * account. The same check stops the Pulumi program and `fleet matrix` before anything is created.
 */
import { queueDepthTarget, requestRateTarget, serverReplicas, type QueueDepthTarget, type RequestRateTarget, type ServerReplicas } from "../autoscaling.js";
import { getInstanceType } from "../catalog.js";
import { ConfigError, type ConfigProblem } from "../config-error.js";
import type { FleetConfig } from "../schema.js";
import { clusterWorkloads, type PodRequest } from "./cluster-workloads.js";
import { estimateUsdPerHour, type HourlyCost } from "./cost.js";
import { kubernetesSupport, type KubernetesSupport } from "./kubernetes-versions.js";
import { fitsIn, placePods, type NodePlacement, type UnplacedPod } from "./fit.js";
import { amiTypeFor, IMAGES, isPlaceholderImage, platformFor, serverImagePlan, type ServerImagePlan } from "./images.js";
import { nodeAllocatable, type NodeAllocatable } from "./node-capacity.js";
import { fleetNodeBounds, type FleetNodeBounds } from "./fleet-nodes.js";
import { natGatewayCount, quotaNeeds, type QuotaNeed } from "./quotas.js";

export interface NodeGroupPlan {
  readonly role: "system" | "fleet";
  readonly instanceType: string;
  readonly count: number;
  readonly arch: "x86_64" | "arm64";
  readonly amiType: string;
  /** One node's allocatable resources, before any pod. */
  readonly allocatable: NodeAllocatable;
  readonly nodes: readonly NodePlacement[];
}

interface ImagePlan {
  readonly role: string;
  readonly image: string;
  readonly platform: string;
}

export interface StackPlan {
  readonly stack: string;
  readonly region: string;
  /** Empty for a bring-your-own cluster: its nodes are not ours to know. */
  readonly nodeGroups: readonly NodeGroupPlan[];
  readonly images: readonly ImagePlan[];
  readonly quotas: readonly QuotaNeed[];
  readonly usdPerHour: HourlyCost;
  /** Every reason the stack would not run, each naming the config field to change. */
  readonly problems: readonly ConfigProblem[];
  readonly fits: boolean;
  /** The cluster's Kubernetes version: support status and what the control plane costs (none for an existing cluster). */
  readonly kubernetes?: KubernetesSupport;
  /** How a new server image rolls out: beside the old server when a fleet node has room for one more, else in its place. */
  readonly rollout: RolloutPlan;
  /** Pods per server, the request rate and queue depth they scale at (server.autoscaling) and the fleet node group's bounds. */
  readonly scaling: ScalingPlan;
  /** cluster.ha: zones, NAT gateways (one per zone) and fleet nodes kept. */
  readonly availability: AvailabilityPlan;
}

interface ScalingPlan {
  readonly replicas: ServerReplicas;
  /** Only with server.autoscaling on. */
  readonly target?: QueueDepthTarget;
  /** Only with server.autoscaling on and a measured capacityPerServer. */
  readonly rateTarget?: RequestRateTarget;
  /** Absent for a bring-your-own cluster. */
  readonly fleetNodes?: FleetNodeBounds;
}

interface AvailabilityPlan {
  readonly ha: boolean;
  readonly zones: number;
  readonly natGateways: number;
}

interface RolloutPlan {
  /** "surge": RollingUpdate maxSurge 1, maxUnavailable 0 (no capacity lost); "replace": maxSurge 0, maxUnavailable 1. */
  readonly strategy: "surge" | "replace";
  readonly reason: string;
}

/**
 * A surge pod needs a server's requests free on some fleet node; without that room it would stay Pending and the
 * rollout (and `pulumi up`) hang. Full nodes replace one server at a time instead.
 */
function rolloutPlan(nodes: readonly NodePlacement[], server: PodRequest | undefined): RolloutPlan {
  if (!server) return { strategy: "surge", reason: "no servers to roll" };
  const room = nodes.find((node) => fitsIn(server, node.free));
  if (room) return { strategy: "surge", reason: `fleet node ${room.index + 1} has room for one more server while the new one starts` };
  return {
    strategy: "replace",
    reason: "no fleet node has room for one more server, so each server is stopped before its replacement starts (one at a time)",
  };
}

function describeServerImage(plan: ServerImagePlan): string {
  return plan.kind === "build" ? `built from ${plan.dockerfile}` : plan.image;
}

/** The field to change when a pod does not fit, and what to do about it. */
function unplacedProblem(config: FleetConfig, role: "system" | "fleet", pod: PodRequest, reason: string): ConfigProblem {
  if (role === "fleet") {
    return {
      path: "server.numServers",
      value: config.server.numServers,
      message: `does not fit: ${reason}. Lower server.numServers or server.resources, raise cluster.fleetNodes, or pick a larger instanceType`,
    };
  }
  return {
    path: "loadTest.pods",
    value: config.loadTest.pods,
    message: `does not fit on the system nodes: ${reason}. Lower loadTest.pods, raise cluster.systemNodes, or pick a larger loadTest.instanceType`,
  };
}

/** One line for the pods after the first that fit nowhere either: 37 copies of the same reason help nobody. */
function alsoUnplaced(more: readonly UnplacedPod[]): string {
  if (more.length === 0) return "";
  const names = more.length === 1 ? more[0]!.pod.name : `${more[0]!.pod.name} .. ${more.at(-1)!.pod.name}`;
  return `; ${more.length} more pod${more.length === 1 ? "" : "s"} (${names}) fit nowhere either`;
}

interface Placement {
  readonly nodeGroups: NodeGroupPlan[];
  readonly rollout: RolloutPlan;
  readonly problems: ConfigProblem[];
}

/** The node groups `pulumi up` makes, with every pod placed on them, and the rollout the fleet nodes leave room for. */
function placeNodeGroups(config: FleetConfig): Placement {
  const problems: ConfigProblem[] = [];
  const nodeGroups: NodeGroupPlan[] = [];
  let rollout: RolloutPlan = { strategy: "surge", reason: "a bring-your-own cluster: room for a surge pod is not known here" };
  if (config.cluster.existing) return { nodeGroups, rollout, problems };
  const workloads = clusterWorkloads(config);
  const groups = [
    { role: "system" as const, instanceType: config.loadTest.instanceType, count: config.cluster.systemNodes },
    // Pods are placed on the nodes `pulumi up` starts with (fleetNodes), each server with its first replicas.
    { role: "fleet" as const, instanceType: config.instanceType, count: config.cluster.fleetNodes },
  ];
  for (const group of groups) {
    const facts = getInstanceType(group.instanceType);
    const allocatable = nodeAllocatable(facts);
    const { daemonSets, pods } = workloads[group.role];
    const placement = placePods(allocatable, group.count, daemonSets, pods);
    const [first, ...more] = placement.unplaced;
    if (first) problems.push(unplacedProblem(config, group.role, first.pod, `${first.reason}${alsoUnplaced(more)}`));
    if (group.role === "fleet") rollout = rolloutPlan(placement.nodes, pods[0]);
    const accelerator = group.role === "fleet" ? facts.accelerator?.kind : undefined;
    nodeGroups.push({
      role: group.role,
      instanceType: group.instanceType,
      count: group.count,
      arch: facts.arch,
      amiType: amiTypeFor(facts.arch, accelerator),
      allocatable,
      nodes: placement.nodes,
    });
  }
  return { nodeGroups, rollout, problems };
}

export function planStack(config: FleetConfig): StackPlan {
  const problems: ConfigProblem[] = [];
  const serverImage = serverImagePlan(config);
  if (serverImage.kind === "external" && isPlaceholderImage(serverImage.image)) {
    problems.push({
      path: "server.image",
      value: serverImage.image,
      message: "is a placeholder that no registry serves: push your server image and name it here, or remove server.image to build ours",
    });
  }
  const systemFacts = getInstanceType(config.loadTest.instanceType);
  const images: ImagePlan[] = [
    { role: "model server", image: describeServerImage(serverImage), platform: serverImage.platform },
    { role: "k6 load generator", image: IMAGES.k6, platform: platformFor(systemFacts.arch) },
  ];
  const { nodeGroups, rollout, problems: unplaced } = placeNodeGroups(config);
  problems.push(...unplaced);
  return {
    stack: config.stack,
    region: config.region,
    nodeGroups,
    images,
    quotas: quotaNeeds(config),
    usdPerHour: estimateUsdPerHour(config),
    ...(config.cluster.existing ? {} : { kubernetes: kubernetesSupport(config.cluster.kubernetesVersion) }),
    problems,
    fits: problems.length === 0,
    rollout,
    scaling: {
      replicas: serverReplicas(config),
      ...(config.server.autoscaling.enabled ? autoscalingTargets(config) : {}),
      ...(config.cluster.existing ? {} : { fleetNodes: fleetNodeBounds(config) }),
    },
    availability: { ha: config.cluster.ha, zones: config.cluster.availabilityZones, natGateways: natGatewayCount(config) },
  };
}

/** The per-pod targets of server autoscaling: queue depth always, request rate when the capacity was measured. */
function autoscalingTargets(config: FleetConfig): Pick<ScalingPlan, "target" | "rateTarget"> {
  const rate = requestRateTarget(config);
  return { target: queueDepthTarget(config), ...(rate ? { rateTarget: rate } : {}) };
}

/** Throws ConfigError naming each field whose value makes the stack unrunnable (pods that do not fit, a placeholder image). */
export function assertStackRuns(config: FleetConfig, origin: string): StackPlan {
  const plan = planStack(config);
  if (!plan.fits) throw new ConfigError(origin, plan.problems);
  return plan;
}
