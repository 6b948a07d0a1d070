import { getInstanceType } from "../catalog.js";
import type { FleetConfig } from "../schema.js";
import { kubernetesSupport } from "./kubernetes-versions.js";
import { fleetNodeBounds } from "./fleet-nodes.js";
import { natGatewayCount } from "./quotas.js";

/** List prices used for the estimate (us-east-1); EC2 prices come from the catalog, the control plane's from its support status. */
const NAT_GATEWAY_USD_PER_HOUR = 0.045;

export interface HourlyCost {
  /** Fleet and system nodes while the fleet runs. */
  readonly nodes: number;
  /** $0.10/h in standard support, $0.60/h once the stack's Kubernetes version is in extended support. */
  readonly controlPlane: number;
  readonly natGateways: number;
  /** While the fleet runs (what `pulumi up` starts with). */
  readonly total: number;
  /**
   * While the stack is idle (`cluster.idle`, or `fleet matrix --keep` after a run): the autoscaler has
   * removed the fleet nodes, so only the system nodes, the control plane and NAT remain. Without the
   * autoscaler the fleet nodes stay, and idle costs as much as running.
   */
  readonly idle: { readonly nodes: number; readonly total: number };
  /** With server.autoscaling: the fleet at its node group's maximum (every server at maxReplicas). */
  readonly atMax?: { readonly fleetNodes: number; readonly total: number };
}

/** NAT gateway data processing, per GB, on top of the hourly price (us-east-1); not in the $/h. */
export const NAT_GATEWAY_USD_PER_GB = 0.045;

/**
 * An estimate of what a stack costs per hour while it is up, running and idle: fleet and system
 * nodes, the EKS control plane and NAT gateways. It leaves out data transfer, NAT data processing,
 * interface endpoints, EBS, S3, logs, CloudWatch metrics, alarms and dashboards, and load balancer
 * hours and capacity units. A bring-your-own cluster costs this program nothing extra.
 */
export function estimateUsdPerHour(config: FleetConfig, today?: string): HourlyCost {
  const { cluster } = config;
  if (cluster.existing) return { nodes: 0, controlPlane: 0, natGateways: 0, total: 0, idle: { nodes: 0, total: 0 } };
  const fleetNodePrice = getInstanceType(config.instanceType).onDemandUsdPerHour;
  const bounds = fleetNodeBounds(config);
  const fleetNodes = fleetNodePrice * cluster.fleetNodes;
  const systemNodes = getInstanceType(config.loadTest.instanceType).onDemandUsdPerHour * cluster.systemNodes;
  const natGateways = natGatewayCount(config) * NAT_GATEWAY_USD_PER_HOUR;
  const controlPlane = kubernetesSupport(cluster.kubernetesVersion, today).controlPlaneUsdPerHour;
  const fixed = controlPlane + natGateways;
  // The autoscaler keeps the group's minimum: none, or (cluster.ha) the nodes in two zones.
  const idleNodes = systemNodes + fleetNodePrice * bounds.min;
  return {
    nodes: fleetNodes + systemNodes,
    controlPlane,
    natGateways,
    total: fleetNodes + systemNodes + fixed,
    idle: { nodes: idleNodes, total: idleNodes + fixed },
    ...(config.server.autoscaling.enabled ? { atMax: { fleetNodes: bounds.max, total: systemNodes + fleetNodePrice * bounds.max + fixed } } : {}),
  };
}
