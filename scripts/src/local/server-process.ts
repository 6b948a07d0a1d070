// One model-server child process on loopback: start, wait for readiness, stop with SIGTERM.
import { spawn, type ChildProcess } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";

/** How to start one server: a command and the environment the model server reads its settings from. */
export interface ServerLaunch {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

const OUTPUT_TAIL_LINES = 40;

export class ServerProcess {
  private readonly child: ChildProcess;
  private readonly tail: string[] = [];
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitStatus: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(
    readonly name: string,
    readonly url: string,
    launch: ServerLaunch,
  ) {
    this.child = spawn(launch.command, launch.args, { env: launch.env, stdio: ["ignore", "pipe", "pipe"] });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => this.remember(chunk));
    }
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => resolve((this.exitStatus = { code, signal })));
      this.child.once("error", (error) => {
        this.remember(`${error.message}\n`);
        resolve((this.exitStatus = { code: -1, signal: null }));
      });
    });
  }

  private remember(chunk: string): void {
    this.tail.push(...chunk.split("\n").filter((line) => line.trim()));
    this.tail.splice(0, Math.max(0, this.tail.length - OUTPUT_TAIL_LINES));
  }

  /** The server's last output lines, for error messages. */
  output(): string {
    return this.tail.join("\n");
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
  async stop(graceMs = 5000): Promise<void> {
    if (this.exitStatus) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
