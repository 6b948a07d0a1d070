import { getInstanceType, type FleetConfig } from "@inference-fleet/fleet-config";

/** List prices used for the estimate (us-east-1); EC2 prices come from the fleet-config catalog. */
export const EKS_CONTROL_PLANE_USD_PER_HOUR = 0.1;
export const NAT_GATEWAY_USD_PER_HOUR = 0.045;

/**
 * An estimate of what a stack costs per hour while it is up: fleet and system nodes, the EKS
 * control plane and NAT gateways. It leaves out data transfer, NAT data processing, interface
 * endpoints, EBS, S3 and logs.
 */
export function estimateUsdPerHour(config: FleetConfig): { nodes: number; controlPlane: number; natGateways: number; total: number } {
  const { cluster } = config;
  const nodes = getInstanceType(config.instanceType).onDemandUsdPerHour * cluster.fleetNodes
    + getInstanceType(config.loadTest.instanceType).onDemandUsdPerHour * cluster.systemNodes;
  if (cluster.existing) return { nodes: 0, controlPlane: 0, natGateways: 0, total: 0 };
  const natCount = cluster.natGateways === "onePerAz" ? cluster.availabilityZones : 1;
  const natGateways = natCount * NAT_GATEWAY_USD_PER_HOUR;
  return { nodes, controlPlane: EKS_CONTROL_PLANE_USD_PER_HOUR, natGateways, total: nodes + EKS_CONTROL_PLANE_USD_PER_HOUR + natGateways };
}
