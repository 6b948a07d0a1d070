import type { BatchQueue, BatchQueueOptions } from "../inference/batch-queue.js";
import { inThreadSessions, type ModelSession, type SessionFactory } from "../inference/model-session.js";
import type { InferenceRow, Padding, RowLogits } from "../inference/session-runner.js";
import type { WordPieceTokenizer } from "../tokenizer/wordpiece-tokenizer.js";
import { modelPrecision, readModelFiles, servedSeqLength, type ExecutionProvider, type SessionSettings } from "./load-model.js";
import { createModelQueue } from "./model-queue.js";
import { taskOf, type ModelTask } from "./model-task.js";

/** A model ready to answer: its tokenizer and the queue in front of its session (shared by copies that share the session). */
export interface LoadedModel {
  readonly name: string;
  readonly tokenizer: WordPieceTokenizer;
  readonly maxSeqLength: number;
  readonly queue: BatchQueue<InferenceRow, RowLogits>;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** The execution provider its session really got. */
  readonly executionProvider: ExecutionProvider;
  /** model.json's precision (fp32 or int8). */
  readonly precision?: string;
  /** Question answering, or text classification with `labels` (id2label in logit order). */
  readonly task: ModelTask;
  readonly labels: readonly string[];
}

/** What the v2 metadata route tells about a model, known without loading it. */
export interface ModelDescription {
  readonly name: string;
  readonly maxSeqLength: number;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Undefined only for a repository model before this server created any session. */
  readonly executionProvider?: ExecutionProvider;
  /** model.json's precision; undefined for a repository model not loaded yet. */
  readonly precision?: string;
  /** What the model does (undefined for a repository model not loaded yet: question answering is assumed). */
  readonly task?: ModelTask;
  readonly labels?: readonly string[];
}

/** Sessions on one execution provider, under a metrics label ("shared", a model name, or "repository"). */
export interface SessionProvider {
  readonly session: string;
  readonly executionProvider: ExecutionProvider;
  readonly sessions: number;
}

/** Triton's repository index states: READY (resident), LOADING, UNAVAILABLE (not loaded, or failed: see reason). */
type ModelState = "READY" | "LOADING" | "UNAVAILABLE";

export interface ModelStatus {
  readonly name: string;
  readonly state: ModelState;
  /** Empty when READY; why not otherwise (not loaded yet, or the load error). */
  readonly reason: string;
}

/**
 * Where routes find models. Kept small so a lazily loading repository (many unique models, least
 * recently used unloaded) can replace the static one without touching the routes.
 */
export interface ModelRegistry {
  /** Names that can be asked for (for 404 messages and listings). */
  names(): readonly string[];
  /** The model, loading it first if the registry loads lazily; undefined for an unknown name. */
  get(name: string): Promise<LoadedModel | undefined>;
  /** The model's state without loading it; undefined for an unknown name. */
  status(name: string): ModelStatus | undefined;
  /** Every model and its state (Triton's POST /v2/repository/index). */
  index(): ModelStatus[];
  /** Metadata without loading the model; undefined for an unknown name. */
  describe(name: string): ModelDescription | undefined;
  /** Whether the model answers without loading first (false also for unknown names); lazy registries only, for cold/warm latency. */
  isResident?(name: string): boolean;
  /** True once every model that must be resident is loaded. */
  ready(): boolean;
  /** Releases every session. */
  close(): Promise<void>;
}

/** Every model resident from start-up to shutdown. */
export class StaticModelRegistry implements ModelRegistry {
  private readonly byName: Map<string, LoadedModel>;
  private readonly nameList: string[];

  constructor(
    models: readonly LoadedModel[],
    private readonly sessions: readonly ModelSession[],
  ) {
    this.byName = new Map(models.map((model) => [model.name, model]));
    this.nameList = models.map((model) => model.name);
  }

  names(): readonly string[] {
    return this.nameList;
  }

  get(name: string): Promise<LoadedModel | undefined> {
    return Promise.resolve(this.byName.get(name));
  }

  status(name: string): ModelStatus | undefined {
    return this.byName.has(name) ? { name, state: "READY", reason: "" } : undefined;
  }

  index(): ModelStatus[] {
    return this.nameList.map((name) => ({ name, state: "READY", reason: "" }));
  }

  describe(name: string): ModelDescription | undefined {
    return this.byName.get(name);
  }

  ready(): boolean {
    return true;
  }

  /** Requests waiting per session ("shared" when copies share one), for the queue-depth gauge. */
  queueDepths(): Array<[string, number]> {
    return this.perSession().map(([label, model]) => [label, model.queue.depth]);
  }

  /** Each session's execution provider, labelled as queueDepths labels it. */
  sessionProviders(): SessionProvider[] {
    return this.perSession().map(([session, model]) => ({ session, executionProvider: model.executionProvider, sessions: 1 }));
  }

  /** One model per session, with the session's metrics label. */
  private perSession(): Array<[string, LoadedModel]> {
    const seen = new Set<unknown>();
    const labelled: Array<[string, LoadedModel]> = [];
    for (const model of this.byName.values()) {
      if (seen.has(model.queue)) continue;
      seen.add(model.queue);
      labelled.push([seen.size === 1 && this.sessions.length === 1 ? "shared" : model.name, model]);
    }
    return labelled;
  }

  async close(): Promise<void> {
    await Promise.all(this.sessions.map((session) => session.release()));
  }
}

export interface LoadCopiesOptions extends SessionSettings {
  readonly dir: string;
  /** Copies named model0..model{N-1}, as in the AWS sample. */
  readonly numModels: number;
  /** One session per copy instead of one shared by all copies. */
  readonly separateSessions: boolean;
  readonly padding: Padding;
  readonly maxSeqLength?: number;
  readonly queue: Omit<BatchQueueOptions, "onBatch">;
  readonly onBatch?: (model: string, size: number, seconds: number) => void;
  readonly onLoaded?: (model: string, seconds: number) => void;
  readonly warn: (message: string) => void;
  /** Where sessions live (inference worker threads, or this thread by default). */
  readonly sessions?: SessionFactory;
}

/**
 * Loads one model directory as numModels copies. Shared (the default): one session, one set of
 * weights and one batch queue for all copies, so requests to any copy batch together. Separate: a
 * session and queue per copy.
 */
export async function loadModelCopies(options: LoadCopiesOptions): Promise<StaticModelRegistry> {
  const files = await readModelFiles(options.dir);
  const maxSeqLength = servedSeqLength(files, options.maxSeqLength);
  const sessions: ModelSession[] = [];
  const factory = options.sessions ?? inThreadSessions;
  const models: LoadedModel[] = [];
  let shared: { session: ModelSession; queue: BatchQueue<InferenceRow, RowLogits> } | undefined;
  try {
    for (let index = 0; index < options.numModels; index++) {
      const name = `model${index}`;
      const started = performance.now();
      if (!shared || options.separateSessions) {
        const session = await factory.open(files.modelPath, { padding: options.padding, maxSeqLength }, options, options.warn);
        sessions.push(session);
        const label = options.separateSessions ? name : "shared";
        const queue = createModelQueue(session, { queue: options.queue, label, onBatch: options.onBatch });
        shared = { session, queue };
      }
      const { inputNames, outputNames, executionProvider } = shared.session;
      models.push({
        name,
        tokenizer: files.tokenizer,
        maxSeqLength,
        queue: shared.queue,
        inputNames,
        outputNames,
        executionProvider,
        precision: modelPrecision(files.info),
        ...taskOf(files.info, outputNames),
      });
      options.onLoaded?.(name, (performance.now() - started) / 1000);
    }
  } catch (error) {
    await Promise.all(sessions.map((session) => session.release()));
    throw error;
  }
  return new StaticModelRegistry(models, sessions);
}
