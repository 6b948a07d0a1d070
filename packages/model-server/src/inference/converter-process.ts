import { fork, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { setPriority } from "node:os";
import { pathToFileURL } from "node:url";
import type { SessionSettings } from "../model/load-model.js";
import type { ConvertReply, ConvertRequest } from "./convert-process.js";

/** An idle converter process exits after this long, handing its memory back. */
const IDLE_EXIT_MS = 5_000;
/** Lowest CPU priority: conversions take only what serving leaves. */
const NICE = 19;

/**
 * Converts models to ORT format in a child process, one at a time, started on demand and stopped when
 * idle. A conversion is a full ONNX load plus optimization (~190 ms of CPU and ~100 MB per tiny model
 * here): in a thread of the server it competed with requests and its memory stayed in the server's
 * heap; in a niced process it yields the CPU and its memory leaves with the process.
 */
export class ConverterProcess {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  convert(modelPath: string, ortPath: string, settings: SessionSettings): Promise<void> {
    if (this.closed) return Promise.reject(new Error("The ORT-format converter was stopped."));
    clearTimeout(this.idleTimer);
    const child = (this.child ??= this.start());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      child.send({ id, modelPath, ortPath, settings: { threads: settings.threads, executionProviders: settings.executionProviders } } satisfies ConvertRequest);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleTimer);
    const child = this.child;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }

  private start(): ChildProcess {
    const ts = import.meta.url.endsWith(".ts");
    const entry = new URL(ts ? "./convert-process.ts" : "./convert-process.js", import.meta.url);
    // From source the child needs tsx's loader; built, nothing (and none of the parent's flags, such as --cpu-prof).
    const execArgv = ts ? ["--import", pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href] : [];
    const child = fork(entry, [], { execArgv, stdio: ["ignore", "ignore", "inherit", "ipc"] });
    try {
      if (child.pid !== undefined) setPriority(child.pid, NICE);
    } catch {
      // Not permitted here: conversions then compete as equals.
    }
    child.on("message", (reply: ConvertReply) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.ok) waiting?.resolve();
      else waiting?.reject(new Error(reply.message));
      if (this.pending.size === 0) this.idleTimer = setTimeout(() => this.stopIdle(child), IDLE_EXIT_MS).unref();
    });
    child.on("exit", (code, signal) => {
      if (this.child === child) this.child = undefined;
      const error = new Error(`The ORT-format converter process exited (${signal ?? `code ${code}`}).`);
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    });
    return child;
  }

  private stopIdle(child: ChildProcess): void {
    if (this.pending.size > 0 || this.child !== child) return;
    this.child = undefined;
    child.disconnect();
  }
}
