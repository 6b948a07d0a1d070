import { getInstanceType } from "../catalog.js";
import type { FleetConfig } from "../schema.js";
import { natGatewayCount } from "./quotas.js";

/** List prices used for the estimate (us-east-1); EC2 prices come from the catalog. */
export const EKS_CONTROL_PLANE_USD_PER_HOUR = 0.1;
export const NAT_GATEWAY_USD_PER_HOUR = 0.045;

export interface HourlyCost {
  readonly nodes: number;
  readonly controlPlane: number;
  readonly natGateways: number;
  readonly total: number;
}

/**
 * An estimate of what a stack costs per hour while it is up: fleet and system nodes, the EKS
 * control plane and NAT gateways. It leaves out data transfer, NAT data processing, interface
 * endpoints, EBS, S3 and logs. A bring-your-own cluster costs this program nothing extra.
 */
export function estimateUsdPerHour(config: FleetConfig): HourlyCost {
  const { cluster } = config;
  if (cluster.existing) return { nodes: 0, controlPlane: 0, natGateways: 0, total: 0 };
  const nodes = getInstanceType(config.instanceType).onDemandUsdPerHour * cluster.fleetNodes
    + getInstanceType(config.loadTest.instanceType).onDemandUsdPerHour * cluster.systemNodes;
  const natGateways = natGatewayCount(config) * NAT_GATEWAY_USD_PER_HOUR;
  return { nodes, controlPlane: EKS_CONTROL_PLANE_USD_PER_HOUR, natGateways, total: nodes + EKS_CONTROL_PLANE_USD_PER_HOUR + natGateways };
}
