/** The AWS Service Quotas a stack needs while it is up, so a fresh account's limits are checked before `pulumi up`. */
import { getInstanceType, vcpuQuotaFamily, type VcpuQuotaFamily } from "../catalog.js";
import type { FleetConfig } from "../schema.js";
import { fleetNodeBounds } from "./fleet-nodes.js";

export interface QuotaNeed {
  /** Service Quotas service code (ec2, vpc). */
  readonly serviceCode: string;
  readonly quotaCode: string;
  readonly name: string;
  /** What this stack uses of it while up. */
  readonly need: number;
  /** The AWS default where it is the same for every account; undefined where it varies (vCPU quotas). */
  readonly awsDefault?: number;
}

export const VCPU_QUOTAS: Record<VcpuQuotaFamily, { code: string; name: string }> = {
  standard: { code: "L-1216C47A", name: "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances (vCPUs)" },
  "g-and-vt": { code: "L-DB2E81BA", name: "Running On-Demand G and VT instances (vCPUs)" },
  inf: { code: "L-1945791B", name: "Running On-Demand Inf instances (vCPUs)" },
};

const ELASTIC_IP_QUOTA = { serviceCode: "ec2", quotaCode: "L-0263D0A3", name: "EC2-VPC Elastic IPs", awsDefault: 5 } as const;
const VPC_QUOTA = { serviceCode: "vpc", quotaCode: "L-F678F1CE", name: "VPCs per Region", awsDefault: 5 } as const;
const INTERNET_GATEWAY_QUOTA = { serviceCode: "vpc", quotaCode: "L-A4707A72", name: "Internet gateways per Region", awsDefault: 5 } as const;

/** NAT gateways the stack's VPC creates; each holds one Elastic IP. */
export function natGatewayCount(config: FleetConfig): number {
  if (config.cluster.existing) return 0;
  return config.cluster.natGateways === "onePerAz" ? config.cluster.availabilityZones : 1;
}

/** vCPUs by quota family (fleet and system node groups), Elastic IPs, the VPC and its internet gateway. */
export function quotaNeeds(config: FleetConfig): QuotaNeed[] {
  if (config.cluster.existing) return [];
  const vcpus = new Map<VcpuQuotaFamily, number>();
  const add = (instanceType: string, nodes: number) => {
    const family = vcpuQuotaFamily(instanceType);
    vcpus.set(family, (vcpus.get(family) ?? 0) + getInstanceType(instanceType).vcpu * nodes);
  };
  // The autoscaler may take the fleet to its maximum: an account below that refuses the scale-up.
  add(config.instanceType, fleetNodeBounds(config).max);
  add(config.loadTest.instanceType, config.cluster.systemNodes);
  const needs: QuotaNeed[] = [...vcpus].map(([family, need]) => ({
    serviceCode: "ec2",
    quotaCode: VCPU_QUOTAS[family].code,
    name: VCPU_QUOTAS[family].name,
    need,
  }));
  needs.push({ ...ELASTIC_IP_QUOTA, need: natGatewayCount(config) }, { ...VPC_QUOTA, need: 1 }, { ...INTERNET_GATEWAY_QUOTA, need: 1 });
  return needs;
}

/** Needs of stacks that are up at the same time, added up by quota. */
export function sumQuotaNeeds(perStack: readonly (readonly QuotaNeed[])[]): QuotaNeed[] {
  const byCode = new Map<string, QuotaNeed>();
  for (const need of perStack.flat()) {
    const seen = byCode.get(need.quotaCode);
    byCode.set(need.quotaCode, seen ? { ...seen, need: seen.need + need.need } : need);
  }
  return [...byCode.values()];
}

/** How to raise a quota, as a command a person can run. */
export function raiseQuotaCommand(need: QuotaNeed, region: string): string {
  return (
    `aws service-quotas request-service-quota-increase --service-code ${need.serviceCode} --quota-code ${need.quotaCode} --desired-value ${need.need} ` +
    `--region ${region}`
  );
}
