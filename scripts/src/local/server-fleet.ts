// config.server.numServers model servers on loopback, each serving numModels copies, as the cloud fleet does.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { repositoryModelNames, type FleetConfig } from "@inference-fleet/fleet-config";
import { fleetServerEnvironment, freePort, pinnedLaunch, ServerProcess, withMallocTunables, type ServerLaunch } from "@inference-fleet/model-server";
import { planCpuPinning, pickCpuBlock } from "./cpu-pinning.js";

const FLEET_BIN = fileURLToPath(new URL("../../bin/fleet.js", import.meta.url));

/** The model names the load goes to: the repository's models, or the copies model0..model{N-1}. */
export function fleetModelNames(config: FleetConfig): string[] {
  if (config.model.repository) return repositoryModelNames(config.model.repository.count);
  return Array.from({ length: config.server.numModels }, (_, i) => `model${i}`);
}

/** The model server's environment for server `index` on loopback: the model server's own mapping, the one infra uses for pods. */
export function serverEnvironment(config: FleetConfig, modelDir: string, port: number, index = 0): Record<string, string> {
  return fleetServerEnvironment(config, { modelSource: modelDir, index, port, host: "127.0.0.1" });
}

/**
 * `node scripts/bin/fleet.js serve`, the same entry as `npx fleet serve`, with the settings in its environment and
 * malloc set as the container sets it, so `fleet serve` serves in place instead of starting itself again.
 */
export function fleetServeLaunch(env: Record<string, string>): ServerLaunch {
  return { command: process.execPath, args: [FLEET_BIN, "serve"], env: withMallocTunables({ ...process.env, ...env }) };
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
  /** Pin each `fleet serve` to its pod's CPUs (cpu-pinning.ts); default true. `fleet tune --local` turns it off: its servers see the whole machine. */
  readonly pinCpus?: boolean;
}

/**
 * How the fleet's servers are launched: the caller's launch as it is, or `fleet serve` pinned to a block of CPUs per
 * server when the stack's pod size allows (said once in the log). `running` holds the CPU blocks of the servers
 * running now, so a new one goes to the block with the fewest.
 */
export function serverLauncher(
  config: FleetConfig,
  options: Pick<StartFleetOptions, "launch" | "pinCpus" | "log">,
): (env: Record<string, string>, running: readonly (readonly number[])[]) => { launch: ServerLaunch; cpus?: readonly number[] } {
  if (options.launch) return (env) => ({ launch: options.launch!(env) });
  const { pinning, note } = options.pinCpus === false ? {} : planCpuPinning(config);
  if (note) options.log?.(note);
  if (!pinning) return (env) => ({ launch: fleetServeLaunch(env) });
  return (env, running) => {
    const cpus = pickCpuBlock(pinning, running);
    return { launch: pinnedLaunch(fleetServeLaunch(env), cpus.join(","), pinning.taskset), cpus };
  };
}

/** Starts every server and waits until all are ready; on any failure the ones started are stopped before the error is thrown. */
export async function startServerFleet(config: FleetConfig, options: StartFleetOptions): Promise<ServerFleet> {
  const launcher = serverLauncher(config, options);
  const pinned: (readonly number[])[] = [];
  const servers: ServerProcess[] = [];
  const stop = async () => void (await Promise.all(servers.map((server) => server.stop())));
  try {
    for (let index = 0; index < config.server.numServers; index++) {
      const port = await freePort();
      const name = `model-server-${index}`;
      const { launch, cpus } = launcher(serverEnvironment(config, path.resolve(options.modelDir), port, index), pinned);
      if (cpus) pinned.push(cpus);
      servers.push(new ServerProcess(name, `http://127.0.0.1:${port}`, launch));
      const serves = config.model.repository
        ? `shard ${index} of ${config.server.numServers} of ${config.model.repository.count} repository models`
        : `${config.server.numModels} models`;
      options.log?.(`started ${name} on 127.0.0.1:${port} (${serves}${cpus ? `, CPU ${cpus.join(",")}` : ""})`);
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
