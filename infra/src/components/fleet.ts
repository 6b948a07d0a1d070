import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { FleetConfig } from "@inference-fleet/fleet-config";
import {
  buildFleetDeployment,
  buildNamespace,
  buildPodDisruptionBudgets,
  buildPrePullDaemonSet,
  buildServerService,
  serverUrl,
} from "../builders/fleet-objects.js";
import { buildScaledObject, buildTriggerAuthentication, KEDA } from "../builders/keda.js";
import { buildAlbObjects, buildNlbService, LOAD_BALANCER_NAME } from "../builders/load-balancer.js";
import { buildNetworkPolicies } from "../builders/network-policies.js";
import { OBSERVABILITY_NAMESPACE } from "../builders/observability-agent.js";
import { SERVER_APP, VPC_CIDR } from "../constants.js";
import { deploymentWaitSeconds, modelNamesFor, serverLabels, serverName } from "../builders/server-pod.js";

export interface FleetArgs {
  /** The fleet config: servers, models, resources, placement. */
  readonly config: FleetConfig;
  /** The server image (ours from the Registry, or the config's external one). */
  readonly image: pulumi.Input<string>;
  /** MODEL_SOURCE for the servers. */
  readonly modelSource: pulumi.Input<string>;
  /** Namespace of the load generators, the only one admitted to the servers' HTTP port. */
  readonly loadTestNamespace: string;
  /** The ServiceAccount the servers run as (its Pod Identity association gives read access to the model). */
  readonly serviceAccountName: string;
  readonly provider: k8s.Provider;
  /** Created before any server pod: the model files and the Pod Identity association (ModelStore.fleetPrerequisites). */
  readonly prerequisites?: pulumi.Resource[];
  /** What a load balancer object needs first and last (the controller that owns its finalizer): server.expose only. */
  readonly loadBalancerController?: pulumi.Resource;
  /** The EKS cluster's name: the ScaledObjects' CloudWatch dimension (server.autoscaling only). */
  readonly clusterName?: pulumi.Input<string>;
  /** KEDA, installed with the cluster (server.autoscaling): the ScaledObjects are its CRDs. */
  readonly keda?: pulumi.Resource;
}

/**
 * numServers model servers, each a one-replica Deployment with its own Service (server0..N-1),
 * in a restricted namespace with default-deny NetworkPolicies, a PodDisruptionBudget and, when
 * configured, an image pre-pull DaemonSet. The load-test namespace is created here too, so the
 * network policies of both sides are made together.
 */
export class Fleet extends pulumi.ComponentResource {
  readonly namespace: string;
  /** Base URLs of the servers, in server order. */
  readonly targets: string[];
  readonly models: string[];
  /** http://<load balancer DNS name>:<port> with server.expose, once the controller has made it. */
  readonly loadBalancerUrl: pulumi.Output<string> | undefined;

  constructor(name: string, args: FleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-fleet:infra:Fleet", name, {}, opts);
    const { config, provider } = args;
    const namespace = config.namespace;
    const k8sOpts = { parent: this, provider };
    const fleetNs = new k8s.core.v1.Namespace(`${name}-ns`, buildNamespace(namespace), k8sOpts);
    const loadNs = new k8s.core.v1.Namespace(`${name}-load-test-ns`, buildNamespace(args.loadTestNamespace), k8sOpts);
    const inNamespace = { ...k8sOpts, dependsOn: [fleetNs, loadNs] };

    new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      {
        metadata: { name: args.serviceAccountName, namespace },
        automountServiceAccountToken: false,
      },
      inNamespace,
    );
    const exposed = config.server.expose !== "none";
    buildNetworkPolicies({
      fleetNamespace: namespace,
      loadTestNamespace: args.loadTestNamespace,
      serverPort: config.server.port,
      serverLabels: serverLabels(config),
      metricsScraperNamespaces: config.observability.enabled ? [OBSERVABILITY_NAMESPACE] : [],
      loadBalancerCidr: exposed ? VPC_CIDR : undefined,
    }).forEach((policy) => new k8s.networking.v1.NetworkPolicy(`${name}-${policy.metadata.namespace}-${policy.metadata.name}`, policy, inNamespace));

    const deployed = pulumi.all([args.image, args.modelSource]);
    const waitSeconds = deploymentWaitSeconds(config);
    const deployments: pulumi.Resource[] = [];
    for (let i = 0; i < config.server.numServers; i++) {
      const deployment = deployed.apply(([image, modelSource]) =>
        buildFleetDeployment(config, namespace, i, { image, modelSource, serviceAccountName: args.serviceAccountName }),
      );
      const created = new k8s.apps.v1.Deployment(
        `${name}-${serverName(i)}`,
        { metadata: deployment.metadata, spec: deployment.spec },
        {
          ...inNamespace,
          dependsOn: [...inNamespace.dependsOn, ...(args.prerequisites ?? [])],
          // Pulumi waits for readiness: as long as the startup probe allows (a Neuron compile), not its 10-minute default.
          customTimeouts: { create: `${waitSeconds}s`, update: `${waitSeconds}s` },
        },
      );
      deployments.push(created);
      new k8s.core.v1.Service(`${name}-${serverName(i)}`, buildServerService(config, namespace, i), inNamespace);
    }
    for (const budget of buildPodDisruptionBudgets(config, namespace)) {
      // The one all-server budget keeps its name, so existing stacks see no replacement.
      new k8s.policy.v1.PodDisruptionBudget(budget.metadata.name === SERVER_APP ? `${name}-pdb` : `${name}-pdb-${budget.metadata.name}`, budget, inNamespace);
    }
    if (config.server.autoscaling.enabled) this.scaleServers(name, args, { ...inNamespace, dependsOn: [...inNamespace.dependsOn, ...deployments] });
    if (config.cluster.prePullImages) {
      const daemonSet = pulumi.output(args.image).apply((image) => buildPrePullDaemonSet(config, namespace, image));
      new k8s.apps.v1.DaemonSet(`${name}-pre-pull`, { metadata: daemonSet.metadata, spec: daemonSet.spec }, inNamespace);
    }

    const lbOpts = { ...inNamespace, dependsOn: [...inNamespace.dependsOn, ...(args.loadBalancerController ? [args.loadBalancerController] : [])] };
    this.loadBalancerUrl = exposed ? this.exposeServers(name, config, lbOpts) : undefined;
    this.namespace = namespace;
    this.targets = Array.from({ length: config.server.numServers }, (_, i) => serverUrl(config, namespace, i));
    this.models = modelNamesFor(config);
    this.registerOutputs({ namespace, targets: this.targets, models: this.models });
  }

  /**
   * One ScaledObject per server Deployment (replicas of that server: its shard stays its own) and the TriggerAuthentication
   * they share, after KEDA (its CRDs) and the Deployments they scale.
   */
  private scaleServers(name: string, args: FleetArgs, opts: pulumi.CustomResourceOptions): void {
    const { config } = args;
    if (!args.clusterName || !args.keda) {
      throw new Error(
        "server.autoscaling needs the cluster this program creates (KEDA is installed with it): remove cluster.existing or turn autoscaling off.",
      );
    }
    const kedaOpts = { ...opts, dependsOn: [...((opts.dependsOn as pulumi.Resource[]) ?? []), args.keda] };
    const auth = buildTriggerAuthentication(config.namespace);
    const authentication = new k8s.apiextensions.CustomResource(`${name}-keda-auth`, auth, kedaOpts);
    for (let i = 0; i < config.server.numServers; i++) {
      const scaled = pulumi.output(args.clusterName).apply((cluster) => buildScaledObject(config, config.namespace, i, cluster));
      new k8s.apiextensions.CustomResource(
        `${name}-${serverName(i)}-scaler`,
        // apiVersion and kind as plain strings: they make the resource's type token.
        { apiVersion: KEDA.apiVersion, kind: "ScaledObject", metadata: scaled.metadata, spec: scaled.spec },
        { ...kedaOpts, dependsOn: [...kedaOpts.dependsOn, authentication] },
      );
    }
  }

  /** An NLB Service or an ALB Ingress over every server (made by the AWS Load Balancer Controller); returns its URL. */
  private exposeServers(name: string, config: FleetArgs["config"], opts: pulumi.CustomResourceOptions): pulumi.Output<string> {
    const port = config.server.port;
    if (config.server.expose === "nlb") {
      const service = new k8s.core.v1.Service(`${name}-${LOAD_BALANCER_NAME}`, buildNlbService(config, config.namespace), opts);
      return service.status.loadBalancer.ingress.apply((ingress) => `http://${ingress[0]!.hostname}:${port}`);
    }
    const alb = buildAlbObjects(config, config.namespace);
    new k8s.core.v1.Service(`${name}-${LOAD_BALANCER_NAME}`, alb.service, opts);
    const ingress = new k8s.networking.v1.Ingress(`${name}-${LOAD_BALANCER_NAME}`, alb.ingress, opts);
    return ingress.status.loadBalancer.ingress.apply((found) => `http://${found[0]!.hostname}:${port}`);
  }
}
