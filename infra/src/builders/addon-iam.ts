/** IAM policy documents for the operations add-ons (Cluster Autoscaler, load balancer controller), as data the policy pack can read. */
import { readFileSync } from "node:fs";
import type { PolicyDocument } from "./iam-documents.js";

/**
 * The Cluster Autoscaler's permissions, from kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws/README.md
 * ("Full Cluster Autoscaler Features Policy"), with the scaling actions limited by the ASG tag EKS puts on
 * the cluster's managed node groups, as that README recommends.
 */
export function clusterAutoscalerPolicy(clusterName: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "Discover",
        Effect: "Allow",
        Action: [
          "autoscaling:DescribeAutoScalingGroups",
          "autoscaling:DescribeAutoScalingInstances",
          "autoscaling:DescribeLaunchConfigurations",
          "autoscaling:DescribeScalingActivities",
          "ec2:DescribeImages",
          "ec2:DescribeInstanceTypes",
          "ec2:DescribeLaunchTemplateVersions",
          "ec2:GetInstanceTypesFromInstanceRequirements",
          "eks:DescribeNodegroup",
        ],
        Resource: "*",
      },
      {
        Sid: "ScaleOwnNodeGroups",
        Effect: "Allow",
        Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
        Resource: "*",
        Condition: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]: "owned" } },
      },
    ],
  };
}

/** The policy AWS publishes for the load balancer controller (infra/iam/, copied unchanged). */
export function loadBalancerControllerPolicy(version: string): PolicyDocument {
  const file = new URL(`../../iam/aws-load-balancer-controller-${version}.json`, import.meta.url);
  return JSON.parse(readFileSync(file, "utf8")) as PolicyDocument;
}

/** Every action an Allow statement grants that contains a wildcard. */
export function wildcardActions(document: PolicyDocument): string[] {
  return document.Statement.filter((s) => s.Effect === "Allow")
    .flatMap((s) => [s.Action].flat())
    .filter((action) => action.includes("*"));
}
