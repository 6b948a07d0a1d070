import { describe, expect, it } from "vitest";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { resourceViolations, stackViolations, type FakeResource } from "../testing/policy-harness.js";
import { ecrScanOnPushAndImmutableTags } from "./ecr.js";
import { eksEndpointNotOpen, eksSecretsEncrypted } from "./eks.js";
import { autoscaledServersHaveRoomToGrow, imdsV2HopLimitOne, nodeGroupsInPrivateSubnets } from "./nodes.js";
import { s3BucketsBlockedAndEncrypted, s3EncryptionByDefault, s3PublicAccessBlocked } from "./s3.js";
import { workloadWaitCoversStartup } from "./startup-wait.js";
import { containersNonRootWithLimits } from "./workloads.js";

const secure = { runAsNonRoot: true };
const limits = { limits: { cpu: "1", memory: "1Gi" } };
const deployment = (container: Record<string, unknown>, namespace = "fleet") => ({
  type: "kubernetes:apps/v1:Deployment",
  props: { metadata: { namespace }, spec: { template: { spec: { containers: [{ name: "server", ...container }] } } } },
});

describe.each<[string, ResourceValidationPolicy, FakeResource, FakeResource, RegExp]>([
  [
    "ECR (awsx)",
    ecrScanOnPushAndImmutableTags,
    { type: "awsx:ecr:Repository", props: { imageScanningConfiguration: { scanOnPush: true }, imageTagMutability: "IMMUTABLE" } },
    { type: "awsx:ecr:Repository", props: { imageTagMutability: "IMMUTABLE" } },
    /scanOnPush/,
  ],
  [
    "ECR (aws) mutable tags",
    ecrScanOnPushAndImmutableTags,
    { type: "aws:ecr/repository:Repository", props: { imageScanningConfiguration: { scanOnPush: true }, imageTagMutability: "IMMUTABLE" } },
    { type: "aws:ecr/repository:Repository", props: { imageScanningConfiguration: { scanOnPush: true }, imageTagMutability: "MUTABLE" } },
    /IMMUTABLE/,
  ],
  [
    "S3 public access block",
    s3PublicAccessBlocked,
    {
      type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
      props: { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    },
    { type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", props: { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true } },
    /restrictPublicBuckets/,
  ],
  [
    "S3 default encryption",
    s3EncryptionByDefault,
    {
      type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      props: { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
    },
    { type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", props: { rules: [] } },
    /default encryption/,
  ],
  [
    "IMDSv2 launch template",
    imdsV2HopLimitOne,
    { type: "aws:ec2/launchTemplate:LaunchTemplate", props: { metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 } } },
    { type: "aws:ec2/launchTemplate:LaunchTemplate", props: { metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2 } } },
    /hop limit is 2/,
  ],
  [
    "IMDSv2 node group",
    imdsV2HopLimitOne,
    { type: "eks:index:ManagedNodeGroup", props: { launchTemplate: { id: "lt-1", version: "1" } } },
    { type: "aws:eks/nodeGroup:NodeGroup", props: {} },
    /no launch template/,
  ],
  [
    "EKS endpoint (eks)",
    eksEndpointNotOpen,
    { type: "eks:index:Cluster", props: { endpointPublicAccess: true, publicAccessCidrs: ["198.51.100.0/24"] } },
    { type: "eks:index:Cluster", props: { endpointPublicAccess: true } },
    /no publicAccessCidrs/,
  ],
  [
    "EKS endpoint (aws)",
    eksEndpointNotOpen,
    { type: "aws:eks/cluster:Cluster", props: { vpcConfig: { endpointPublicAccess: false } } },
    { type: "aws:eks/cluster:Cluster", props: { vpcConfig: { endpointPublicAccess: true, publicAccessCidrs: ["0.0.0.0/0"] } } },
    /0\.0\.0\.0\/0/,
  ],
  [
    "EKS secrets (eks)",
    eksSecretsEncrypted,
    { type: "eks:index:Cluster", props: { encryptionConfigKeyArn: "arn:aws:kms:us-east-1:1:key/k" } },
    { type: "eks:index:Cluster", props: {} },
    /not encrypted/,
  ],
  [
    "EKS secrets (aws)",
    eksSecretsEncrypted,
    { type: "aws:eks/cluster:Cluster", props: { encryptionConfig: { provider: { keyArn: "arn:k" }, resources: ["secrets"] } } },
    { type: "aws:eks/cluster:Cluster", props: { encryptionConfig: { provider: { keyArn: "arn:k" }, resources: [] } } },
    /not encrypted/,
  ],
  [
    "containers run as non-root",
    containersNonRootWithLimits,
    deployment({ securityContext: secure, resources: limits }),
    deployment({ resources: limits }),
    /may run as root/,
  ],
  [
    "containers have limits",
    containersNonRootWithLimits,
    deployment({ securityContext: secure, resources: limits }),
    deployment({ securityContext: secure, resources: { limits: { cpu: "1" } } }),
    /no memory limit/,
  ],
  [
    "a Deployment's wait covers its startup probe (a 45-minute Neuron compile)",
    workloadWaitCoversStartup,
    {
      ...deployment({ startupProbe: { periodSeconds: 5, failureThreshold: 540 } }),
      opts: { customTimeouts: { createSeconds: 3600, updateSeconds: 3600, deleteSeconds: 0 } },
    },
    deployment({ startupProbe: { periodSeconds: 5, failureThreshold: 540 } }),
    /waits 600 s on create but the startup probe allows 2700 s: set customTimeouts\.create to at least 2700s/,
  ],
])("policy %s", (_, policy, passing, failing, message) => {
  it("passes a compliant resource", async () => {
    expect(await resourceViolations(policy, passing)).toEqual([]);
  });
  it("reports a non-compliant one", async () => {
    const violations = await resourceViolations(policy, failing);
    expect(violations.length).toBeGreaterThan(0);
    expect(violations.join("\n")).toMatch(message);
  });
});

describe("containers-non-root-with-limits", () => {
  it("accepts runAsNonRoot on the pod, and leaves kube-system node agents alone", async () => {
    const podLevel = {
      type: "kubernetes:batch/v1:Job",
      props: {
        spec: {
          template: {
            spec: { securityContext: secure, initContainers: [{ name: "k6", resources: limits }], containers: [{ name: "upload", resources: limits }] },
          },
        },
      },
    };
    expect(await resourceViolations(containersNonRootWithLimits, podLevel)).toEqual([]);
    expect(await resourceViolations(containersNonRootWithLimits, deployment({}, "kube-system"))).toEqual([]);
  });
});

describe.each<[string, StackValidationPolicy, FakeResource[], FakeResource[], RegExp]>([
  [
    "buckets blocked and encrypted",
    s3BucketsBlockedAndEncrypted,
    [
      { type: "aws:s3/bucket:Bucket", name: "store", props: { id: "store-1", bucket: "store-1" } },
      { type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", props: { bucket: "store-1" } },
      { type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", props: { bucket: "store-1" } },
    ],
    [
      { type: "aws:s3/bucket:Bucket", name: "store", props: { id: "store-1", bucket: "store-1" } },
      { type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", props: { bucket: "other" } },
      { type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", props: { bucket: "store-1" } },
    ],
    /no public access block/,
  ],
  [
    "node groups in private subnets",
    nodeGroupsInPrivateSubnets,
    [
      { type: "awsx:ec2:Vpc", props: { publicSubnetIds: ["subnet-pub"], privateSubnetIds: ["subnet-priv"] } },
      { type: "eks:index:ManagedNodeGroup", name: "fleet", props: { subnetIds: ["subnet-priv"] } },
    ],
    [
      { type: "aws:ec2/subnet:Subnet", props: { id: "subnet-pub", mapPublicIpOnLaunch: true } },
      { type: "aws:eks/nodeGroup:NodeGroup", name: "fleet", props: { subnetIds: ["subnet-priv", "subnet-pub"] } },
    ],
    /public subnets subnet-pub/,
  ],
  [
    "node groups name their subnets",
    nodeGroupsInPrivateSubnets,
    [{ type: "eks:index:ManagedNodeGroup", name: "fleet", props: { subnetIds: ["subnet-priv"] } }],
    [{ type: "eks:index:ManagedNodeGroup", name: "fleet", props: {} }],
    /names no subnets/,
  ],
  [
    "autoscaled servers have room to grow",
    autoscaledServersHaveRoomToGrow,
    [
      { type: "kubernetes:keda.sh/v1alpha1:ScaledObject", name: "server0", props: {} },
      {
        type: "eks:index:ManagedNodeGroup",
        name: "fleet",
        props: { labels: { "inference-fleet.io/role": "fleet" }, scalingConfig: { minSize: 2, maxSize: 4 } },
      },
    ],
    [
      { type: "kubernetes:keda.sh/v1alpha1:ScaledObject", name: "server0", props: {} },
      {
        type: "eks:index:ManagedNodeGroup",
        name: "fleet",
        props: { labels: { "inference-fleet.io/role": "fleet" }, scalingConfig: { minSize: 2, maxSize: 2 } },
      },
    ],
    /scales from 2 to 2 nodes.*maxSize above minSize/,
  ],
])("stack policy %s", (_, policy, passing, failing, message) => {
  it("passes a compliant stack", async () => {
    expect(await stackViolations(policy, passing)).toEqual([]);
  });
  it("reports a non-compliant one", async () => {
    expect((await stackViolations(policy, failing)).join("\n")).toMatch(message);
  });
});
