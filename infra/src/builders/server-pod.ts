import type * as k8s from "@pulumi/kubernetes";
import { getInstanceType, repositoryModelNames, type FleetConfig } from "@inference-fleet/fleet-config";
import { LABELS, METRICS_PORT, NON_ROOT_UID, PART_OF, SERVER_APP } from "../constants.js";
import { ACCELERATOR_RESOURCE, taintsFor, tolerationsFor } from "./node-groups.js";

type Container = k8s.types.input.core.v1.Container;
type PodSpec = k8s.types.input.core.v1.PodSpec;
type EnvVar = { name: string; value: string };

/** Names of the models one server serves, as the AWS sample names them. */
export function modelNamesFor(config: FleetConfig): string[] {
  if (config.model.repository) return repositoryModelNames(config.model.repository.count);
  return Array.from({ length: config.server.numModels }, (_, i) => `model${i}`);
}

/** Our image speaks the Open Inference Protocol; a seed-compatible external image only has `GET /`. */
export function usesOwnImage(config: FleetConfig): boolean {
  return !config.server.image;
}

/**
 * How long a stopping server keeps answering in-flight requests: the longest a request may take.
 * The pod's grace period adds a margin so the kubelet never kills a draining server.
 */
export function drainTimeoutMs(config: FleetConfig): number {
  return config.server.requestTimeoutMs + 1000;
}

export function terminationGracePeriodSeconds(config: FleetConfig): number {
  return Math.ceil(drainTimeoutMs(config) / 1000) + 5;
}

/** ONNX Runtime execution providers in order of preference. */
function executionProvidersFor(config: FleetConfig): string {
  return config.server.processor === "gpu" ? "cuda,cpu" : "cpu";
}

/** CPUs in a Kubernetes CPU quantity ("2", "1500m", 0.5). */
function cpuCount(quantity: string): number {
  return quantity.endsWith("m") ? Number(quantity.slice(0, -1)) / 1000 : Number(quantity);
}

/**
 * One inference worker thread when the pod may use two or more CPUs, else none: the server's own
 * default looks at the CPUs it can be scheduled on, which in a pod is the node's, not its CFS quota.
 */
export function inferenceWorkersFor(config: FleetConfig): number {
  return cpuCount(config.server.resources.cpu) >= 2 ? 1 : 0;
}

/**
 * The model server's environment (its configuration contract). Repository mode: the source is the repository prefix (MODEL_REPO), and
 * server `index` serves its shard (SERVER_INDEX of NUM_SERVERS) under MAX_RESIDENT_MB.
 */
export function buildServerEnv(config: FleetConfig, modelSource: string, index = 0): EnvVar[] {
  const { server, model } = config;
  const values: Record<string, string | number | boolean | undefined> = {
    PORT: server.port,
    METRICS_PORT,
    MODEL_SOURCE: modelSource,
    NUM_MODELS: server.numModels,
    THREADS: server.threads,
    MAX_BATCH: server.maxBatch,
    MAX_QUEUE_DELAY_MS: server.maxQueueDelayMs,
    MAX_QUEUE: server.maxQueue,
    REQUEST_TIMEOUT_MS: server.requestTimeoutMs,
    PADDING: model.padding,
    SEPARATE_SESSIONS: server.separateSessions,
    POSTPROCESS: server.postprocess,
    QUIET: true,
    CACHE_DIR: "/cache",
    DRAIN_TIMEOUT_MS: drainTimeoutMs(config),
    EXECUTION_PROVIDERS: executionProvidersFor(config),
    INFERENCE_WORKERS: inferenceWorkersFor(config),
  };
  if (model.repository) {
    delete values.MODEL_SOURCE;
    Object.assign(values, { MODEL_REPO: modelSource, MAX_RESIDENT_MB: model.repository.maxResidentMb, SERVER_INDEX: index, NUM_SERVERS: server.numServers });
  }
  return Object.entries(values).filter(([, value]) => value !== undefined).map(([name, value]) => ({ name, value: String(value) }));
}

/** requests = limits, so a server gets exactly what the benchmark says it has (Guaranteed QoS). */
export function buildServerResources(config: FleetConfig): { requests: Record<string, string>; limits: Record<string, string> } {
  const { resources } = config.server;
  const amounts: Record<string, string> = { cpu: resources.cpu, memory: resources.memory };
  if (resources.gpus > 0) amounts[ACCELERATOR_RESOURCE.nvidia] = String(resources.gpus);
  if (resources.neuronDevices > 0) amounts[ACCELERATOR_RESOURCE.neuron] = String(resources.neuronDevices);
  return { requests: { ...amounts }, limits: { ...amounts } };
}

/**
 * Liveness asks only whether the process answers; readiness whether models are loaded and the
 * server is not draining; the startup probe gives model download and load up to ten minutes
 * before liveness starts counting.
 */
export function buildServerProbes(config: FleetConfig): Pick<Container, "livenessProbe" | "readinessProbe" | "startupProbe"> {
  const own = usesOwnImage(config);
  const get = (path: string) => ({ httpGet: { path, port: "http" } });
  return {
    startupProbe: { ...get(own ? "/v2/health/ready" : "/"), periodSeconds: 5, failureThreshold: 120, timeoutSeconds: 2 },
    livenessProbe: { ...get(own ? "/v2/health/live" : "/"), periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
    readinessProbe: { ...get(own ? "/v2/health/ready" : "/"), periodSeconds: 2, failureThreshold: 2, timeoutSeconds: 2 },
  };
}

/** Restricted Pod Security Standard: non-root, no privilege escalation, no capabilities, RuntimeDefault seccomp. */
export function restrictedContainerSecurityContext(): k8s.types.input.core.v1.SecurityContext {
  return {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

export function restrictedPodSecurityContext(): k8s.types.input.core.v1.PodSecurityContext {
  return { runAsNonRoot: true, runAsUser: NON_ROOT_UID, runAsGroup: NON_ROOT_UID, fsGroup: NON_ROOT_UID, seccompProfile: { type: "RuntimeDefault" } };
}

/** Pod labels shared by every server; `server` tells the servers apart. */
export function serverLabels(config: FleetConfig, index?: number): Record<string, string> {
  const labels: Record<string, string> = { [LABELS.app]: SERVER_APP, [LABELS.partOf]: PART_OF, [LABELS.instance]: config.stack };
  if (index !== undefined) labels["inference-fleet.io/server"] = serverName(index);
  return labels;
}

export function serverName(index: number): string {
  return `server${index}`;
}

/** Where servers may run: nodes of the fleet's instance type, tolerating the fleet (and accelerator) taints. */
export function fleetPlacement(config: FleetConfig): Pick<PodSpec, "nodeSelector" | "tolerations"> {
  const accelerator = getInstanceType(config.instanceType).accelerator?.kind;
  return {
    nodeSelector: { [LABELS.instanceType]: config.instanceType },
    tolerations: tolerationsFor(taintsFor("fleet", accelerator)),
  };
}

export interface ServerPodInputs {
  readonly image: string;
  readonly modelSource: string;
  readonly serviceAccountName: string;
}

/** The pod template of server `index`. */
export function buildServerPodSpec(config: FleetConfig, index: number, inputs: ServerPodInputs): PodSpec {
  const ports = [{ name: "http", containerPort: config.server.port, protocol: "TCP" }];
  if (usesOwnImage(config)) ports.push({ name: "metrics", containerPort: METRICS_PORT, protocol: "TCP" });
  return {
    serviceAccountName: inputs.serviceAccountName,
    automountServiceAccountToken: false,
    terminationGracePeriodSeconds: terminationGracePeriodSeconds(config),
    securityContext: restrictedPodSecurityContext(),
    ...fleetPlacement(config),
    topologySpreadConstraints: [
      { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: serverLabels(config) } },
      { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: serverLabels(config) } },
    ],
    containers: [{
      name: SERVER_APP,
      image: inputs.image,
      imagePullPolicy: "IfNotPresent",
      ports,
      env: [...buildServerEnv(config, inputs.modelSource, index), { name: "SERVER_NAME", value: serverName(index) }],
      resources: buildServerResources(config),
      ...buildServerProbes(config),
      securityContext: restrictedContainerSecurityContext(),
      volumeMounts: [{ name: "cache", mountPath: "/cache" }, { name: "tmp", mountPath: "/tmp" }],
    }],
    volumes: [{ name: "cache", emptyDir: {} }, { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } }],
  };
}
