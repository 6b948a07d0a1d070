import type * as awsx from "@pulumi/awsx";
import type { ClusterConfig } from "@inference-fleet/fleet-config";
import { VPC_CIDR } from "../constants.js";

/** AWS services reached through interface endpoints so image pulls and credentials never cross NAT. */
export const INTERFACE_ENDPOINT_SERVICES = ["ecr.api", "ecr.dkr", "sts"] as const;

/**
 * The VPC: private subnets (nodes) and small public ones (NAT gateways only) in each AZ, NAT per
 * the config, and the S3 gateway endpoint on the private route tables. Interface endpoints need a
 * security group from this VPC, so the Network creates them after it.
 */
export function buildVpcArgs(cluster: ClusterConfig, region: string): awsx.ec2.VpcArgs {
  return {
    cidrBlock: VPC_CIDR,
    numberOfAvailabilityZones: cluster.availabilityZones,
    enableDnsHostnames: true,
    enableDnsSupport: true,
    subnetStrategy: "Auto",
    subnetSpecs: [
      { type: "Private", cidrMask: 19, tags: { "kubernetes.io/role/internal-elb": "1" } },
      { type: "Public", cidrMask: 24, tags: { "kubernetes.io/role/elb": "1" } },
    ],
    natGateways: { strategy: cluster.natGateways === "onePerAz" ? "OnePerAz" : "Single" },
    vpcEndpointStrategy: "Auto",
    vpcEndpointSpecs: [{ serviceName: `com.amazonaws.${region}.s3`, vpcEndpointType: "Gateway" }],
  };
}
