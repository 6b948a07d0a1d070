// One point in `fleet tune`'s search space: the server settings that shape a node's capacity, and how
// they map onto a stack's config. Pure.
import { cpuMillis, formatCpu, type FleetConfig } from "@inference-fleet/fleet-config";
import { deriveConcurrency } from "@inference-fleet/model-server/settings";

/** The tuned server settings; workers and threads absent mean "derived by the server" (the schema's default). */
export interface TuneCandidate {
  /** Model-server replicas per node. */
  readonly serversPerNode: number;
  /** Copies of the model per server (server.numModels). */
  readonly numModels: number;
  readonly maxBatch: number;
  readonly maxQueueDelayMs: number;
  readonly inferenceWorkers?: number;
  readonly threads?: number;
  /** Kubernetes CPU request = limit per server pod (server.resources.cpu): the node's CPUs split among its servers. */
  readonly cpu: string;
}

/** The server fields a candidate sets, in the order the patch and the table name them. */
export const TUNED_FIELDS = ["numServers", "numModels", "maxBatch", "maxQueueDelayMs", "inferenceWorkers", "threads", "resources.cpu"] as const;
export type TunedField = (typeof TUNED_FIELDS)[number];

/** Where the servers run: this machine (every process sees all its cores) or pods with a CPU limit each. */
export type Placement = { readonly kind: "local"; readonly cpus: number } | { readonly kind: "cluster" };

export function shippedCandidate(config: FleetConfig): TuneCandidate {
  const { server } = config;
  const { fleetNodes } = config.cluster;
  if (server.numServers % fleetNodes !== 0) {
    throw new Error(
      `server.numServers (${server.numServers}) does not split evenly over cluster.fleetNodes (${fleetNodes}): tuning searches one node's settings, ` +
        "so make numServers a multiple of fleetNodes.",
    );
  }
  return {
    serversPerNode: server.numServers / fleetNodes,
    numModels: server.numModels,
    maxBatch: server.maxBatch,
    maxQueueDelayMs: server.maxQueueDelayMs,
    ...(server.inferenceWorkers !== undefined ? { inferenceWorkers: server.inferenceWorkers } : {}),
    ...(server.threads !== undefined ? { threads: server.threads } : {}),
    cpu: server.resources.cpu,
  };
}

/** The stack's config with the candidate's settings (every other field as shipped). */
export function applyCandidate(config: FleetConfig, candidate: TuneCandidate): FleetConfig {
  const { inferenceWorkers: _w, threads: _t, ...server } = config.server;
  return {
    ...config,
    server: {
      ...server,
      numServers: candidate.serversPerNode * config.cluster.fleetNodes,
      numModels: candidate.numModels,
      maxBatch: candidate.maxBatch,
      maxQueueDelayMs: candidate.maxQueueDelayMs,
      ...(candidate.inferenceWorkers !== undefined ? { inferenceWorkers: candidate.inferenceWorkers } : {}),
      ...(candidate.threads !== undefined ? { threads: candidate.threads } : {}),
      resources: { ...server.resources, cpu: candidate.cpu },
    },
  };
}

/** The config value of each tuned field for a candidate (undefined: absent from the stack file). */
export function fieldValues(config: FleetConfig, candidate: TuneCandidate): Record<TunedField, number | string | undefined> {
  return {
    numServers: candidate.serversPerNode * config.cluster.fleetNodes,
    numModels: candidate.numModels,
    maxBatch: candidate.maxBatch,
    maxQueueDelayMs: candidate.maxQueueDelayMs,
    inferenceWorkers: candidate.inferenceWorkers,
    threads: candidate.threads,
    "resources.cpu": candidate.cpu,
  };
}

/** What each server actually runs: the server's own rule (deriveConcurrency) over the CPUs its process sees. */
export function effectiveConcurrency(config: FleetConfig, candidate: TuneCandidate, placement: Placement): { inferenceWorkers: number; threads: number } {
  return deriveConcurrency({
    cpus: placement.kind === "local" ? placement.cpus : cpuMillis(candidate.cpu) / 1000,
    numModels: candidate.numModels,
    separateSessions: config.server.separateSessions,
    repository: config.model.repository !== undefined,
    threads: candidate.threads,
    inferenceWorkers: candidate.inferenceWorkers,
  });
}

/**
 * Two candidates with the same key run the same servers: workers and threads are compared as the
 * servers resolve them, so "derived" and the explicit values it derives to are one point.
 */
export function candidateKey(config: FleetConfig, candidate: TuneCandidate, placement: Placement): string {
  const { inferenceWorkers, threads } = effectiveConcurrency(config, candidate, placement);
  const cpu = placement.kind === "cluster" ? ` cpu ${formatCpu(cpuMillis(candidate.cpu))}` : "";
  const { serversPerNode, numModels, maxBatch, maxQueueDelayMs } = candidate;
  return `${serversPerNode}x${inferenceWorkers}w${threads}t copies ${numModels} batch ${maxBatch} delay ${maxQueueDelayMs}${cpu}`;
}

/** "2 servers x (1 worker x 1 thread), 2 copies, maxBatch 4, delay 0 ms" for the table and progress lines. */
export function describeCandidate(config: FleetConfig, candidate: TuneCandidate, placement: Placement): string {
  const { inferenceWorkers, threads } = effectiveConcurrency(config, candidate, placement);
  const derived = candidate.inferenceWorkers === undefined && candidate.threads === undefined ? " derived" : "";
  const servers = `${candidate.serversPerNode} server${candidate.serversPerNode === 1 ? "" : "s"}`;
  const cpu = placement.kind === "cluster" ? ` @ ${formatCpu(cpuMillis(candidate.cpu))} CPU` : "";
  return (
    `${servers}${cpu} x (${inferenceWorkers}w x ${threads}t${derived}), ${candidate.numModels} cop${candidate.numModels === 1 ? "y" : "ies"}, ` +
    `maxBatch ${candidate.maxBatch}, delay ${candidate.maxQueueDelayMs} ms`
  );
}
