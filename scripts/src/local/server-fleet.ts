// config.server.numServers model servers on loopback, each serving numModels copies, as the cloud fleet does.
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { FleetConfig } from "@inference-fleet/fleet-config";
import { findFreePort } from "./free-port.js";
import { ServerProcess, type ServerLaunch } from "./server-process.js";

const FLEET_BIN = fileURLToPath(new URL("../../bin/fleet.js", import.meta.url));

/** The model server's environment for one server of the fleet (the names the model server reads, as in its container). */
export function serverEnvironment(config: FleetConfig, modelDir: string, port: number): Record<string, string> {
  const { server, model } = config;
  return {
    MODEL_DIR: modelDir,
    NUM_MODELS: String(server.numModels),
    PORT: String(port),
    HOST: "127.0.0.1",
    THREADS: String(server.threads),
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
      servers.push(new ServerProcess(name, `http://127.0.0.1:${port}`, launch(serverEnvironment(config, path.resolve(options.modelDir), port))));
      options.log?.(`started ${name} on 127.0.0.1:${port} (${config.server.numModels} models)`);
    }
    await Promise.all(servers.map((server) => server.waitReady(options.readyTimeoutMs ?? 60_000, options.signal)));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    servers,
    targets: servers.map((server) => server.url),
    models: Array.from({ length: config.server.numModels }, (_, i) => `model${i}`),
    stop,
  };
}
