import { stat } from "node:fs/promises";
import { HttpError, retryAfter } from "../../http-error.js";
import type { BatchQueueOptions } from "../../inference/batch-queue.js";
import { inThreadSessions, type ModelSession, type SessionFactory } from "../../inference/model-session.js";
import type { Padding } from "../../inference/session-runner.js";
import { modelPrecision, readModelFiles, servedSeqLength, type ExecutionProvider, type SessionSettings } from "../load-model.js";
import { createModelQueue } from "../model-queue.js";
import type { LoadedModel, ModelDescription, ModelRegistry, ModelStatus, SessionProvider } from "../model-registry.js";
import { LOAD_FAILED_REASON, nextFailure, secondsUntilRetry, type LoadFailure } from "./load-backoff.js";
import type { RepositorySource } from "./repository-source.js";
import { ResidentBudget, SESSION_OVERHEAD_BYTES } from "./resident-budget.js";
import { taskOf } from "../model-task.js";
import { SharedTokenizers } from "./shared-tokenizers.js";

export { LOAD_FAILED_REASON, SESSION_OVERHEAD_BYTES };

/** A repository model that could not be loaded: answered with 503 and Retry-After until the next try is due. */
export class ModelUnavailableError extends HttpError {
  constructor(
    readonly model: string,
    readonly reason: string,
    readonly retryAfterSeconds: number,
  ) {
    super(`Model ${model} could not be loaded: ${reason} The server tries again on a request after ${retryAfterSeconds} s.`, 503, {
      headers: retryAfter(retryAfterSeconds),
    });
  }
}

/** Counts and timings the server turns into metrics. */
interface RepositoryEvents {
  onLoad?(model: string, seconds: number, bytes: number): void;
  onLoadFailed?(model: string, error: unknown): void;
  onEvict?(model: string): void;
}

export interface ModelRepositoryOptions extends SessionSettings {
  readonly source: RepositorySource;
  /** The models this server serves (its shard of the repository listing). */
  readonly names: readonly string[];
  /** Resident models' bytes (model.onnx size + a per-model overhead each) stay under this; least recently used idle models are unloaded to make room. */
  readonly maxResidentBytes: number;
  readonly padding: Padding;
  readonly maxSeqLength?: number;
  readonly queue: Omit<BatchQueueOptions, "onBatch">;
  readonly onBatch?: (model: string, size: number, seconds: number) => void;
  /** First wait after a failed load before a request may try again; doubles per failure up to 60 s. */
  readonly retryBackoffMs?: number;
  /** After eviction, how long a session is kept before release (a request that already holds the model still finishes). */
  readonly releaseGraceMs?: number;
  readonly events?: RepositoryEvents;
  readonly warn: (message: string) => void;
  /**
   * The process's resident memory (process.memoryUsage.rss in the server). When given, the per-model
   * overhead is calibrated from it after each load, so fragmentation and whatever else sessions really
   * hold count against the budget too; without it the overhead stays SESSION_OVERHEAD_BYTES.
   */
  readonly measureRssBytes?: () => number;
  /** Where sessions live (inference worker threads, or this thread by default). */
  readonly sessions?: SessionFactory;
}

interface Resident {
  readonly model: LoadedModel;
  readonly session: ModelSession;
  /** model.onnx bytes; the overhead is counted per model on top. */
  readonly fileBytes: number;
}

interface Entry {
  readonly name: string;
  resident?: Resident;
  loading?: Promise<LoadedModel>;
  failure?: LoadFailure;
}

const QA_INPUTS = ["input_ids", "attention_mask", "token_type_ids"];
const QA_OUTPUTS = ["start_logits", "end_logits"];

/**
 * Many unique models, loaded on first request and unloaded least-recently-used first to keep
 * resident model bytes under a budget. Concurrent first requests share one load; a failed load
 * answers ModelUnavailableError and is tried again after a backoff. Names come only from the
 * repository listing, so no request can make it open another path.
 */
export class ModelRepository implements ModelRegistry {
  private readonly entries: Map<string, Entry>;
  private readonly nameList: readonly string[];
  /** Resident models, least recently used first (a Map keeps insertion order; a hit re-inserts). */
  private readonly lru = new Map<string, Entry>();
  private readonly described = new Map<string, ModelDescription>();
  private readonly pendingRelease = new Set<Promise<void>>();
  private readonly tokenizers = new SharedTokenizers();
  /** model.onnx bytes and number of the resident and loading models, against maxResidentBytes. */
  private readonly budget: ResidentBudget;
  /** The provider the latest session got: what a model not loaded yet would most likely get too. */
  private latestProvider: ExecutionProvider | undefined;

  constructor(private readonly options: ModelRepositoryOptions) {
    this.nameList = [...options.names];
    this.entries = new Map(this.nameList.map((name) => [name, { name }]));
    this.budget = new ResidentBudget(options.maxResidentBytes, options.measureRssBytes);
  }

  names(): readonly string[] {
    return this.nameList;
  }

  /** Bytes counted for resident models plus those being loaded (reserved before the session is created). */
  get residentBytes(): number {
    return this.budget.bytes;
  }

  /** What each model counts beyond its model.onnx size now. */
  get perModelOverheadBytes(): number {
    return this.budget.overheadBytes;
  }
  get residentCount(): number {
    return this.lru.size;
  }

  /** Requests waiting per resident model with any waiting, for the queue-depth gauge. */
  queueDepths(): Array<[string, number]> {
    const depths: Array<[string, number]> = [];
    for (const entry of this.lru.values()) if (entry.resident!.model.queue.depth > 0) depths.push([entry.name, entry.resident!.model.queue.depth]);
    return depths;
  }

  /**
   * Resident sessions per execution provider, under one label ("repository": per-model series would
   * grow with the repository). Mixed only when an accelerator could not take some models (e.g. out of memory).
   */
  sessionProviders(): SessionProvider[] {
    const counts = new Map<ExecutionProvider, number>();
    for (const entry of this.lru.values()) {
      const provider = entry.resident!.model.executionProvider;
      counts.set(provider, (counts.get(provider) ?? 0) + 1);
    }
    return [...counts].map(([executionProvider, sessions]) => ({ session: "repository", executionProvider, sessions }));
  }

  isResident(name: string): boolean {
    return this.entries.get(name)?.resident !== undefined;
  }

  get(name: string): Promise<LoadedModel | undefined> {
    const entry = this.entries.get(name);
    if (entry === undefined) return Promise.resolve(undefined);
    if (entry.resident !== undefined) {
      this.lru.delete(name);
      this.lru.set(name, entry);
      return Promise.resolve(entry.resident.model);
    }
    if (entry.loading !== undefined) return entry.loading;
    const waitSeconds = secondsUntilRetry(entry.failure);
    if (waitSeconds !== undefined) return Promise.reject(new ModelUnavailableError(name, entry.failure!.reason, waitSeconds));
    const loading = this.load(entry).finally(() => {
      entry.loading = undefined;
    });
    entry.loading = loading;
    return loading;
  }

  status(name: string): ModelStatus | undefined {
    const entry = this.entries.get(name);
    if (entry === undefined) return undefined;
    if (entry.resident !== undefined) return { name, state: "READY", reason: "" };
    if (entry.loading !== undefined) return { name, state: "LOADING", reason: "loading on first request" };
    if (entry.failure !== undefined) return { name, state: "UNAVAILABLE", reason: entry.failure.reason };
    return { name, state: "UNAVAILABLE", reason: "not loaded: loads on first request" };
  }

  index(): ModelStatus[] {
    return this.nameList.map((name) => this.status(name)!);
  }

  describe(name: string): ModelDescription | undefined {
    if (!this.entries.has(name)) return undefined;
    // Before the first load, the model contract's names and the provider the latest load got; after it, what the model really has.
    const provider = this.latestProvider === undefined ? {} : { executionProvider: this.latestProvider };
    return this.described.get(name) ?? { name, maxSeqLength: this.options.maxSeqLength ?? 128, inputNames: QA_INPUTS, outputNames: QA_OUTPUTS, ...provider };
  }

  ready(): boolean {
    return true;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.entries.values()].map((entry) => entry.loading));
    const sessions = [...this.lru.values()].map((entry) => entry.resident!.session);
    this.lru.clear();
    await Promise.all([...sessions.map((session) => session.release()), ...this.pendingRelease]);
  }

  private async load(entry: Entry): Promise<LoadedModel> {
    const { options } = this;
    const started = performance.now();
    let fileBytes: number | undefined;
    try {
      const files = await readModelFiles(await options.source.modelDir(entry.name), (path) => this.tokenizers.get(path));
      const maxSeqLength = servedSeqLength(files, options.maxSeqLength);
      const size = (await stat(files.modelPath)).size;
      this.makeRoom(size);
      // Evicted sessions are released after a grace period: wait for them, so loads in quick succession
      // do not hold more sessions (and their model bytes) at once than the budget allows.
      while (!this.budget.fitsOnceReleased(this.budget.costOf(size)) && this.pendingRelease.size > 0) {
        await Promise.race(this.pendingRelease);
        this.makeRoom(size);
      }
      fileBytes = size;
      this.budget.reserve(size);
      const session = await (options.sessions ?? inThreadSessions).open(files.modelPath, { padding: options.padding, maxSeqLength }, options, options.warn);
      const queue = createModelQueue(session, { queue: options.queue, label: entry.name, onBatch: options.onBatch });
      const { inputNames, outputNames, executionProvider } = session;
      const precision = modelPrecision(files.info);
      const model: LoadedModel = {
        name: entry.name,
        tokenizer: files.tokenizer,
        maxSeqLength,
        queue,
        inputNames,
        outputNames,
        executionProvider,
        precision,
        ...taskOf(files.info, outputNames),
      };
      entry.resident = { model, session, fileBytes: size };
      entry.failure = undefined;
      this.lru.set(entry.name, entry);
      this.latestProvider = executionProvider;
      this.described.set(entry.name, {
        name: entry.name,
        maxSeqLength,
        inputNames,
        outputNames,
        executionProvider,
        precision,
        task: model.task,
        labels: model.labels,
      });
      this.budget.calibrate();
      // A larger measured overhead counts every resident model for more: unload to fit again.
      this.makeRoom(0, entry);
      options.events?.onLoad?.(entry.name, (performance.now() - started) / 1000, this.budget.costOf(size));
      return model;
    } catch (error) {
      if (fileBytes !== undefined) this.budget.release(fileBytes);
      const { waitMs, ...failure } = nextFailure(entry.failure, options.retryBackoffMs ?? 5_000);
      entry.failure = failure;
      if (options.events?.onLoadFailed) options.events.onLoadFailed(entry.name, error);
      else options.warn(`Loading model ${entry.name} failed: ${(error as Error).message}`);
      throw new ModelUnavailableError(entry.name, failure.reason, Math.ceil(waitMs / 1000));
    }
  }

  /**
   * Unloads idle models, least recently used first, until a model file of `fileBytes` more fits (or,
   * with `keep`, until what is resident fits, keeping `keep`); one model alone may exceed the budget.
   */
  private makeRoom(fileBytes: number, keep?: Entry): void {
    const incoming = keep === undefined ? this.budget.costOf(fileBytes) : 0;
    for (const entry of this.lru.values()) {
      if (this.budget.fits(incoming)) return;
      if (entry === keep) continue;
      // A model with requests queued or running stays; the next load tries again.
      if (entry.resident!.model.queue.busy) continue;
      this.evict(entry);
    }
  }

  private evict(entry: Entry): void {
    const resident = entry.resident!;
    entry.resident = undefined;
    this.lru.delete(entry.name);
    this.budget.releasing(resident.fileBytes);
    this.options.events?.onEvict?.(entry.name);
    const release = new Promise<void>((resolve) => {
      const attempt = () => {
        if (resident.model.queue.busy) return void setTimeout(attempt, 10);
        resident.session
          .release()
          .catch((error: unknown) => this.options.warn(`Releasing the session of ${entry.name} failed: ${(error as Error).message}`))
          .finally(() => {
            this.budget.released(resident.fileBytes);
            resolve();
          });
      };
      setTimeout(attempt, this.options.releaseGraceMs ?? 50);
    });
    this.pendingRelease.add(release);
    void release.then(() => this.pendingRelease.delete(release));
  }
}
