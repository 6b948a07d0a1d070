import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/** Where the fleet runs: a cluster this program made, or one brought by the user. */
export interface KubernetesTarget {
  readonly provider: k8s.Provider;
  readonly kubeconfig: pulumi.Output<string>;
  /** The EKS cluster's name and ARN; absent for a bring-your-own kubeconfig, which gets no Pod Identity. */
  readonly clusterName?: pulumi.Output<string>;
  readonly clusterArn?: pulumi.Output<string>;
}
