// `fleet plan` as text: node groups with allocatable resources and the pods on each node, images, quotas, cost.
import {
  describeKubernetesSupport,
  formatCpu,
  formatMemory,
  KERNEL_RESERVED_MEMORY_FRACTION,
  NAT_GATEWAY_USD_PER_GB,
  NETWORK_SOURCE,
  PRICE_SOURCE,
  type NodeGroupPlan,
  type PodRequest,
  type StackPlan,
} from "@inference-fleet/fleet-config";

const usd = (value: number) => `$${value.toFixed(3)}`;
const podText = (pod: PodRequest) =>
  `${pod.name} (${formatCpu(pod.cpuMillis)} CPU, ${formatMemory(pod.memoryMiB)}${Object.entries(pod.devices)
    .map(([r, n]) => `, ${n} ${r}`)
    .join("")})`;

function renderGroup(group: NodeGroupPlan): string[] {
  const a = group.allocatable;
  const devices = Object.entries(a.devices)
    .map(([resource, count]) => `, ${count} ${resource}`)
    .join("");
  const lines = [
    `  ${group.role}: ${group.count} x ${group.instanceType} (${group.arch}, ${group.amiType})`,
    `    allocatable per node: ${formatCpu(a.cpuMillis)} CPU, ${formatMemory(a.memoryMiB)} memory, ${a.pods} pods${devices}`,
    `      = capacity ${formatCpu(a.capacity.cpuMillis)} CPU, ${formatMemory(a.capacity.memoryMiB)} - kube-reserved ${formatCpu(a.kubeReserved.cpuMillis)} ` +
      `CPU, ` +
      `${formatMemory(a.kubeReserved.memoryMiB)} - eviction threshold ${formatMemory(a.evictionMemoryMiB)}`,
  ];
  for (const node of group.nodes) {
    const daemonCpu = node.daemonSets.reduce((sum, d) => sum + d.cpuMillis, 0);
    const daemonMemory = node.daemonSets.reduce((sum, d) => sum + d.memoryMiB, 0);
    lines.push(
      `    node ${node.index + 1}: DaemonSets ${node.daemonSets.map((d) => d.name).join(", ")} (${formatCpu(daemonCpu)} CPU, ${formatMemory(daemonMemory)})`,
      `      pods: ${node.pods.map(podText).join(", ") || "none"}`,
      `      left: ${formatCpu(node.free.cpuMillis)} CPU, ${formatMemory(node.free.memoryMiB)}, ${node.free.pods} pods` +
        Object.entries(node.free.devices)
          .map(([resource, count]) => `, ${count} ${resource}`)
          .join(""),
    );
  }
  return lines;
}

function idleNote(plan: StackPlan): string {
  const nodes = plan.scaling.fleetNodes;
  if (plan.availability.ha && nodes && nodes.min > 0) return `; the autoscaler keeps the ${nodes.min} fleet nodes cluster.ha holds in two zones`;
  if (plan.usdPerHour.idle.nodes >= plan.usdPerHour.nodes) return "; the fleet nodes stay without cluster.autoscaler";
  return "; the autoscaler has removed the fleet nodes";
}

/** Pods per server, what they scale on, the fleet node group's bounds, and (cluster.ha) what availability adds. */
function renderScaling(plan: StackPlan): string[] {
  const { replicas, target, rateTarget, fleetNodes } = plan.scaling;
  const lines = ["Scaling:"];
  const rate = rateTarget ? `model_server_requests_total, ${Math.round(rateTarget.perPod * 100) / 100} req/s per pod: ${rateTarget.reason}; ` : "";
  lines.push(
    replicas.autoscaled && target
      ? `  servers: ${replicas.min} to ${replicas.max} pods each (KEDA on ${rate}model_server_queue_depth, ${target.perPod} waiting per pod: ${target.reason})`
      : `  servers: ${replicas.initial} pod${replicas.initial === 1 ? "" : "s"} each, fixed (server.autoscaling off)`,
  );
  if (fleetNodes)
    lines.push(`  fleet nodes: ${fleetNodes.initial} at start, ${fleetNodes.min} to ${fleetNodes.max} (${fleetNodes.serversPerNode} server pods per node)`);
  const a = plan.availability;
  lines.push(
    a.ha
      ? `  availability (cluster.ha): ${a.natGateways} NAT gateways (one per zone), fleet nodes in at least two of ${a.zones} zones, ` +
          "each server's pods in two zones (DoNotSchedule), a PodDisruptionBudget per server"
      : `  availability: ${a.natGateways} NAT gateway${a.natGateways === 1 ? "" : "s"}, zone spread best-effort (cluster.ha off)`,
  );
  return lines;
}

export function renderPlan(plan: StackPlan): string {
  const lines = [`Stack ${plan.stack} (${plan.region}): ${plan.fits ? "fits" : "does NOT fit"}.`, ""];
  if (!plan.fits) {
    lines.push("Problems:", ...plan.problems.map((p) => `  - ${p.path}: ${p.message}`), "");
  }
  if (plan.nodeGroups.length === 0) lines.push("Node groups: none (cluster.existing: the cluster's nodes are not checked).");
  else lines.push("Node groups:", ...plan.nodeGroups.flatMap(renderGroup));
  lines.push("", "Images:", ...plan.images.map((image) => `  ${image.role}: ${image.image} (${image.platform})`));
  if (plan.quotas.length > 0) {
    lines.push("", "Service Quotas used while up (`--check-quotas` compares them with the account's):");
    for (const quota of plan.quotas)
      lines.push(
        `  ${quota.name} [${quota.serviceCode} ${quota.quotaCode}]: ${quota.need}${quota.awsDefault !== undefined ? ` (AWS default ${quota.awsDefault})` : ""}`,
      );
  }
  const cost = plan.usdPerHour;
  lines.push("", ...renderScaling(plan));
  if (plan.kubernetes) lines.push("", describeKubernetesSupport(plan.kubernetes));
  const rollout = plan.rollout.strategy === "surge" ? "beside the old server (maxSurge 1)" : "in its place, one server at a time (maxUnavailable 1)";
  lines.push(`Roll-out of a new server image: ${rollout}: ${plan.rollout.reason}.`);
  lines.push(
    "",
    `Estimated cost while up: ${usd(cost.total)}/h (nodes ${usd(cost.nodes)}, EKS control plane ${usd(cost.controlPlane)}, NAT gateways ` +
      `${usd(cost.natGateways)}; ` +
      `on-demand ${PRICE_SOURCE.region} prices of ${PRICE_SOURCE.date}; data transfer, EBS, S3, logs, CloudWatch and load balancers not included).`,
    `Estimated cost per hour: running ${usd(cost.total)}, idle ${usd(cost.idle.total)} (idle: nodes ${usd(cost.idle.nodes)}${idleNote(plan)}).`,
    ...(cost.atMax
      ? [`At most ${usd(cost.atMax.total)}/h with the fleet at its maximum of ${cost.atMax.fleetNodes} nodes (every server at maxReplicas).`]
      : []),
    `NAT gateways also charge ${usd(NAT_GATEWAY_USD_PER_GB)} per GB they process ` +
      "(ECR image pulls, S3 and STS use VPC endpoints; public images and CloudWatch go through NAT).",
    `Assumptions: EKS AL2023 kubelet reservations (nodeadm); max pods from ENI limits (${NETWORK_SOURCE}) capped at 110/250 as managed node groups do; ` +
      `${KERNEL_RESERVED_MEMORY_FRACTION * 100}% of nominal memory kept by the kernel.`,
  );
  return lines.join("\n");
}
