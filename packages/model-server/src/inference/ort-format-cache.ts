import { createHash } from "node:crypto";
import type { Stats } from "node:fs";
import { mkdir, readdir, readlink, realpath, rename, rm, stat } from "node:fs/promises";
import { setPriority } from "node:os";
import { dirname, join } from "node:path";
import { threadId } from "node:worker_threads";
import { env, InferenceSession } from "onnxruntime-node";
import { MODEL_FILE, ModelLoadError, ORT_FORMAT_EXTENSION, type SessionSettings } from "../model/load-model.js";
import type { ModelSession, RunnerShape, SessionFactory } from "./model-session.js";
import { WorkerSessions } from "./worker-sessions.js";

/** A model dir may carry its model in ONNX Runtime's format too (`fleet model convert`): loads use it in place. */
export const ORT_MODEL_FILE = `model${ORT_FORMAT_EXTENSION}`;

/** The model.ort beside a model dir's model.onnx, when it is at least as new (else it may be stale). */
async function currentOrtBeside(modelDir: string, onnx: Stats): Promise<string | undefined> {
  const ortPath = join(modelDir, ORT_MODEL_FILE);
  const ort = await stat(ortPath).catch(() => undefined);
  return ort?.isFile() && ort.mtimeMs >= onnx.mtimeMs ? ortPath : undefined;
}

/**
 * Writes `onnxPath` optimized, in ORT format, to `ortPath` (through a temporary file, so a reader
 * never sees half of one). "extended" optimizations (BERT's attention, GELU and layer-norm fusions):
 * the file is portable across CPUs, and runs as fast as "all" here (547 vs 552 us per tiny-model run).
 * `lowPriority` (the server's converting worker) nices the calling thread first, so conversions give
 * way to requests being served.
 */
export async function convertToOrtFormat(onnxPath: string, ortPath: string, settings: SessionSettings, options: { lowPriority?: boolean } = {}): Promise<void> {
  if (options.lowPriority) await lowerThisThreadsPriority();
  const temporary = `${ortPath}.${process.pid}-${threadId}.tmp${ORT_FORMAT_EXTENSION}`;
  try {
    const session = await InferenceSession.create(onnxPath, {
      intraOpNumThreads: settings.threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: "extended",
      executionMode: "sequential",
      optimizedModelFilePath: temporary,
      logSeverityLevel: 3,
    });
    await session.release();
    await rename(temporary, ortPath);
  } finally {
    await rm(temporary, { force: true });
  }
}

let lowered = false;
/** Linux: nice this thread (not the process) to 10; elsewhere, or when not allowed, leave it. */
async function lowerThisThreadsPriority(): Promise<void> {
  if (lowered) return;
  lowered = true;
  const tid = Number((await readlink("/proc/thread-self").catch(() => "")).split("/").pop());
  if (Number.isInteger(tid) && tid > 0) {
    try {
      setPriority(tid, 10);
    } catch {
      // Not permitted: conversions then simply compete as equals.
    }
  }
}

/** What makes a cached conversion stale: the file, its size and time, and ONNX Runtime's version. */
async function cacheKey(onnxPath: string, facts: Stats): Promise<string> {
  const identity = [await realpath(onnxPath), facts.size, facts.mtimeMs, env.versions.node ?? env.versions.common].join("\0");
  return createHash("sha256").update(identity).digest("hex").slice(0, 32);
}

/** ORT-format files are made for the CPU execution provider only; GPU sessions load model.onnx. */
export function ortFormatApplies(settings: SessionSettings): boolean {
  return settings.executionProviders.every((provider) => provider === "cpu");
}

/**
 * Repository mode's loads: a model dir's model.ort is used when present; otherwise model.onnx is
 * converted once, in a low-priority worker, into an ORT-format file under `dir`. Sessions are then
 * opened from that file's bytes in place,
 * which takes a few milliseconds (a full ONNX load reads, copies and optimizes the graph, blocking its
 * thread for 10-150 ms per tiny model here). A model that cannot be converted opens as it is, so its
 * error names the original file.
 */
export function withOrtFormatCache(
  inner: SessionFactory,
  dir: string,
  onWorkerExit?: (error: Error) => void,
): SessionFactory & { readonly conversions: number } {
  let converter: WorkerSessions | undefined;
  const converting = new Map<string, Promise<string>>();
  let conversions = 0;

  async function ortFormatPath(onnxPath: string, settings: SessionSettings): Promise<string> {
    const onnxFacts = await stat(onnxPath);
    const beside = await currentOrtBeside(dirname(onnxPath), onnxFacts);
    if (beside !== undefined) return beside;
    const ortPath = join(dir, `${await cacheKey(onnxPath, onnxFacts)}${ORT_FORMAT_EXTENSION}`);
    if (
      await stat(ortPath).then(
        (facts) => facts.isFile(),
        () => false,
      )
    )
      return ortPath;
    let pending = converting.get(ortPath);
    if (pending === undefined) {
      converter ??= new WorkerSessions(1, onWorkerExit);
      pending = mkdir(dir, { recursive: true })
        .then(() => converter!.convert(onnxPath, ortPath, settings))
        .then(() => {
          conversions++;
          return ortPath;
        })
        .finally(() => converting.delete(ortPath));
      converting.set(ortPath, pending);
    }
    return pending;
  }

  return {
    get conversions() {
      return conversions;
    },
    async open(modelPath: string, shape: RunnerShape, settings: SessionSettings, warn: (message: string) => void): Promise<ModelSession> {
      const ortPath = ortFormatApplies(settings) ? await ortFormatPath(modelPath, settings).catch(() => undefined) : undefined;
      return inner.open(ortPath ?? modelPath, shape, settings, warn);
    },
    async close() {
      await Promise.allSettled(converting.values());
      await Promise.all([inner.close(), converter?.close()]);
    },
  };
}

/** `dir` itself when it is a model dir, else its subdirectories that are, sorted. */
async function modelDirsIn(dir: string): Promise<string[]> {
  const isModelDir = (path: string) =>
    stat(join(path, MODEL_FILE)).then(
      (facts) => facts.isFile(),
      () => false,
    );
  if (await isModelDir(dir)) return [dir];
  const subdirs = (await readdir(dir, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => join(dir, entry.name));
  const found = await Promise.all(subdirs.map(async (path) => ((await isModelDir(path)) ? path : undefined)));
  return found.filter((path): path is string => path !== undefined).sort();
}

/**
 * `fleet model convert`: writes model.ort beside model.onnx in `dir` (a model dir) or in each model
 * dir under it (a repository), skipping those already up to date. Returns what it converted.
 */
export async function convertModelDirs(
  dir: string,
  options: { settings?: SessionSettings; onConverted?: (modelDir: string, done: number, total: number) => void } = {},
): Promise<{ converted: string[]; upToDate: string[] }> {
  // One thread and the CPU provider: ORT-format files are for CPU sessions (see ortFormatApplies).
  const { settings = { threads: 1, executionProviders: ["cpu"] }, onConverted } = options;
  const modelDirs = await modelDirsIn(dir);
  if (modelDirs.length === 0)
    throw new ModelLoadError(`${dir} has no ${MODEL_FILE}, and no subdirectory with one: point --dir at a model dir or a model repository.`);
  const converted: string[] = [];
  const upToDate: string[] = [];
  for (const [index, modelDir] of modelDirs.entries()) {
    if ((await currentOrtBeside(modelDir, await stat(join(modelDir, MODEL_FILE)))) !== undefined) upToDate.push(modelDir);
    else {
      await convertToOrtFormat(join(modelDir, MODEL_FILE), join(modelDir, ORT_MODEL_FILE), settings);
      converted.push(modelDir);
    }
    onConverted?.(modelDir, index + 1, modelDirs.length);
  }
  return { converted, upToDate };
}
