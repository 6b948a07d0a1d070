import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig } from "@inference-fleet/fleet-config";
import { VPC_CIDR } from "../constants.js";
import { buildVpcArgs, INTERFACE_ENDPOINT_SERVICES } from "../builders/network.js";

export interface NetworkArgs {
  /** The cluster section of the fleet config (AZ count, NAT strategy). */
  readonly cluster: ClusterConfig;
  /** AWS region the VPC endpoints are named for. */
  readonly region: string;
}

/** A VPC over the configured AZs with private node subnets, NAT, and endpoints for ECR, S3 and STS. */
export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly privateSubnetIds: pulumi.Output<string[]>;
  readonly publicSubnetIds: pulumi.Output<string[]>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-fleet:infra:Network", name, {}, opts);
    const vpc = new awsx.ec2.Vpc(name, buildVpcArgs(args.cluster, args.region), { parent: this });
    this.vpcId = vpc.vpcId;
    this.privateSubnetIds = vpc.privateSubnetIds;
    this.publicSubnetIds = vpc.publicSubnetIds;

    const endpointGroup = new aws.ec2.SecurityGroup(
      `${name}-endpoints`,
      {
        vpcId: vpc.vpcId,
        description: "HTTPS from inside the VPC to AWS interface endpoints",
        ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: [VPC_CIDR], description: "HTTPS from the VPC" }],
      },
      { parent: this },
    );
    for (const service of INTERFACE_ENDPOINT_SERVICES) {
      new aws.ec2.VpcEndpoint(
        `${name}-${service.replace(".", "-")}`,
        {
          vpcId: vpc.vpcId,
          serviceName: `com.amazonaws.${args.region}.${service}`,
          vpcEndpointType: "Interface",
          privateDnsEnabled: true,
          subnetIds: vpc.privateSubnetIds,
          securityGroupIds: [endpointGroup.id],
        },
        { parent: this },
      );
    }
    this.registerOutputs({ vpcId: this.vpcId, privateSubnetIds: this.privateSubnetIds, publicSubnetIds: this.publicSubnetIds });
  }
}
