import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { ModelLoadError, type SessionSettings } from "../model/load-model.js";
import { inThreadSessions, type ModelSession, type RunnerShape, type SessionFactory } from "./model-session.js";
import type { InferenceRow } from "./session-runner.js";
import type { WorkerReply, WorkerRequest } from "./worker-protocol.js";

type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

/**
 * The worker's entry. Built, it is session-worker.js beside this file; from source (tsx, vitest) the
 * worker registers tsx itself, because Node 20 does not pass --import hooks on to worker threads.
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./session-worker.js", import.meta.url));
  const entry = new URL("./session-worker.ts", import.meta.url).href;
  const tsx = pathToFileURL(
    createRequire(import.meta.url)
      .resolve("tsx/esm/api")
      .replace(/\.cjs$/, ".mjs"),
  ).href;
  const bootstrap = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(entry)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`));
}

/** Only the session settings a worker uses (callers may pass a whole options object). */
function postable(settings: SessionSettings): SessionSettings {
  return { threads: settings.threads, executionProviders: settings.executionProviders };
}

/** A row with arrays that own their buffers, so posting it copies only its own bytes. */
function compactRow(row: InferenceRow): InferenceRow {
  const own = (array: Int32Array) => (array.byteOffset === 0 && array.byteLength === array.buffer.byteLength ? array : array.slice());
  return {
    ids: own(row.ids),
    contextStart: row.contextStart,
    ...(row.typeIds ? { typeIds: own(row.typeIds) } : {}),
    ...(row.attentionMask ? { attentionMask: own(row.attentionMask) } : {}),
  };
}

/** One inference worker thread and the requests waiting for its replies. */
class InferenceWorker {
  private readonly pending = new Map<number, { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private failure: Error | undefined;
  /** Sessions open here: new sessions go to the worker with the fewest. */
  sessions = 0;
  readonly started: Promise<void>;

  constructor(
    readonly index: number,
    private readonly worker: Worker,
    onExit: (error: Error) => void,
  ) {
    let markStarted: () => void;
    this.started = new Promise((resolve) => (markStarted = resolve));
    worker.on("message", (reply: WorkerReply) => {
      if (reply.type === "started") {
        // Referenced only while starting or while a reply is awaited: an idle pool must not keep the process alive.
        if (this.pending.size === 0) worker.unref();
        return markStarted();
      }
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.type === "failed") {
        const error = reply.name === "ModelLoadError" ? new ModelLoadError(reply.message) : new Error(reply.message);
        waiting?.reject(error);
      } else waiting?.resolve(reply);
    });
    const fail = (error: Error) => {
      if (this.failure !== undefined) return;
      this.failure = error;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
      markStarted();
      onExit(error);
    };
    worker.on("error", (error) => fail(new Error(`Inference worker ${index} failed: ${error.message}`)));
    worker.on("exit", (code) => fail(new Error(`Inference worker ${index} exited (code ${code}).`)));
  }

  get alive(): boolean {
    return this.failure === undefined;
  }

  call(request: Request): Promise<WorkerReply> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = this.nextId++;
    if (this.pending.size === 0) this.worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id } as WorkerRequest);
    });
  }

  async terminate(): Promise<void> {
    this.failure ??= new Error(`Inference worker ${this.index} was stopped.`);
    await this.worker.terminate();
  }
}

/**
 * Sessions in `count` worker threads (INFERENCE_WORKERS): the main thread parses HTTP and tokenizes
 * while a worker runs ONNX Runtime, and a model load blocks only its worker. A new session goes to the
 * worker holding the fewest; all of one session's runs happen on its worker.
 */
export class WorkerSessions implements SessionFactory {
  private readonly workers: InferenceWorker[];
  private nextSession = 1;
  private closing = false;

  constructor(count: number, onWorkerExit: (error: Error) => void = () => {}) {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`WorkerSessions needs at least one worker, got ${count}.`);
    this.workers = Array.from({ length: count }, (_, index) => new InferenceWorker(index, startWorker(), (error) => this.closing || onWorkerExit(error)));
  }

  /** Open sessions per worker, in worker order. */
  sessionsPerWorker(): number[] {
    return this.workers.map((worker) => worker.sessions);
  }

  private leastLoaded(): InferenceWorker {
    const alive = this.workers.filter((worker) => worker.alive);
    if (alive.length === 0) throw new Error("Every inference worker has stopped; restart the server.");
    return alive.reduce((best, candidate) => (candidate.sessions < best.sessions ? candidate : best));
  }

  async open(modelPath: string, shape: RunnerShape, settings: SessionSettings, warn: (message: string) => void): Promise<ModelSession> {
    const worker = this.leastLoaded();
    // Counted before any await, so sessions opened together spread over the workers.
    worker.sessions++;
    const session = this.nextSession++;
    let opened: WorkerReply;
    try {
      await worker.started;
      opened = await worker.call({ type: "open", session, modelPath, shape, settings: postable(settings) });
    } catch (error) {
      worker.sessions--;
      throw error;
    }
    if (opened.type !== "opened") throw new Error(`Inference worker ${worker.index} answered ${opened.type} to open.`);
    opened.warnings.forEach(warn);
    let released = false;
    return {
      inputNames: opened.inputNames,
      outputNames: opened.outputNames,
      executionProvider: opened.executionProvider,
      async run(rows) {
        const reply = await worker.call({ type: "run", session, rows: rows.map(compactRow) });
        if (reply.type !== "ran") throw new Error(`Inference worker ${worker.index} answered ${reply.type} to run.`);
        return [...reply.rows];
      },
      async release() {
        if (released) return;
        released = true;
        worker.sessions--;
        if (worker.alive) await worker.call({ type: "release", session });
      },
    };
  }

  /** Converts a model to an optimized ORT-format file on the least loaded worker (see ort-format-cache.ts). */
  async convert(modelPath: string, ortPath: string, settings: SessionSettings): Promise<void> {
    const worker = this.leastLoaded();
    await worker.started;
    const reply = await worker.call({ type: "convert", modelPath, ortPath, settings: postable(settings) });
    if (reply.type !== "converted") throw new Error(`Inference worker ${worker.index} answered ${reply.type} to convert.`);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}

/** The factory INFERENCE_WORKERS asks for: 0 keeps sessions on the main thread. */
export function sessionFactory(workers: number, onWorkerExit?: (error: Error) => void): SessionFactory {
  return workers === 0 ? inThreadSessions : new WorkerSessions(workers, onWorkerExit);
}
