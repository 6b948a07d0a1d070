import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { loadBalancerControllerPolicy } from "../builders/addon-iam.js";
import { LOAD_BALANCER_CONTROLLER, loadBalancerControllerValues } from "../builders/load-balancer.js";
import { workloadRole } from "./workload-role.js";

export interface LoadBalancerControllerArgs {
  readonly clusterName: pulumi.Input<string>;
  readonly clusterArn: pulumi.Input<string>;
  readonly region: string;
  readonly vpcId: pulumi.Input<string>;
  readonly provider: k8s.Provider;
  /** The node groups: the controller's pods need somewhere to run. */
  readonly nodes: pulumi.Resource[];
}

/** The AWS Load Balancer Controller from its Helm chart, with the IAM policy AWS publishes for it, through Pod Identity. */
export class LoadBalancerController extends pulumi.ComponentResource {
  readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: LoadBalancerControllerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-fleet:infra:LoadBalancerController", name, {}, opts);
    const lbc = LOAD_BALANCER_CONTROLLER;
    const { ready } = workloadRole(
      `${name}-role`,
      {
        clusterName: args.clusterName,
        clusterArn: args.clusterArn,
        namespace: lbc.namespace,
        serviceAccount: lbc.serviceAccount,
        policy: loadBalancerControllerPolicy(lbc.policyVersion),
      },
      this,
    );
    this.release = new k8s.helm.v3.Release(
      name,
      {
        name: lbc.chart,
        chart: lbc.chart,
        version: lbc.version,
        repositoryOpts: { repo: lbc.repository },
        namespace: lbc.namespace,
        values: pulumi.all([args.clusterName, args.vpcId]).apply(([cluster, vpcId]) => loadBalancerControllerValues(cluster, args.region, vpcId)),
      },
      { parent: this, provider: args.provider, dependsOn: [...ready, ...args.nodes] },
    );
    this.registerOutputs({});
  }
}
