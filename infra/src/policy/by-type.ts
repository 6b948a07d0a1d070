import type { ReportViolation, ResourceValidation } from "@pulumi/policy";

/** A resource validation that applies to the listed type tokens only. */
export function forTypes(types: readonly string[], check: (props: Record<string, any>, report: ReportViolation, type: string) => void): ResourceValidation {
  return (args, report) => {
    if (types.includes(args.type)) check(args.props, report, args.type);
  };
}

/** The awsx/eks component and the plain AWS resource it creates share property names for these settings. */
export const TYPES = {
  ecrRepository: ["awsx:ecr:Repository", "aws:ecr/repository:Repository"],
  nodeGroup: ["eks:index:ManagedNodeGroup", "aws:eks/nodeGroup:NodeGroup"],
  eksComponent: "eks:index:Cluster",
  eksCluster: "aws:eks/cluster:Cluster",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  bucket: "aws:s3/bucket:Bucket",
  publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  bucketEncryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
} as const;
