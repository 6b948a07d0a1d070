import type * as k8s from "@pulumi/kubernetes";
import { planStack, PRE_PULL_RESOURCES, serverImagePlan, serverReplicas, type FleetConfig } from "@inference-fleet/fleet-config";
import { IMAGES, LABELS, METRICS_PORT, PART_OF, SERVER_APP } from "../constants.js";
import {
  buildServerPodSpec,
  fleetPlacement,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  serverLabels,
  serverName,
  usesOwnImage,
  type ServerPodInputs,
} from "./server-pod.js";
import { containerResources } from "./container-resources.js";

type Metadata = k8s.types.input.meta.v1.ObjectMeta;

/** Cluster Autoscaler's pod annotation (its FAQ): "false" keeps the pod's node from being scaled down. */
const SAFE_TO_EVICT = "cluster-autoscaler.kubernetes.io/safe-to-evict";

/** A namespace that enforces the `restricted` Pod Security Standard. */
export function buildNamespace(name: string, extraLabels: Record<string, string> = {}): { metadata: Metadata } {
  return {
    metadata: {
      name,
      labels: {
        [LABELS.partOf]: PART_OF,
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
        ...extraLabels,
      },
    },
  };
}

/**
 * Server `index` as its own single-replica Deployment, so each server has a stable name that the
 * load generator addresses (and reports) separately, as the AWS sample does.
 */
/**
 * A new server starts before the old one stops (no capacity lost mid-rollout) when a fleet node has room for the
 * surge pod; on a full node that pod would stay Pending and the rollout hang, so the old server goes first there.
 */
function rolloutStrategy(config: FleetConfig): k8s.types.input.apps.v1.DeploymentStrategy {
  const surge = planStack(config).rollout.strategy === "surge";
  return { type: "RollingUpdate", rollingUpdate: surge ? { maxSurge: 1, maxUnavailable: 0 } : { maxSurge: 0, maxUnavailable: 1 } };
}

export function buildFleetDeployment(
  config: FleetConfig,
  namespace: string,
  index: number,
  inputs: ServerPodInputs,
): { metadata: Metadata; spec: k8s.types.input.apps.v1.DeploymentSpec } {
  const labels = serverLabels(config, index);
  return {
    metadata: { name: serverName(index), namespace, labels },
    spec: {
      ...deploymentReplicas(config),
      selector: { matchLabels: labels },
      strategy: rolloutStrategy(config),
      // The autoscaler never removes a node that runs a server (it would move a server mid-benchmark).
      template: { metadata: { labels, annotations: { [SAFE_TO_EVICT]: "false" } }, spec: buildServerPodSpec(config, index, inputs) },
    },
  };
}

/**
 * A fixed server runs one pod (two with cluster.ha); cluster.idle scales it to zero, and the Cluster Autoscaler then
 * removes the empty fleet nodes. An autoscaled server leaves replicas to its HPA (KEDA's ScaledObject, paused at 0 when
 * idle): a replica count here would be applied again at every `pulumi up` and undo the scaling.
 */
function deploymentReplicas(config: FleetConfig): { replicas?: number } {
  const replicas = serverReplicas(config);
  if (replicas.autoscaled) return {};
  return { replicas: config.cluster.idle ? 0 : replicas.initial };
}

/** The stable address of server `index`: http://server<i>.<namespace>.svc.cluster.local:<port>. */
export function buildServerService(config: FleetConfig, namespace: string, index: number): { metadata: Metadata; spec: k8s.types.input.core.v1.ServiceSpec } {
  const ports = [{ name: "http", port: config.server.port, targetPort: "http", protocol: "TCP" }];
  if (usesOwnImage(config)) ports.push({ name: "metrics", port: METRICS_PORT, targetPort: "metrics", protocol: "TCP" });
  return {
    metadata: { name: serverName(index), namespace, labels: serverLabels(config, index) },
    spec: { type: "ClusterIP", selector: serverLabels(config, index), ports },
  };
}

export function serverUrl(config: FleetConfig, namespace: string, index: number): string {
  return `http://${serverName(index)}.${namespace}.svc.cluster.local:${config.server.port}`;
}

type Budget = { metadata: Metadata & { name: string }; spec: k8s.types.input.policy.v1.PodDisruptionBudgetSpec };

/**
 * Voluntary disruptions (node drains) take down at most one server pod at a time: one budget over all servers, or with
 * cluster.ha one per server, so each server (each shard) keeps a pod while a node drains. Never both: the eviction API
 * refuses a pod that more than one budget selects.
 */
export function buildPodDisruptionBudgets(config: FleetConfig, namespace: string): Budget[] {
  if (!config.cluster.ha) {
    return [
      { metadata: { name: SERVER_APP, namespace, labels: serverLabels(config) }, spec: { maxUnavailable: 1, selector: { matchLabels: serverLabels(config) } } },
    ];
  }
  return Array.from({ length: config.server.numServers }, (_, i) => ({
    metadata: { name: serverName(i), namespace, labels: serverLabels(config, i) },
    spec: { maxUnavailable: 1, selector: { matchLabels: serverLabels(config, i) } },
  }));
}

/**
 * A DaemonSet that pulls the server image onto every fleet node before the benchmark, so the
 * first run does not measure an image pull. The pull happens in an init container that exits at
 * once; a pause container then holds the pod.
 */
export function buildPrePullDaemonSet(
  config: FleetConfig,
  namespace: string,
  image: string,
): { metadata: Metadata; spec: k8s.types.input.apps.v1.DaemonSetSpec } {
  const labels = { [LABELS.app]: "image-pre-pull", [LABELS.partOf]: PART_OF };
  // A command that exits at once in each image: ours have node (ONNX Runtime) or python3 (Neuron); an external one a shell.
  const plan = serverImagePlan(config);
  const exitAtOnce = plan.kind === "external" ? ["sh", "-c", "true"] : plan.variant === "neuron" ? ["python3", "--version"] : ["node", "--version"];
  // The figures `fleet plan` counts on every fleet node.
  const tiny = containerResources(PRE_PULL_RESOURCES);
  return {
    metadata: { name: "image-pre-pull", namespace, labels },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          securityContext: restrictedPodSecurityContext(),
          ...fleetPlacement(config),
          initContainers: [{ name: "pull", image, command: exitAtOnce, resources: tiny, securityContext: restrictedContainerSecurityContext() }],
          containers: [{ name: "pause", image: IMAGES.pause, resources: tiny, securityContext: restrictedContainerSecurityContext() }],
        },
      },
    },
  };
}
