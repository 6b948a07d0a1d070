import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/** Where the fleet runs: a cluster this program made, or one brought by the user. */
export interface KubernetesTarget {
  readonly provider: k8s.Provider;
  readonly kubeconfig: pulumi.Output<string>;
  /** The EKS cluster's name and ARN; absent for a bring-your-own kubeconfig, which gets no Pod Identity. */
  readonly clusterName?: pulumi.Output<string>;
  readonly clusterArn?: pulumi.Output<string>;
  /**
   * The AWS Load Balancer Controller this program installed (server.expose), if any: a LoadBalancer Service or an
   * Ingress must wait for it on create (its webhook and the load balancer itself come from it), and its finalizers
   * need it running until they are gone on destroy, or the load balancer is stranded and the VPC cannot be deleted.
   */
  readonly loadBalancerController?: pulumi.Resource;
  /** KEDA (server.autoscaling): the ScaledObjects need its CRDs, and the operator to remove their HPAs on destroy. */
  readonly keda?: pulumi.Resource;
}
