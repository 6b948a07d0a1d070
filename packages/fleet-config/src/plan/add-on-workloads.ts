/**
 * The add-on pods the program installs for operations (observability, load balancer controller, Cluster
 * Autoscaler), with the requests their charts set, so `fleet plan` checks that they fit. infra passes
 * the same figures to the charts, so the plan and the cluster cannot disagree.
 */
import type { FleetConfig } from "../schema.js";
import type { ContainerResources } from "./cluster-workloads.js";

/** @public Where each figure comes from (chart and version), kept beside the figures; infra/README.md repeats them. */
export const ADD_ON_SOURCES = {
  observability: "aws-observability/helm-charts charts/amazon-cloudwatch-observability 6.4.0 values.yaml",
  loadBalancerController: "aws/eks-charts stable/aws-load-balancer-controller 3.5.0 values.yaml",
  clusterAutoscaler: "kubernetes/autoscaler cluster-autoscaler/charts/cluster-autoscaler 9.59.0 values.yaml",
  keda: "kedacore/charts keda 2.20.2 values.yaml",
} as const;

const resources = (cpu: string, memory: string, limitCpu: string, limitMemory: string): ContainerResources => ({
  requests: { cpu, memory },
  limits: { cpu: limitCpu, memory: limitMemory },
});

/** amazon-cloudwatch-observability: its chart's defaults (agent, operator, Fluent Bit, DCGM exporter, Neuron monitor). */
export const OBSERVABILITY_RESOURCES = {
  /** The CloudWatch agent DaemonSet (Container Insights); it tolerates every taint, so it runs on fleet nodes too. */
  agent: resources("250m", "128Mi", "500m", "512Mi"),
  /** The operator (controller manager) Deployment; no tolerations, so system nodes only. */
  operator: { requests: { cpu: "100m", memory: "64Mi" }, limits: {} } as ContainerResources,
  /** Fluent Bit DaemonSet (containerLogs.enabled). */
  fluentBit: resources("50m", "25Mi", "500m", "250Mi"),
  /** DCGM exporter DaemonSet, on NVIDIA instance types only (the chart's node affinity lists them). */
  dcgmExporter: resources("250m", "128Mi", "500m", "750Mi"),
  /** Neuron monitor DaemonSet, on Inferentia/Trainium instance types only. */
  neuronMonitor: resources("256m", "128Mi", "500m", "500Mi"),
} as const;

/** Our own deployment-mode agent that scrapes the servers' /metrics: the chart's agent defaults, on a system node. */
export const PROMETHEUS_AGENT_RESOURCES: ContainerResources = OBSERVABILITY_RESOURCES.agent;

/** The chart sets no resources (it suggests 100m / 128Mi); we set these. It runs 2 replicas by default. */
export const LOAD_BALANCER_CONTROLLER_RESOURCES: ContainerResources = resources("100m", "128Mi", "200m", "256Mi");
export const LOAD_BALANCER_CONTROLLER_REPLICAS = 2;

/** The chart sets no resources (it suggests 100m / 300Mi); we set these. One replica. */
export const CLUSTER_AUTOSCALER_RESOURCES: ContainerResources = resources("100m", "300Mi", "100m", "600Mi");

/** KEDA's three Deployments (operator, metrics API server, admission webhooks): the chart's requests, with lower limits than its 1 CPU / 1000Mi. */
export const KEDA_RESOURCES: ContainerResources = resources("100m", "100Mi", "500m", "512Mi");
const KEDA_COMPONENTS = ["keda-operator", "keda-metrics-apiserver", "keda-admission-webhooks"] as const;

/** One pod or DaemonSet copy, with the node group it lands on. */
export interface AddOnPod {
  readonly name: string;
  readonly resources: ContainerResources;
  /** "every" for a DaemonSet on every node of both groups; "accelerator" for one on the fleet's accelerator nodes. */
  readonly placement: "system" | "every" | "accelerator";
}

/** The add-on pods a stack gets from its config; none for a bring-your-own cluster. */
export function addOnPods(config: FleetConfig, accelerator: "nvidia" | "neuron" | undefined): AddOnPod[] {
  if (config.cluster.existing) return [];
  const pods: AddOnPod[] = [];
  if (config.observability.enabled) {
    pods.push({ name: "cloudwatch-agent", resources: OBSERVABILITY_RESOURCES.agent, placement: "every" });
    if (config.observability.containerLogs) pods.push({ name: "fluent-bit", resources: OBSERVABILITY_RESOURCES.fluentBit, placement: "every" });
    if (accelerator === "nvidia") pods.push({ name: "dcgm-exporter", resources: OBSERVABILITY_RESOURCES.dcgmExporter, placement: "accelerator" });
    if (accelerator === "neuron") pods.push({ name: "neuron-monitor", resources: OBSERVABILITY_RESOURCES.neuronMonitor, placement: "accelerator" });
    pods.push({ name: "cloudwatch-operator", resources: OBSERVABILITY_RESOURCES.operator, placement: "system" });
    pods.push({ name: "cloudwatch-agent-prometheus", resources: PROMETHEUS_AGENT_RESOURCES, placement: "system" });
  }
  if (config.server.expose !== "none") {
    for (let i = 0; i < LOAD_BALANCER_CONTROLLER_REPLICAS; i++) {
      pods.push({ name: `aws-load-balancer-controller-${i}`, resources: LOAD_BALANCER_CONTROLLER_RESOURCES, placement: "system" });
    }
  }
  if (config.cluster.autoscaler) pods.push({ name: "cluster-autoscaler", resources: CLUSTER_AUTOSCALER_RESOURCES, placement: "system" });
  if (config.server.autoscaling.enabled) for (const name of KEDA_COMPONENTS) pods.push({ name, resources: KEDA_RESOURCES, placement: "system" });
  return pods;
}
