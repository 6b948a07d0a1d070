/**
 * Runs the infra program under Pulumi's mocks and records every resource it registers, with the
 * inputs it passed. Test-only: imported by *.test.ts files of the infra project.
 */
import * as pulumi from "@pulumi/pulumi";
import * as runtimeSettings from "@pulumi/pulumi/runtime/settings.js";
import { loadStackConfig, PROJECT, type FleetConfig } from "@inference-fleet/fleet-config";

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
  readonly state: Record<string, any>;
}

const FAKE_ACCOUNT = "123456789012";
const MOCK_PUBLIC_SUBNETS = ["subnet-public-a", "subnet-public-b", "subnet-public-c"];
export const MOCK_PRIVATE_SUBNETS = ["subnet-private-a", "subnet-private-b", "subnet-private-c"];

/** The outputs the program reads from resources that are opaque under mocks (multi-language components). */
function stateFor(args: pulumi.runtime.MockResourceArgs): Record<string, any> {
  const inputs = args.inputs as Record<string, any>;
  switch (args.type) {
    case "awsx:ec2:Vpc":
      return { ...inputs, vpcId: "vpc-123", privateSubnetIds: MOCK_PRIVATE_SUBNETS, publicSubnetIds: MOCK_PUBLIC_SUBNETS };
    case "eks:index:Cluster":
      return {
        ...inputs,
        kubeconfigJson: JSON.stringify({ apiVersion: "v1", kind: "Config", clusters: [] }),
        eksCluster: { name: inputs.name, arn: `arn:aws:eks:us-east-1:${FAKE_ACCOUNT}:cluster/${inputs.name}` },
      };
    case "awsx:ecr:Repository":
      return { ...inputs, url: `${FAKE_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/${args.name}` };
    case "awsx:ecr:Image":
      return { ...inputs, imageUri: `${inputs.repositoryUrl}@sha256:${"0".repeat(64)}` };
    case "aws:s3/bucket:Bucket":
      return { ...inputs, bucket: `${args.name}-bucket`, arn: `arn:aws:s3:::${args.name}-bucket` };
    case "aws:iam/role:Role":
      return { ...inputs, name: `${args.name}-role`, arn: `arn:aws:iam::${FAKE_ACCOUNT}:role/${args.name}` };
    case "aws:ec2/launchTemplate:LaunchTemplate":
      return { ...inputs, latestVersion: 1 };
    case "eks:index:ManagedNodeGroup":
      return { ...inputs, nodeGroup: { resources: [{ autoscalingGroups: [{ name: `${args.name}-asg` }] }] } };
    case "kubernetes:core/v1:Service":
    case "kubernetes:networking.k8s.io/v1:Ingress":
      // What the load balancer controller writes back: the load balancer's DNS name.
      return { ...inputs, status: { loadBalancer: { ingress: [{ hostname: `${args.name}.elb.us-east-1.amazonaws.com` }] } } };
    default:
      // Every AWS resource has an ARN; the program passes some along (e.g. the KMS key's).
      return { arn: `arn:aws:mock:us-east-1:${FAKE_ACCOUNT}:${args.name}`, ...inputs };
  }
}

function callResult(args: pulumi.runtime.MockCallArgs): Record<string, any> {
  if (args.token === "aws:eks/getCluster:getCluster") {
    const name = (args.inputs as { name: string }).name;
    return {
      name,
      arn: `arn:aws:eks:us-east-1:${FAKE_ACCOUNT}:cluster/${name}`,
      endpoint: "https://example.eks.amazonaws.com",
      certificateAuthorities: [{ data: "Q0E=" }],
    };
  }
  return args.inputs as Record<string, any>;
}

/** Installs mocks for a stack with these (namespaced) config values; returns what gets registered. */
export async function mockStack(stack: string, config: Record<string, unknown>): Promise<RecordedResource[]> {
  const recorded: RecordedResource[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const state = stateFor(args);
        recorded.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, any>, state });
        return { id: `${args.name}-id`, state };
      },
      call: callResult,
    },
    PROJECT,
    stack,
    false,
  );
  pulumi.runtime.setAllConfig(
    Object.fromEntries(Object.entries(config).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)])),
  );
  return recorded;
}

/**
 * A validated config back in Pulumi's namespaced form, as `pulumi config` would hold it; the
 * schema accepts its own output, so the program parses it again exactly as on a real run.
 */
function toNamespacedConfig(config: FleetConfig): Record<string, unknown> {
  const { stack: _stack, region, ...fields } = config;
  return { "aws:region": region, ...Object.fromEntries(Object.entries(fields).map(([key, value]) => [`${PROJECT}:${key}`, value])) };
}

/** stacks/Pulumi.<stack>.yaml as namespaced config (FLEET_* variables ignored). */
export function stackFileConfig(stack: string): Record<string, unknown> {
  return toNamespacedConfig(loadStackConfig(stack, { env: {} }));
}

/** Resolves an output (its value under mocks). */
export function unwrap<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value)));
}

/** Waits until every registration has been answered by the mocks. */
export function settled(): Promise<void> {
  // waitForRPCs is marked internal (absent from the typings), but it is what `disconnect` waits on.
  return (runtimeSettings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
}
