/**
 * The fleet node group's size: what `pulumi up` starts with, and the bounds the Cluster Autoscaler keeps it in. infra
 * builds the node group's scalingConfig from this, and `fleet plan` prices it, so the two cannot disagree.
 */
import { getInstanceType } from "../catalog.js";
import { serverReplicas } from "../autoscaling.js";
import type { FleetConfig } from "../schema.js";
import { clusterWorkloads, serverPods } from "./cluster-workloads.js";
import { placePods } from "./fit.js";
import { nodeAllocatable } from "./node-capacity.js";

export interface FleetNodeBounds {
  /** The autoscaler never goes below this: 0 (idle fleets cost nothing), or cluster.fleetNodes with cluster.ha. */
  readonly min: number;
  /** Nodes at `pulumi up`: cluster.fleetNodes, or min when the stack is idle. */
  readonly initial: number;
  /** Room for every server at autoscaling.maxReplicas, and always above min while the autoscaler runs. */
  readonly max: number;
  /** Server pods one empty fleet node holds (its DaemonSets first); 0 when none fits. */
  readonly serversPerNode: number;
}

export function fleetNodeBounds(config: FleetConfig): FleetNodeBounds {
  const { cluster } = config;
  const fleetNodes = cluster.fleetNodes;
  const serversPerNode = serverPodsPerNode(config);
  if (!cluster.autoscaler || cluster.existing) return { min: fleetNodes, initial: fleetNodes, max: fleetNodes, serversPerNode };
  const min = cluster.ha ? fleetNodes : 0;
  const replicas = serverReplicas(config);
  const atMax = serversPerNode > 0 ? Math.ceil((config.server.numServers * replicas.max) / serversPerNode) : fleetNodes;
  // With ha the group never goes below min, so max = min would leave the autoscaler no node to replace a drained one with.
  const max = Math.max(fleetNodes, atMax, min + 1);
  return { min, initial: cluster.idle ? min : fleetNodes, max, serversPerNode };
}

/** How many server pods an empty fleet node holds after its DaemonSets. */
function serverPodsPerNode(config: FleetConfig): number {
  const allocatable = nodeAllocatable(getInstanceType(config.instanceType));
  const { daemonSets } = clusterWorkloads(config).fleet;
  const probe = serverPods({ ...config, server: { ...config.server, numServers: 1 } }, Math.max(1, allocatable.pods));
  return placePods(allocatable, 1, daemonSets, probe).nodes[0]?.pods.length ?? 0;
}
