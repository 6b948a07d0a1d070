/**
 * Cluster Autoscaler for the fleet node group (kubernetes/autoscaler cluster-autoscaler chart 9.59.0, the image
 * of the cluster's Kubernetes minor from fleet-config's version table; cloudprovider/aws/README.md): auto-discovery by ASG tags, and node-template tags so it
 * can scale the group up from zero nodes (it then reads labels, taints and extended resources from them).
 */
import { CLUSTER_AUTOSCALER_RESOURCES, getInstanceType, kubernetesVersionFacts, nodeAllocatable } from "@inference-fleet/fleet-config";
import { LABELS } from "../constants.js";
import type { NodeGroupPlan } from "./node-groups.js";
import { containerResources } from "./container-resources.js";

export const CLUSTER_AUTOSCALER = {
  chart: "cluster-autoscaler",
  repository: "https://kubernetes.github.io/autoscaler",
  version: "9.59.0",
  namespace: "kube-system",
  serviceAccount: "cluster-autoscaler",
} as const;

/** How long a fleet node may stand empty before the autoscaler removes it. */
const SCALE_DOWN_UNNEEDED_TIME = "5m";

/** The ASG tags the autoscaler discovers the fleet group by. */
export function discoveryTags(clusterName: string): Record<string, string> {
  return { "k8s.io/cluster-autoscaler/enabled": "true", [`k8s.io/cluster-autoscaler/${clusterName}`]: "owned" };
}

/**
 * The node-template tags for a node group at zero nodes: its labels, its taints (value:Effect) and the
 * extended resources the autoscaler cannot derive from the instance type (Neuron devices and cores),
 * with what one node offers, as `fleet plan` computes it.
 */
export function nodeTemplateTags(plan: NodeGroupPlan): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...plan.labels, [LABELS.instanceType]: plan.instanceType })) {
    tags[`k8s.io/cluster-autoscaler/node-template/label/${key}`] = value;
  }
  for (const taint of plan.taints) tags[`k8s.io/cluster-autoscaler/node-template/taint/${taint.key}`] = `${taint.value}:NoSchedule`;
  if (plan.accelerator === "neuron") {
    for (const [resource, count] of Object.entries(nodeAllocatable(getInstanceType(plan.instanceType)).devices)) {
      tags[`k8s.io/cluster-autoscaler/node-template/resources/${resource}`] = String(count);
    }
  }
  return tags;
}

/** The chart's values: AWS auto-discovery for this cluster, on a system node, with the requests `fleet plan` counts. */
export function clusterAutoscalerValues(clusterName: string, region: string, kubernetesVersion: string): Record<string, unknown> {
  return {
    cloudProvider: "aws",
    awsRegion: region,
    autoDiscovery: { clusterName },
    // The autoscaler supports only the Kubernetes minor it was built for.
    image: { tag: kubernetesVersionFacts(kubernetesVersion).clusterAutoscalerImage },
    rbac: { serviceAccount: { create: true, name: CLUSTER_AUTOSCALER.serviceAccount } },
    nodeSelector: { [LABELS.nodeRole]: "system" },
    resources: containerResources(CLUSTER_AUTOSCALER_RESOURCES),
    extraArgs: {
      "scale-down-unneeded-time": SCALE_DOWN_UNNEEDED_TIME,
      "skip-nodes-with-system-pods": false,
      "balance-similar-node-groups": false,
      expander: "least-waste",
    },
  };
}
