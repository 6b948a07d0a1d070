// config.server.numServers model servers on loopback, each serving numModels copies, as the cloud fleet does.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { repositoryModelNames, type FleetConfig } from "@inference-fleet/fleet-config";
import { findFreePort } from "./free-port.js";
import { ServerProcess, type ServerLaunch } from "./server-process.js";

const FLEET_BIN = fileURLToPath(new URL("../../bin/fleet.js", import.meta.url));

/** Repository mode: server `index` serves its shard of the repository in modelDir under the resident budget. */
function modelEnvironment(config: FleetConfig, modelDir: string, index: number): Record<string, string> {
  const { server, model } = config;
  if (!model.repository) return { MODEL_DIR: modelDir, NUM_MODELS: String(server.numModels) };
  return { MODEL_REPO: modelDir, MAX_RESIDENT_MB: String(model.repository.maxResidentMb), SERVER_INDEX: String(index), NUM_SERVERS: String(server.numServers) };
}

/** The model names the load goes to: the repository's models, or the copies model0..model{N-1}. */
export function fleetModelNames(config: FleetConfig): string[] {
  if (config.model.repository) return repositoryModelNames(config.model.repository.count);
  return Array.from({ length: config.server.numModels }, (_, i) => `model${i}`);
}

/** The model server's environment for server `index` of the fleet (the names the model server reads, as in its container). */
export function serverEnvironment(config: FleetConfig, modelDir: string, port: number, index = 0): Record<string, string> {
  const { server, model } = config;
  return {
    ...modelEnvironment(config, modelDir, index),
    PORT: String(port),
    HOST: "127.0.0.1",
    ...(server.threads !== undefined ? { THREADS: String(server.threads) } : {}),
    MAX_BATCH: String(server.maxBatch),
    MAX_QUEUE_DELAY_MS: String(server.maxQueueDelayMs),
    MAX_QUEUE: String(server.maxQueue),
    REQUEST_TIMEOUT_MS: String(server.requestTimeoutMs),
    MAX_SEQ_LENGTH: String(model.maxSeqLength),
    PADDING: model.padding,
    SEPARATE_SESSIONS: String(server.separateSessions),
    POSTPROCESS: String(server.postprocess),
    // One log line per request would drown the progress output.
    QUIET: "true",
    DRAIN_TIMEOUT_MS: "3000",
  };
}

/** `node scripts/bin/fleet.js serve`, the same entry as `npx fleet serve`, with the settings in its environment. */
export function fleetServeLaunch(env: Record<string, string>): ServerLaunch {
  return { command: process.execPath, args: [FLEET_BIN, "serve"], env: { ...process.env, ...env } };
}

export interface ServerFleet {
  readonly servers: readonly ServerProcess[];
  /** Base URLs, e.g. http://127.0.0.1:41234. */
  readonly targets: readonly string[];
  /** Model names every server serves: model0..model{N-1}. */
  readonly models: readonly string[];
  stop(): Promise<void>;
}

export interface StartFleetOptions {
  readonly modelDir: string;
  readonly readyTimeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
  /** Overridable for tests; production runs `fleet serve`. */
  readonly launch?: (env: Record<string, string>) => ServerLaunch;
}

/** Starts every server and waits until all are ready; on any failure the ones started are stopped before the error is thrown. */
export async function startServerFleet(config: FleetConfig, options: StartFleetOptions): Promise<ServerFleet> {
  const launch = options.launch ?? fleetServeLaunch;
  const servers: ServerProcess[] = [];
  const stop = async () => void (await Promise.all(servers.map((server) => server.stop())));
  try {
    for (let index = 0; index < config.server.numServers; index++) {
      const port = await findFreePort();
      const name = `model-server-${index}`;
      servers.push(new ServerProcess(name, `http://127.0.0.1:${port}`, launch(serverEnvironment(config, path.resolve(options.modelDir), port, index))));
      const serves = config.model.repository ? `shard ${index} of ${config.server.numServers} of ${config.model.repository.count} repository models` : `${config.server.numModels} models`;
      options.log?.(`started ${name} on 127.0.0.1:${port} (${serves})`);
    }
    await Promise.all(servers.map((server) => server.waitReady(options.readyTimeoutMs ?? 60_000, options.signal)));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    servers,
    targets: servers.map((server) => server.url),
    models: fleetModelNames(config),
    stop,
  };
}
