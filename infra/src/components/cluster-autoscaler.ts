import * as aws from "@pulumi/aws";
import type * as eks from "@pulumi/eks";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { clusterAutoscalerPolicy } from "../builders/addon-iam.js";
import { CLUSTER_AUTOSCALER, clusterAutoscalerValues, discoveryTags, nodeTemplateTags } from "../builders/cluster-autoscaler.js";
import type { NodeGroupPlan } from "../builders/node-groups.js";
import { workloadRole } from "./workload-role.js";

export interface ClusterAutoscalerArgs {
  /** The EKS cluster's name (known when the program runs: the Cluster names it). */
  readonly clusterName: string;
  readonly clusterArn: pulumi.Input<string>;
  readonly region: string;
  /** The cluster's Kubernetes minor: the autoscaler image must be of the same minor. */
  readonly kubernetesVersion: string;
  readonly provider: k8s.Provider;
  /** The fleet node group (min 0) and its plan: its ASG gets the discovery and node-template tags. */
  readonly fleetGroup: eks.ManagedNodeGroup;
  readonly fleetPlan: NodeGroupPlan;
  /** The node groups: the autoscaler's pod needs a system node. */
  readonly nodes: pulumi.Resource[];
}

/**
 * Cluster Autoscaler (Helm chart) with its IAM permissions through Pod Identity, and the tags on the
 * fleet node group's Auto Scaling group that let it find the group and scale it up from zero nodes.
 * Managed node groups do not copy their own tags to the ASG, so each tag is an aws.autoscaling.Tag.
 */
export class ClusterAutoscaler extends pulumi.ComponentResource {
  constructor(name: string, args: ClusterAutoscalerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-fleet:infra:ClusterAutoscaler", name, {}, opts);
    const ca = CLUSTER_AUTOSCALER;
    const clusterName = args.clusterName;
    const asgName = args.fleetGroup.nodeGroup.resources.apply((resources) => resources[0]!.autoscalingGroups[0]!.name!);
    const tags = { ...discoveryTags(clusterName), ...nodeTemplateTags(args.fleetPlan) };
    const tagged = Object.entries(tags).map(
      ([key, value], i) =>
        new aws.autoscaling.Tag(
          `${name}-tag-${i}`,
          {
            autoscalingGroupName: asgName,
            tag: { key, value, propagateAtLaunch: false },
          },
          { parent: this },
        ),
    );
    const { ready } = workloadRole(
      `${name}-role`,
      {
        clusterName,
        clusterArn: args.clusterArn,
        namespace: ca.namespace,
        serviceAccount: ca.serviceAccount,
        policy: clusterAutoscalerPolicy(clusterName),
      },
      this,
    );
    new k8s.helm.v3.Release(
      name,
      {
        name: ca.chart,
        chart: ca.chart,
        version: ca.version,
        repositoryOpts: { repo: ca.repository },
        namespace: ca.namespace,
        values: clusterAutoscalerValues(clusterName, args.region, args.kubernetesVersion),
      },
      { parent: this, provider: args.provider, dependsOn: [...ready, ...tagged, ...args.nodes] },
    );
    this.registerOutputs({});
  }
}
