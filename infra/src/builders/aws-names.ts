import { createHash } from "node:crypto";

/** Pulumi's autoname: the logical name, a dash and 7 random hex characters. */
export const AUTONAME_SUFFIX_LENGTH = 8;
/** What the AWS provider appends to a `namePrefix` (a timestamp-based unique id). */
export const NAME_PREFIX_SUFFIX_LENGTH = 26;

/**
 * The longest physical name AWS accepts for each resource type this program names (AWS API references: IAM
 * CreateRole/PutRolePolicy/CreatePolicy, S3 bucket naming rules, CloudWatch Logs CreateLogGroup, ECR
 * CreateRepository, EKS CreateCluster/CreateNodegroup, EC2 CreateLaunchTemplate/CreateSecurityGroup, CloudWatch
 * PutMetricAlarm/PutDashboard).
 */
export const AWS_NAME_LIMITS: Readonly<Record<string, number>> = {
  "aws:iam/role:Role": 64,
  "aws:iam/rolePolicy:RolePolicy": 128,
  "aws:iam/policy:Policy": 128,
  "aws:s3/bucket:Bucket": 63,
  "aws:s3/bucketV2:BucketV2": 63,
  "aws:cloudwatch/logGroup:LogGroup": 512,
  "awsx:ecr:Repository": 256,
  "aws:ecr/repository:Repository": 256,
  "eks:index:Cluster": 100,
  "eks:index:ManagedNodeGroup": 63,
  "aws:eks/nodeGroup:NodeGroup": 63,
  "aws:ec2/launchTemplate:LaunchTemplate": 128,
  "aws:ec2/securityGroup:SecurityGroup": 255,
  "aws:cloudwatch/metricAlarm:MetricAlarm": 255,
  "aws:cloudwatch/dashboard:Dashboard": 255,
};

/** The inputs that set a physical name outright, per type (otherwise Pulumi autonames from the logical name). */
const EXPLICIT_NAME_INPUTS = ["name", "bucket", "nodeGroupName", "clusterName", "dashboardName", "alarmName", "roleName"];

/** The physical name's length as AWS will see it: an explicit name, a prefix plus the provider's suffix, or an autoname. */
export function physicalNameLength(logicalName: string, inputs: Record<string, unknown>): number {
  for (const key of EXPLICIT_NAME_INPUTS) if (typeof inputs[key] === "string") return (inputs[key] as string).length;
  if (typeof inputs["namePrefix"] === "string") return (inputs["namePrefix"] as string).length + NAME_PREFIX_SUFFIX_LENGTH;
  return logicalName.length + AUTONAME_SUFFIX_LENGTH;
}

/**
 * `namePrefix` for a resource whose autoname would pass `limit` (a long stack name, a long component name): the
 * logical name cut to fit with a short hash of the whole name, so two long names never meet. Undefined when the
 * autoname fits, so resources whose names fit keep them (a new name would replace them).
 */
export function namePrefixWithin(logicalName: string, limit: number): string | undefined {
  if (logicalName.length + AUTONAME_SUFFIX_LENGTH <= limit) return undefined;
  const hash = createHash("sha256").update(logicalName).digest("hex").slice(0, 6);
  const keep = limit - NAME_PREFIX_SUFFIX_LENGTH - hash.length - 2;
  return `${logicalName.slice(0, keep).replace(/-+$/, "")}-${hash}-`;
}
