// One server child process (the model server, or another command such as the Python Neuron server): start,
// wait for readiness, stop with SIGTERM. The one helper for this in the workspace: tests, `fleet local` and
// the bench scripts all start servers through it.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { freePort } from "./free-port.js";
import { withMallocTunables } from "./malloc-tunables.js";

/** How to start one server: a command and the environment the model server reads its settings from. */
export interface ServerLaunch {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** Working directory (default: this process's). */
  readonly cwd?: string;
  /**
   * Write stdout and stderr to this file instead of a pipe: for a caller that blocks its event loop while
   * the server runs (execFileSync of a load generator), where an undrained pipe would fill and stall the server.
   */
  readonly logFile?: string;
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const OUTPUT_TAIL_LINES = 40;

export class ServerProcess {
  private readonly child: ChildProcess;
  private readonly tail: string[] = [];
  private readonly logFile: string | undefined;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ExitStatus>;
  private exitStatus: ExitStatus | undefined;

  constructor(
    readonly name: string,
    readonly url: string,
    launch: ServerLaunch,
  ) {
    this.logFile = launch.logFile;
    const log = launch.logFile === undefined ? undefined : openSync(launch.logFile, "w");
    try {
      this.child = spawn(launch.command, launch.args, { env: launch.env, cwd: launch.cwd, stdio: ["ignore", log ?? "pipe", log ?? "pipe"] });
    } finally {
      if (log !== undefined) closeSync(log);
    }
    for (const stream of [this.child.stdout, this.child.stderr]) {
      stream?.setEncoding("utf8");
      stream?.on("data", (chunk: string) => this.remember(chunk));
    }
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => resolve((this.exitStatus = { code, signal })));
      this.child.once("error", (error) => {
        this.remember(`${error.message}\n`);
        resolve((this.exitStatus = { code: -1, signal: null }));
      });
    });
  }

  /** The process id (node's own: taskset execs it). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  private remember(chunk: string): void {
    this.tail.push(...chunk.split("\n").filter((line) => line.trim()));
    this.tail.splice(0, Math.max(0, this.tail.length - OUTPUT_TAIL_LINES));
  }

  /** The server's last output lines, for error messages. */
  output(): string {
    if (this.logFile !== undefined) {
      this.tail.length = 0;
      this.remember(readFileSync(this.logFile, "utf8"));
    }
    return this.tail.join("\n");
  }

  /** Sends a signal (SIGTERM drains); see `exited` for the outcome. */
  kill(signal: NodeJS.Signals = "SIGTERM"): void {
    if (!this.exitStatus) this.child.kill(signal);
  }

  /** Polls GET /v2/health/ready until 200; throws with the server's output if it exits or the time runs out. */
  async waitReady(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      signal?.throwIfAborted();
      if (this.exitStatus) {
        const how = this.exitStatus.signal ? `signal ${this.exitStatus.signal}` : `exit code ${this.exitStatus.code}`;
        throw new Error(`${this.name} exited (${how}) before it was ready. Its output:\n${this.output() || "(none)"}`);
      }
      try {
        const response = await fetch(`${this.url}/v2/health/ready`, { signal: AbortSignal.timeout(1000) });
        await response.body?.cancel();
        if (response.status === 200) return;
      } catch {
        // Not listening yet.
      }
      await sleep(100);
    }
    throw new Error(`${this.name} was not ready at ${this.url}/v2/health/ready within ${timeoutMs / 1000} s. Its output:\n${this.output() || "(none)"}`);
  }

  /** SIGTERM (the server drains), then SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(graceMs = 5000): Promise<ExitStatus> {
    if (this.exitStatus) return this.exitStatus;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    const status = await this.exited;
    clearTimeout(timer);
    return status;
  }
}

const FROM_SOURCE = import.meta.url.endsWith(".ts");
const ENTRY = fileURLToPath(new URL(FROM_SOURCE ? "../main.ts" : "../main.js", import.meta.url));
/** The workspace root, where `--import tsx` resolves. */
const WORKSPACE_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/**
 * The model server's own entry (src/main.ts through tsx when running from source, dist/main.js when
 * built) with `env` over this process's environment, and malloc set as the container sets it
 * (see malloc-tunables.ts); `cpus` (e.g. "1") pins it with taskset.
 */
export function modelServerLaunch(env: Record<string, string>, options: { cpus?: string } = {}): ServerLaunch {
  const node = [...(FROM_SOURCE ? ["--conditions=source", "--import", "tsx"] : []), ENTRY];
  const launch = { command: process.execPath, args: node, env: withMallocTunables({ ...process.env, ...env }), cwd: WORKSPACE_ROOT };
  return options.cpus === undefined ? launch : pinnedLaunch(launch, options.cpus);
}

/** The launch run under `taskset -c CPUS` (taskset execs the command, so signals and the pid stay the server's). */
export function pinnedLaunch(launch: ServerLaunch, cpus: string, taskset = "taskset"): ServerLaunch {
  return { ...launch, command: taskset, args: ["-c", cpus, launch.command, ...launch.args] };
}

export interface StartServerProcessOptions {
  /** For logs and errors (default "model-server"). */
  readonly name?: string;
  /** Pin to these CPUs with taskset (e.g. "1"). */
  readonly cpus?: string;
  readonly readyTimeoutMs?: number;
  /** Defaults to the model server's own entry. */
  readonly launch?: (env: Record<string, string>) => ServerLaunch;
  /** See ServerLaunch.logFile. */
  readonly logFile?: string;
}

/** Starts a server on a free loopback port (PORT and HOST are set here; QUIET by default) without waiting for it. */
export async function spawnServerProcess(env: Record<string, string>, options: StartServerProcessOptions = {}): Promise<ServerProcess> {
  const port = await freePort();
  const settings = { QUIET: "true", ...env, PORT: String(port), HOST: "127.0.0.1" };
  const launch = options.launch ?? ((values) => modelServerLaunch(values, options.cpus === undefined ? {} : { cpus: options.cpus }));
  const spec = launch(settings);
  return new ServerProcess(
    options.name ?? "model-server",
    `http://127.0.0.1:${port}`,
    options.logFile === undefined ? spec : { ...spec, logFile: options.logFile },
  );
}

/** spawnServerProcess, then waits until it is ready; if it exits or is not ready in time, it is killed and the error carries its output. */
export async function startServerProcess(env: Record<string, string>, options: StartServerProcessOptions = {}): Promise<ServerProcess> {
  const server = await spawnServerProcess(env, options);
  try {
    await server.waitReady(options.readyTimeoutMs ?? 60_000);
  } catch (error) {
    await server.stop(0);
    throw error;
  }
  return server;
}
