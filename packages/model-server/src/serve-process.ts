import { ConfigError } from "@inference-fleet/fleet-config";
import { pino } from "pino";
import { resolveServerSettings, type ServerSettings, type SettingsFlagNames, type SettingsFlags } from "./config/settings.js";
import { ModelLoadError } from "./model/load-model.js";
import { startServer, type RunningServer } from "./server.js";

/**
 * Runs the server as this process's job: SIGTERM or SIGINT turns readiness false at once, lets
 * in-flight requests finish, and exits 0 (1 if drainTimeoutMs passed with requests still open).
 */
async function serveProcess(settings: ServerSettings): Promise<RunningServer> {
  const logger = pino({ base: undefined, timestamp: pino.stdTimeFunctions.isoTime });
  // An inference worker that stops takes its sessions with it: exit so the orchestrator restarts the pod.
  const server = await startServer(settings, logger, () => {
    logger.flush();
    process.exit(1);
  });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, drainTimeoutMs: settings.drainTimeoutMs }, "draining: readiness is false, finishing in-flight requests");
    void server.drain().then(
      (drained) => {
        if (drained) logger.info("drained; exiting");
        else logger.warn(`requests were still open after ${settings.drainTimeoutMs} ms (DRAIN_TIMEOUT_MS); exiting anyway`);
        logger.flush();
        process.exit(drained ? 0 : 1);
      },
      (error: unknown) => {
        logger.error({ err: error }, "drain failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  return server;
}

/** What a person can do about an error that stops the server from starting; undefined for an unexpected one (printed with its stack). */
function startFailure(error: unknown, flags: SettingsFlags, env: NodeJS.ProcessEnv): string | undefined {
  if (error instanceof ConfigError || error instanceof ModelLoadError) return error.message;
  const { code, address, port } = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (code === "EADDRINUSE") {
    return `Port ${port} on ${address} is already in use by another process: stop that process, or choose another port with --port (PORT).`;
  }
  if (code === "EACCES" || code === "EADDRNOTAVAIL") {
    const host = flags.host ?? env["HOST"] ?? "0.0.0.0";
    const fix = "choose a port above 1023 with --port (PORT), or an address of this machine with --host (HOST)";
    return `This process may not listen on ${host}:${port} (${code}): ${fix}.`;
  }
  return undefined;
}

/** The container's entry: settings from the environment (and flags), then serve; a bad setting or model exits 1 with a message. */
export async function main(
  flags: SettingsFlags = {},
  env: NodeJS.ProcessEnv = process.env,
  flagNames: SettingsFlagNames = {},
): Promise<RunningServer | undefined> {
  try {
    return await serveProcess(resolveServerSettings({ env, flags, flagNames }));
  } catch (error) {
    console.error(startFailure(error, flags, env) ?? `The model server could not start: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
    return undefined;
  }
}
