import type * as aws from "@pulumi/aws";
import { amiTypeFor, fleetNodeBounds, getInstanceType, type AcceleratorKind, type FleetConfig } from "@inference-fleet/fleet-config";
import { FLEET_TAINT_KEY, LABELS } from "../constants.js";

// The AMI type and image platform are facts `fleet plan` reports too, so they live in fleet-config.
export { amiTypeFor, platformFor, type AcceleratorKind } from "@inference-fleet/fleet-config";

/** The extended resource an accelerator's device plugin advertises, and the taint that keeps other pods off. */
const ACCELERATOR_RESOURCE: Record<AcceleratorKind, string> = {
  nvidia: "nvidia.com/gpu",
  neuron: "aws.amazon.com/neuron",
};

export type NodeGroupRole = "system" | "fleet";

export interface NodeTaint {
  readonly key: string;
  readonly value: string;
  readonly effect: "NO_SCHEDULE";
}

/** Fleet nodes are dedicated to the fleet; accelerator nodes also carry the accelerator's taint. */
export function taintsFor(role: NodeGroupRole, accelerator: AcceleratorKind | undefined): NodeTaint[] {
  if (role === "system") return [];
  const taints: NodeTaint[] = [{ key: FLEET_TAINT_KEY, value: "fleet", effect: "NO_SCHEDULE" }];
  if (accelerator) taints.push({ key: ACCELERATOR_RESOURCE[accelerator], value: "true", effect: "NO_SCHEDULE" });
  return taints;
}

/** The Kubernetes tolerations matching taintsFor (EKS spells the effect NO_SCHEDULE, Kubernetes NoSchedule). */
export function tolerationsFor(taints: readonly NodeTaint[]): Array<{ key: string; operator: "Equal"; value: string; effect: "NoSchedule" }> {
  return taints.map((taint) => ({ key: taint.key, operator: "Equal", value: taint.value, effect: "NoSchedule" }));
}

/** What one managed node group needs, derived from the config; the Cluster turns it into resources. */
export interface NodeGroupPlan {
  readonly role: NodeGroupRole;
  readonly instanceType: string;
  readonly amiType: string;
  readonly nodes: number;
  readonly rootVolumeGiB: number;
  readonly labels: Record<string, string>;
  readonly taints: NodeTaint[];
  readonly accelerator: AcceleratorKind | undefined;
  /**
   * The Cluster Autoscaler sizes this group between minNodes and maxNodes (fleet only; the system group stays fixed):
   * 0 (cluster.ha: fleetNodes) to room for every server at autoscaling.maxReplicas (fleet-config's fleetNodeBounds).
   */
  readonly autoscaled: boolean;
  /** Nodes to start with: the autoscaler's minimum when the stack is created idle. */
  readonly initialNodes: number;
  readonly minNodes: number;
  readonly maxNodes: number;
}

/** Accelerator AMIs and images (CUDA, Neuron) are large; CPU nodes need less. */
function rootVolumeGiBFor(accelerator: AcceleratorKind | undefined): number {
  return accelerator ? 100 : 50;
}

/** The system node group (add-ons and k6 pods) and one node group for the fleet's instance type. */
export function planNodeGroups(config: FleetConfig): NodeGroupPlan[] {
  const fleetBounds = fleetNodeBounds(config);
  const plan = (role: NodeGroupRole, instanceType: string, nodes: number): NodeGroupPlan => {
    const facts = getInstanceType(instanceType);
    const autoscaled = role === "fleet" && config.cluster.autoscaler && !config.cluster.existing;
    const accelerator = role === "fleet" ? facts.accelerator?.kind : undefined;
    // A system type with accelerators is refused by the config schema (loadTest.instanceType), so fleet plan sees it too.
    return {
      role,
      instanceType,
      amiType: amiTypeFor(facts.arch, accelerator),
      nodes,
      rootVolumeGiB: rootVolumeGiBFor(accelerator),
      labels: { [LABELS.nodeRole]: role },
      taints: taintsFor(role, accelerator),
      accelerator,
      autoscaled,
      initialNodes: autoscaled ? fleetBounds.initial : nodes,
      minNodes: autoscaled ? fleetBounds.min : nodes,
      maxNodes: autoscaled ? fleetBounds.max : nodes,
    };
  };
  return [plan("system", config.loadTest.instanceType, config.cluster.systemNodes), plan("fleet", config.instanceType, config.cluster.fleetNodes)];
}

/**
 * Launch template for a node group: IMDSv2 required with hop limit 1 (pods get AWS credentials
 * from Pod Identity, never from the node's metadata), and an encrypted gp3 root volume.
 */
export function buildLaunchTemplateArgs(plan: NodeGroupPlan): aws.ec2.LaunchTemplateArgs {
  return {
    description: `inference-fleet ${plan.role} nodes (${plan.instanceType})`,
    updateDefaultVersion: true,
    metadataOptions: {
      httpEndpoint: "enabled",
      httpTokens: "required",
      httpPutResponseHopLimit: 1,
    },
    blockDeviceMappings: [
      {
        deviceName: "/dev/xvda",
        ebs: { volumeSize: plan.rootVolumeGiB, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
      },
    ],
    tagSpecifications: [{ resourceType: "instance", tags: { Name: `inference-fleet-${plan.role}`, [LABELS.nodeRole]: plan.role } }],
  };
}

/** The managed node group's own settings (cluster, role, subnets and launch template are wired by the Cluster). */
export function buildNodeGroupArgs(plan: NodeGroupPlan): {
  instanceTypes: string[];
  amiType: string;
  capacityType: "ON_DEMAND";
  scalingConfig: { minSize: number; desiredSize: number; maxSize: number };
  /** The autoscaler owns desiredSize once the group exists; a later `pulumi up` must not reset it. */
  ignoreScalingChanges: boolean;
  labels: Record<string, string>;
  taints: NodeTaint[];
} {
  return {
    instanceTypes: [plan.instanceType],
    amiType: plan.amiType,
    // Benchmarks compare on-demand prices; a reclaimed spot node would corrupt a run.
    capacityType: "ON_DEMAND",
    scalingConfig: plan.autoscaled
      ? { minSize: plan.minNodes, desiredSize: plan.initialNodes, maxSize: plan.maxNodes }
      : { minSize: plan.nodes, desiredSize: plan.nodes, maxSize: plan.nodes },
    ignoreScalingChanges: plan.autoscaled,
    labels: plan.labels,
    taints: plan.taints,
  };
}
