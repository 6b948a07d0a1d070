import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { FleetConfig } from "@inference-fleet/fleet-config";
import { buildAdminAccessEntries } from "../builders/access-entries.js";
import { buildDevicePluginDaemonSet, NEURON_PLUGIN_RULES } from "../builders/device-plugins.js";
import { buildLaunchTemplateArgs, buildNodeGroupArgs, planNodeGroups, type NodeGroupPlan } from "../builders/node-groups.js";
import { ClusterAutoscaler } from "./cluster-autoscaler.js";
import { Keda } from "./keda.js";
import type { KubernetesTarget } from "./kubernetes-target.js";
import { LoadBalancerController } from "./load-balancer-controller.js";

export interface ClusterArgs {
  /** The fleet config: Kubernetes version, endpoint access, node counts, instance types. */
  readonly config: FleetConfig;
  readonly vpcId: pulumi.Input<string>;
  /** Nodes and the control plane's network interfaces go here, never in public subnets. */
  readonly privateSubnetIds: pulumi.Input<string[]>;
  /** Only for load balancers; no node is placed here. */
  readonly publicSubnetIds: pulumi.Input<string[]>;
  /** The ARN `pulumi up` runs as (aws.getCallerIdentity): EKS makes it admin, so it gets no access entry of its own. */
  readonly deployerArn?: string;
}

/** The log group EKS writes control-plane logs to; the program creates it first so it has a retention and goes with destroy. */
function controlPlaneLogGroupName(clusterName: string): string {
  return `/aws/eks/${clusterName}/cluster`;
}

/** The managed policies a node needs to join the cluster, run the CNI and pull images; nothing for the application. */
const NODE_ROLE_POLICIES = [
  "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
  "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
  "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
] as const;

const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

/**
 * An EKS cluster with secrets encrypted by its own KMS key, control-plane logs, access entries for
 * the admins, the Pod Identity agent, a system node group and a node group for the fleet's
 * instance type (with the device plugin its accelerator needs).
 */
export class Cluster extends pulumi.ComponentResource implements KubernetesTarget {
  readonly clusterName: pulumi.Output<string>;
  readonly clusterArn: pulumi.Output<string>;
  readonly kubeconfig: pulumi.Output<string>;
  readonly provider: k8s.Provider;
  loadBalancerController?: pulumi.Resource;
  keda?: pulumi.Resource;

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-fleet:infra:Cluster", name, {}, opts);
    const cluster = this.createEksCluster(name, args);
    this.clusterName = cluster.eksCluster.apply((c) => c.name);
    this.clusterArn = cluster.eksCluster.apply((c) => c.arn);
    this.kubeconfig = pulumi.secret(cluster.kubeconfigJson);

    new aws.eks.Addon(
      `${name}-pod-identity-agent`,
      {
        clusterName: this.clusterName,
        addonName: "eks-pod-identity-agent",
        resolveConflictsOnCreate: "OVERWRITE",
      },
      { parent: this },
    );

    const plans = planNodeGroups(args.config);
    const fleetPlan = plans.find((plan) => plan.role === "fleet")!;
    const groups = this.createNodeGroups(name, args, cluster, plans);

    this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, enableServerSideApply: true }, { parent: this });
    if (fleetPlan.accelerator) this.installDevicePlugin(name, fleetPlan.accelerator);
    this.installOperations(name, args, [...groups.values()], groups.get("fleet")!, fleetPlan);
    this.registerOutputs({ clusterName: this.clusterName, kubeconfig: this.kubeconfig });
  }

  /** The control plane: its secrets key and log group first, admins by access entry, no default node group. */
  private createEksCluster(name: string, args: ClusterArgs): eks.Cluster {
    const { config } = args;
    const secretsKey = new aws.kms.Key(
      `${name}-secrets`,
      {
        description: `Envelope encryption of Kubernetes secrets in ${name}`,
        enableKeyRotation: true,
        deletionWindowInDays: 7,
      },
      { parent: this },
    );

    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-control-plane`,
      {
        name: controlPlaneLogGroupName(name),
        retentionInDays: config.cluster.logRetentionDays,
      },
      { parent: this },
    );
    const admins = buildAdminAccessEntries(config.cluster.adminPrincipals, args.deployerArn);
    for (const arn of admins.skipped) {
      pulumi.log.info(
        `cluster.adminPrincipals: ${arn} is the identity running this deployment, which EKS makes cluster admin itself; no access entry is added for it.`,
        this,
      );
    }

    return new eks.Cluster(
      name,
      {
        name,
        version: config.cluster.kubernetesVersion,
        vpcId: args.vpcId,
        privateSubnetIds: args.privateSubnetIds,
        publicSubnetIds: args.publicSubnetIds,
        nodeAssociatePublicIpAddress: false,
        endpointPrivateAccess: true,
        endpointPublicAccess: config.cluster.endpointPublicAccess,
        publicAccessCidrs: config.cluster.endpointPublicAccess ? config.cluster.publicAccessCidrs : undefined,
        encryptionConfigKeyArn: secretsKey.arn,
        enabledClusterLogTypes: CONTROL_PLANE_LOG_TYPES,
        authenticationMode: "API",
        accessEntries: admins.entries,
        skipDefaultNodeGroup: true,
        createOidcProvider: false,
        useDefaultVpcCni: false,
        // NetworkPolicy objects are only enforced when the VPC CNI's policy agent is on.
        vpcCniOptions: { enableNetworkPolicy: true },
      },
      { parent: this, dependsOn: [logGroup] },
    );
  }

  /** One managed node group per plan (system, fleet), with its own launch template, all sharing one node role. */
  private createNodeGroups(name: string, args: ClusterArgs, cluster: eks.Cluster, plans: NodeGroupPlan[]): Map<string, eks.ManagedNodeGroup> {
    const nodeRole = new aws.iam.Role(
      `${name}-node`,
      {
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
      },
      { parent: this },
    );
    const attachments = NODE_ROLE_POLICIES.map(
      (policyArn, i) => new aws.iam.RolePolicyAttachment(`${name}-node-${i}`, { role: nodeRole.name, policyArn }, { parent: this }),
    );

    const groups = new Map<string, eks.ManagedNodeGroup>();
    for (const plan of plans) {
      const template = new aws.ec2.LaunchTemplate(`${name}-${plan.role}`, buildLaunchTemplateArgs(plan), { parent: this });
      groups.set(
        plan.role,
        new eks.ManagedNodeGroup(
          `${name}-${plan.role}`,
          {
            ...buildNodeGroupArgs(plan),
            cluster,
            nodeRole,
            subnetIds: args.privateSubnetIds,
            launchTemplate: { id: template.id, version: pulumi.interpolate`${template.latestVersion}` },
            // Nodes join only with these policies, and on destroy the policies must outlive the nodes.
          },
          { parent: this, dependsOn: attachments },
        ),
      );
    }
    return groups;
  }

  /** The load balancer controller (server.expose), KEDA (server.autoscaling) and the Cluster Autoscaler (cluster.autoscaler), on the system nodes. */
  private installOperations(name: string, args: ClusterArgs, nodes: pulumi.Resource[], fleetGroup: eks.ManagedNodeGroup, fleetPlan: NodeGroupPlan): void {
    const { config } = args;
    const cluster = { clusterArn: this.clusterArn, region: config.region, provider: this.provider, nodes };
    if (config.server.expose !== "none") {
      const controller = new LoadBalancerController(
        `${name}-lb-controller`,
        { ...cluster, clusterName: this.clusterName, vpcId: args.vpcId },
        { parent: this },
      );
      this.loadBalancerController = controller.release;
    }
    if (config.server.autoscaling.enabled) {
      this.keda = new Keda(`${name}-keda`, { ...cluster, clusterName: this.clusterName }, { parent: this }).release;
    }
    if (fleetPlan.autoscaled) {
      new ClusterAutoscaler(
        `${name}-autoscaler`,
        {
          ...cluster,
          clusterName: name,
          kubernetesVersion: config.cluster.kubernetesVersion,
          fleetGroup,
          fleetPlan,
        },
        { parent: this },
      );
    }
  }

  private installDevicePlugin(name: string, accelerator: "nvidia" | "neuron"): void {
    const opts = { parent: this, provider: this.provider };
    let serviceAccountName: string | undefined;
    if (accelerator === "neuron") {
      serviceAccountName = "neuron-device-plugin";
      const metadata = { name: serviceAccountName, namespace: "kube-system" };
      new k8s.core.v1.ServiceAccount(`${name}-neuron-plugin`, { metadata }, opts);
      new k8s.rbac.v1.ClusterRole(`${name}-neuron-plugin`, { metadata: { name: serviceAccountName }, rules: NEURON_PLUGIN_RULES }, opts);
      new k8s.rbac.v1.ClusterRoleBinding(
        `${name}-neuron-plugin`,
        {
          metadata: { name: serviceAccountName },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: serviceAccountName },
          subjects: [{ kind: "ServiceAccount", ...metadata }],
        },
        opts,
      );
    }
    new k8s.apps.v1.DaemonSet(`${name}-${accelerator}-device-plugin`, buildDevicePluginDaemonSet(accelerator, serviceAccountName), opts);
  }
}
