import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AWS_NAME_LIMITS, namePrefixWithin } from "../builders/aws-names.js";
import { podIdentityTrustPolicy, type PolicyDocument } from "../builders/iam-documents.js";

export interface WorkloadRoleArgs {
  readonly clusterName: pulumi.Input<string>;
  readonly clusterArn: pulumi.Input<string>;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Inline permissions (the policy pack checks them for wildcard actions). */
  readonly policy?: pulumi.Input<PolicyDocument>;
  /** AWS managed policies to attach, where AWS publishes one for the add-on. */
  readonly managedPolicyArns?: readonly string[];
  /** false when the role is handed to an EKS add-on, which makes its own association. */
  readonly associate?: boolean;
}

/**
 * A role only one ServiceAccount of one cluster can assume through Pod Identity, with its permissions,
 * and (unless `associate: false`) the association. `ready` is what a pod using it must wait for.
 */
export function workloadRole(name: string, args: WorkloadRoleArgs, parent: pulumi.Resource): { role: aws.iam.Role; ready: pulumi.Resource[] } {
  const opts = { parent };
  const namePrefix = namePrefixWithin(name, AWS_NAME_LIMITS["aws:iam/role:Role"]!);
  const role = new aws.iam.Role(
    name,
    {
      ...(namePrefix === undefined ? {} : { namePrefix }),
      assumeRolePolicy: pulumi.output(args.clusterArn).apply((arn) => JSON.stringify(podIdentityTrustPolicy(arn, args.namespace, args.serviceAccount))),
    },
    opts,
  );
  const ready: pulumi.Resource[] = [];
  if (args.policy) ready.push(new aws.iam.RolePolicy(name, { role: role.name, policy: pulumi.output(args.policy).apply((doc) => JSON.stringify(doc)) }, opts));
  (args.managedPolicyArns ?? []).forEach((policyArn, i) => ready.push(new aws.iam.RolePolicyAttachment(`${name}-${i}`, { role: role.name, policyArn }, opts)));
  if (args.associate !== false) {
    ready.push(
      new aws.eks.PodIdentityAssociation(
        name,
        {
          clusterName: args.clusterName,
          namespace: args.namespace,
          serviceAccount: args.serviceAccount,
          roleArn: role.arn,
        },
        { parent, dependsOn: [...ready] },
      ),
    );
  }
  return { role, ready };
}
