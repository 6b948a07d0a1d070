import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KEDA, kedaOperatorPolicy, kedaValues } from "../builders/keda.js";
import { workloadRole } from "./workload-role.js";

export interface KedaArgs {
  readonly clusterName: pulumi.Input<string>;
  readonly clusterArn: pulumi.Input<string>;
  readonly provider: k8s.Provider;
  /** The node groups: KEDA's pods need a system node. */
  readonly nodes: pulumi.Resource[];
}

/**
 * KEDA from its Helm chart (its CRDs, operator, metrics API server and webhooks), with the operator's Pod Identity role
 * that may read CloudWatch metrics: the servers' ScaledObjects (made by the Fleet) need it first.
 */
export class Keda extends pulumi.ComponentResource {
  readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: KedaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-fleet:infra:Keda", name, {}, opts);
    const { ready } = workloadRole(
      `${name}-role`,
      {
        clusterName: args.clusterName,
        clusterArn: args.clusterArn,
        namespace: KEDA.namespace,
        serviceAccount: KEDA.serviceAccount,
        policy: kedaOperatorPolicy(),
      },
      this,
    );
    this.release = new k8s.helm.v3.Release(
      name,
      {
        name: KEDA.chart,
        chart: KEDA.chart,
        version: KEDA.version,
        repositoryOpts: { repo: KEDA.repository },
        namespace: KEDA.namespace,
        createNamespace: true,
        values: kedaValues(),
      },
      // The operator must start with its Pod Identity association in place (EKS injects credentials at pod creation).
      { parent: this, provider: args.provider, dependsOn: [...ready, ...args.nodes] },
    );
    this.registerOutputs({});
  }
}
