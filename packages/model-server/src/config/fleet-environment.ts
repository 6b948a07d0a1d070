import { executionProviderFor, type FleetConfig } from "@inference-fleet/fleet-config";
import { SETTINGS_ENV, type ServerSettings } from "./settings.js";

/** What differs between a server in a pod and one on loopback. */
export interface ServerPlacement {
  /** The model dir (MODEL_DIR), or the repository (MODEL_REPO) when the config has model.repository. */
  readonly modelSource: string;
  /** This server's number in the fleet: its shard in repository mode. */
  readonly index: number;
  readonly port: number;
  readonly host?: string;
  readonly metricsPort?: number;
  readonly metricsHost?: string;
  /** A listener for the probes alone (HEALTH_PORT): kubelet's probes then never queue behind clients' connections. */
  readonly healthPort?: number;
  readonly cacheDir?: string;
}

/** How long a stopping server finishes in-flight requests: the longest a request may take, plus a margin. */
export function drainTimeoutMs(config: FleetConfig): number {
  return config.server.requestTimeoutMs + 1000;
}

/**
 * The model server's environment for server `placement.index` of the fleet: the one mapping from the
 * fleet config to the server's settings, used by infra (pods) and `fleet local` (loopback) alike, and
 * keyed through SETTINGS_ENV so a renamed setting cannot drift. Threads and inference workers are
 * passed only when the config sets them; otherwise each server derives them from its own CPU budget.
 */
export function fleetServerEnvironment(config: FleetConfig, placement: ServerPlacement): Record<string, string> {
  const { server, model } = config;
  const env: Record<string, string> = {};
  const set = (key: keyof ServerSettings, value: string | number | boolean | undefined) => {
    if (value !== undefined) env[SETTINGS_ENV[key]] = String(value);
  };
  if (model.repository) {
    set("modelRepo", placement.modelSource);
    set("maxResidentMb", model.repository.maxResidentMb);
    set("serverIndex", placement.index);
    set("numServers", server.numServers);
  } else {
    set("modelSource", placement.modelSource);
    set("numModels", server.numModels);
  }
  set("threads", server.threads);
  set("inferenceWorkers", server.inferenceWorkers);
  set("maxBatch", server.maxBatch);
  set("maxQueueDelayMs", server.maxQueueDelayMs);
  set("maxQueue", server.maxQueue);
  set("requestTimeoutMs", server.requestTimeoutMs);
  set("maxSeqLength", model.maxSeqLength);
  set("padding", model.padding);
  set("separateSessions", server.separateSessions);
  set("postprocess", server.postprocess);
  // cpu stays last: a GPU server that cannot start CUDA still answers, and reports cpu (model_server_session_info).
  // inf is the Neuron server's (packages/neuron-server), which reads the same variables.
  const provider = executionProviderFor(server.processor);
  set("executionProviders", provider === "cuda" ? "cuda,cpu" : provider);
  // One log line per request would drown both the pod logs and fleet local's progress output.
  set("quiet", true);
  set("drainTimeoutMs", drainTimeoutMs(config));
  set("port", placement.port);
  set("host", placement.host);
  set("metricsPort", placement.metricsPort);
  set("metricsHost", placement.metricsHost);
  set("healthPort", placement.healthPort);
  set("cacheDir", placement.cacheDir);
  return env;
}
