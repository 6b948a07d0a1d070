import type * as k8s from "@pulumi/kubernetes";
import { getInstanceType, repositoryModelNames, serverDeviceRequests, serverImagePlan, type FleetConfig } from "@inference-fleet/fleet-config";
import { drainTimeoutMs, fleetServerEnvironment } from "@inference-fleet/model-server/settings";
import { LABELS, METRICS_PORT, NON_ROOT_UID, PART_OF, SERVER_APP } from "../constants.js";
import { taintsFor, tolerationsFor } from "./node-groups.js";
import { containerResources } from "./container-resources.js";

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
  return serverImagePlan(config).kind === "build";
}

/**
 * The ONNX Runtime server's probes listen on a port of their own (HEALTH_PORT): on the public port a burst
 * of new connections queues the kubelet's probe in the kernel for seconds (packages/model-server README).
 * The Neuron server and external images answer their probes on the public port.
 */
const HEALTH_PORT = 8081;

function probesOnHealthPort(config: FleetConfig): boolean {
  const plan = serverImagePlan(config);
  return plan.kind === "build" && plan.variant !== "neuron";
}

/**
 * How long a stopping pod keeps serving before SIGTERM: long enough for its endpoint to leave the
 * Services (5 s), or a load balancer's target group (20 s) when the servers are exposed through one.
 */
function preStopSleepSeconds(config: FleetConfig): number {
  return config.server.expose === "none" ? 5 : 20;
}

/** The pod's grace period: the preStop sleep, then the server's drain timeout, plus a margin, so the kubelet never kills a draining server. */
function terminationGracePeriodSeconds(config: FleetConfig): number {
  return preStopSleepSeconds(config) + Math.ceil(drainTimeoutMs(config) / 1000) + 5;
}

/**
 * The model server's environment, from the model server's own mapping (the same one `fleet local`
 * uses). Metrics listen on every interface: Prometheus and the CloudWatch agent scrape the pod IP.
 */
export function buildServerEnv(config: FleetConfig, modelSource: string, index = 0): EnvVar[] {
  const env = fleetServerEnvironment(config, {
    modelSource,
    index,
    port: config.server.port,
    host: "0.0.0.0",
    metricsPort: METRICS_PORT,
    metricsHost: "0.0.0.0",
    cacheDir: "/cache",
    ...(probesOnHealthPort(config) ? { healthPort: HEALTH_PORT } : {}),
  });
  return Object.entries(env).map(([name, value]) => ({ name, value }));
}

/** requests = limits, so a server gets exactly what the benchmark says it has (Guaranteed QoS). */
function buildServerResources(config: FleetConfig): { requests: Record<string, string>; limits: Record<string, string> } {
  const { resources } = config.server;
  // The device requests `fleet plan` fits on the node (nvidia.com/gpu, aws.amazon.com/neuron).
  const devices = Object.entries(serverDeviceRequests(config)).map(([resource, count]) => [resource, String(count)]);
  const amounts: Record<string, string> = { cpu: resources.cpu, memory: resources.memory, ...Object.fromEntries(devices) };
  return containerResources({ requests: amounts, limits: amounts });
}

/**
 * Liveness asks only whether the process answers; readiness whether models are loaded and the
 * server is not draining; the startup probe gives model download and load up to ten minutes
 * before liveness starts counting.
 */
const STARTUP_PROBE_PERIOD_SECONDS = 5;

export function buildServerProbes(config: FleetConfig): Pick<Container, "livenessProbe" | "readinessProbe" | "startupProbe"> {
  const own = usesOwnImage(config);
  const get = (path: string) => ({ httpGet: { path, port: probesOnHealthPort(config) ? "health" : "http" } });
  return {
    startupProbe: {
      ...get(own ? "/v2/health/ready" : "/"),
      periodSeconds: STARTUP_PROBE_PERIOD_SECONDS,
      failureThreshold: startupProbeFailures(config),
      timeoutSeconds: 2,
    },
    livenessProbe: { ...get(own ? "/v2/health/live" : "/"), periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
    readinessProbe: { ...get(own ? "/v2/health/ready" : "/"), periodSeconds: 2, failureThreshold: 2, timeoutSeconds: 2 },
  };
}

/**
 * Startup probe failures allowed at 5 s apart: ten minutes for a model download and load, 45 minutes on
 * Inferentia, where a pod whose compiled model is not yet cached compiles it with neuronx-cc first.
 */
function startupProbeFailures(config: FleetConfig): number {
  return config.server.processor === "inf" ? 540 : 120;
}

/** How long `pulumi up` may wait beyond the startup probe for a server to come up: a fleet node from zero (the autoscaler) and the image pull. */
const PROVISIONING_ALLOWANCE_SECONDS = 15 * 60;

/**
 * How long Pulumi waits for a server Deployment to become ready: its startup probe's whole budget plus the time to get
 * a node and pull the image. Pulumi's default (10 minutes) timed out the first inf2 `up` while a 45-minute compile ran.
 */
export function deploymentWaitSeconds(config: FleetConfig): number {
  return STARTUP_PROBE_PERIOD_SECONDS * startupProbeFailures(config) + PROVISIONING_ALLOWANCE_SECONDS;
}

/** /tmp: a small RAM disk, except on Inferentia, where neuronx-cc writes its work files there during a compile. */
function tmpVolumeFor(config: FleetConfig): k8s.types.input.core.v1.EmptyDirVolumeSource {
  return config.server.processor === "inf" ? { sizeLimit: "8Gi" } : { medium: "Memory", sizeLimit: "64Mi" };
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
/** Pod label naming the server (server0..N-1); the metrics scrape turns it into the Server dimension. */
export const SERVER_LABEL = "inference-fleet.io/server";

export function serverLabels(config: FleetConfig, index?: number): Record<string, string> {
  const labels: Record<string, string> = { [LABELS.app]: SERVER_APP, [LABELS.partOf]: PART_OF, [LABELS.instance]: config.stack };
  if (index !== undefined) labels[SERVER_LABEL] = serverName(index);
  return labels;
}

export function serverName(index: number): string {
  return `server${index}`;
}

/**
 * Where servers may run: the fleet's nodes, tolerating the fleet (and accelerator) taints. The role label matters
 * where the system nodes are of the same type (the dev stacks): without it a server could land beside k6 and the
 * add-ons, and be measured there. A bring-your-own cluster's nodes carry no role label, so there the type alone.
 */
export function fleetPlacement(config: FleetConfig): Pick<PodSpec, "nodeSelector" | "tolerations"> {
  const accelerator = getInstanceType(config.instanceType).accelerator?.kind;
  const role: Record<string, string> = config.cluster.existing ? {} : { [LABELS.nodeRole]: "fleet" };
  return {
    nodeSelector: { [LABELS.instanceType]: config.instanceType, ...role },
    tolerations: tolerationsFor(taintsFor("fleet", accelerator)),
  };
}

/**
 * All servers spread over hosts and zones as far as they can (ScheduleAnyway). With cluster.ha each server's own pods
 * must be in different zones (DoNotSchedule): a zone's loss leaves every server (every shard) a pod. Only zones with a
 * fleet node count (nodeAffinityPolicy Honor, the default), so the two nodes' zones are the domains.
 */
function topologySpread(config: FleetConfig, index: number): k8s.types.input.core.v1.TopologySpreadConstraint[] {
  const all = { matchLabels: serverLabels(config) };
  const constraints: k8s.types.input.core.v1.TopologySpreadConstraint[] = [
    { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: all },
    { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: all },
  ];
  if (config.cluster.ha) {
    constraints.push({
      maxSkew: 1,
      topologyKey: "topology.kubernetes.io/zone",
      whenUnsatisfiable: "DoNotSchedule",
      labelSelector: { matchLabels: serverLabels(config, index) },
      // During a rollout the old and new pods of a server count separately, so a surge pod is not refused.
      matchLabelKeys: ["pod-template-hash"],
    });
  }
  return constraints;
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
  if (probesOnHealthPort(config)) ports.push({ name: "health", containerPort: HEALTH_PORT, protocol: "TCP" });
  return {
    serviceAccountName: inputs.serviceAccountName,
    automountServiceAccountToken: false,
    terminationGracePeriodSeconds: terminationGracePeriodSeconds(config),
    securityContext: restrictedPodSecurityContext(),
    ...fleetPlacement(config),
    topologySpreadConstraints: topologySpread(config, index),
    containers: [
      {
        name: SERVER_APP,
        image: inputs.image,
        imagePullPolicy: "IfNotPresent",
        ports,
        env: [...buildServerEnv(config, inputs.modelSource, index), { name: "SERVER_NAME", value: serverName(index) }],
        resources: buildServerResources(config),
        ...buildServerProbes(config),
        // Endpoints are removed while the pod still serves; SIGTERM (and the drain) come after.
        lifecycle: { preStop: { sleep: { seconds: preStopSleepSeconds(config) } } },
        securityContext: restrictedContainerSecurityContext(),
        volumeMounts: [
          { name: "cache", mountPath: "/cache" },
          { name: "tmp", mountPath: "/tmp" },
        ],
      },
    ],
    volumes: [
      { name: "cache", emptyDir: {} },
      { name: "tmp", emptyDir: tmpVolumeFor(config) },
    ],
  };
}
