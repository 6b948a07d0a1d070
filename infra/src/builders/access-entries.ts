/** EKS access entries for extra admins, leaving out the identity that deploys (EKS already made it admin). */
import { parseAssumedRoleArn } from "@inference-fleet/fleet-config";

/** Account and name of an IAM role or user, from its ARN or from an STS assumed-role session ARN. */
function principalKey(arn: string): string | undefined {
  const assumed = parseAssumedRoleArn(arn);
  if (assumed) return `${assumed.account}:role/${assumed.role}`;
  const iam = /^arn:aws[a-z-]*:iam::(\d{12}):(role|user)\/(?:.*\/)?([^/]+)$/.exec(arn);
  return iam ? `${iam[1]}:${iam[2]}/${iam[3]}` : undefined;
}

/** Whether two ARNs name the same role or user (an assumed-role session matches its role, whatever the role's path). */
function isSamePrincipal(a: string, b: string): boolean {
  const key = principalKey(a);
  return key !== undefined && key === principalKey(b);
}

const CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";

/**
 * Access entries for the configured admins. The deployer is bootstrapped as cluster admin by EKS
 * (bootstrapClusterCreatorAdminPermissions), and a second entry for it fails with 409, so it is
 * skipped; `skipped` says which ones were, for a log line.
 */
export function buildAdminAccessEntries(adminPrincipals: readonly string[], deployerArn: string | undefined) {
  const skipped = deployerArn ? adminPrincipals.filter((arn) => isSamePrincipal(arn, deployerArn)) : [];
  const entries = Object.fromEntries(
    adminPrincipals
      .filter((arn) => !skipped.includes(arn))
      .map((principalArn, i) => [
        `admin${i}`,
        {
          principalArn,
          accessPolicies: { admin: { policyArn: CLUSTER_ADMIN_POLICY, accessScope: { type: "cluster" } } },
        },
      ]),
  );
  return { entries, skipped };
}
