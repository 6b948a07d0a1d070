import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { InferenceSession } from "onnxruntime-node";
import { NativeSession } from "../inference/native-session.js";
import { WordPieceTokenizer } from "../tokenizer/wordpiece-tokenizer.js";

export const MODEL_FILE = "model.onnx";
export const TOKENIZER_FILE = "tokenizer.json";
export const MODEL_INFO_FILE = "model.json";

const REQUIRED_INPUTS = ["input_ids", "attention_mask"];
const QA_OUTPUTS = ["start_logits", "end_logits"];
const CLASSIFICATION_OUTPUTS = ["logits"];
const DEFAULT_MAX_SEQ_LENGTH = 128;

/** A model directory that cannot be served; the message names the file and what to do. */
export class ModelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelLoadError";
  }
}

/** What model.json says (all optional: a directory exported by other tools may not have one). */
export interface ModelInfo {
  readonly name?: string;
  readonly maxSequenceLength?: number;
  readonly [key: string]: unknown;
}

export { modelPrecision } from "./model-precision.js";

/** The files of one model directory, read and checked; sessions are created from `modelPath`. */
export interface ModelFiles {
  readonly dir: string;
  readonly modelPath: string;
  readonly info: ModelInfo;
  readonly tokenizer: WordPieceTokenizer;
}

/** The ONNX Runtime execution providers the server knows; cpu is always the fallback. */
export type ExecutionProvider = "cpu" | "cuda";

export interface SessionSettings {
  readonly threads: number;
  readonly executionProviders: readonly ExecutionProvider[];
}

async function requireFile(path: string, what: string): Promise<void> {
  const facts = await stat(path).catch(() => undefined);
  if (!facts?.isFile()) {
    const fix = `Point --model-dir (MODEL_DIR) at a directory with ${MODEL_FILE} and ${TOKENIZER_FILE} (npx fleet model generate makes one).`;
    throw new ModelLoadError(`The ${what} ${path} is missing. ${fix}`);
  }
  if (facts.size === 0) throw new ModelLoadError(`The ${what} ${path} is empty; copy or generate it again.`);
}

async function readModelInfo(dir: string): Promise<ModelInfo> {
  const path = join(dir, MODEL_INFO_FILE);
  const text = await readFile(path, "utf8").catch(() => undefined);
  if (text === undefined) return {};
  let info: unknown;
  try {
    info = JSON.parse(text);
  } catch (error) {
    throw new ModelLoadError(`The model info file ${path} is not valid JSON (${(error as Error).message}); fix or delete it.`);
  }
  if (typeof info !== "object" || info === null || Array.isArray(info)) throw new ModelLoadError(`The model info file ${path} must hold a JSON object.`);
  const max = (info as ModelInfo).maxSequenceLength;
  if (max !== undefined && !(Number.isInteger(max) && max >= 8 && max <= 4096)) {
    throw new ModelLoadError(`The model info file ${path} has maxSequenceLength ${JSON.stringify(max)}; it must be an integer from 8 to 4096.`);
  }
  return info as ModelInfo;
}

/**
 * Reads and checks model.onnx, tokenizer.json and model.json; throws ModelLoadError naming the bad file.
 * `loadTokenizer` lets a repository share one tokenizer among models with the same tokenizer.json.
 */
export async function readModelFiles(
  dir: string,
  loadTokenizer: (path: string) => Promise<WordPieceTokenizer> = (path) => WordPieceTokenizer.fromFile(path),
): Promise<ModelFiles> {
  const modelPath = join(dir, MODEL_FILE);
  const tokenizerPath = join(dir, TOKENIZER_FILE);
  await requireFile(modelPath, "model file");
  await requireFile(tokenizerPath, "tokenizer file");
  const info = await readModelInfo(dir);
  let tokenizer: WordPieceTokenizer;
  try {
    tokenizer = await loadTokenizer(tokenizerPath);
  } catch (error) {
    throw new ModelLoadError((error as Error).message);
  }
  return { dir, modelPath, info, tokenizer };
}

/** The sequence length to serve: the setting if given, else model.json's, else 128; never more than the model allows. */
export function servedSeqLength(files: ModelFiles, setting: number | undefined): number {
  const fromModel = files.info.maxSequenceLength;
  const chosen = setting ?? fromModel ?? DEFAULT_MAX_SEQ_LENGTH;
  if (fromModel !== undefined && chosen > fromModel) {
    throw new ModelLoadError(
      `MAX_SEQ_LENGTH ${chosen} is more than the model's maxSequenceLength ${fromModel} (${join(files.dir, MODEL_INFO_FILE)}); use at most ${fromModel}.`,
    );
  }
  return chosen;
}

/** Files written by the ORT-format cache; their bytes are handed to ONNX Runtime to use in place. */
export const ORT_FORMAT_EXTENSION = ".ort";

/** Session config for ORT-format bytes: use them as they are (the caller keeps them alive until release). */
const IN_PLACE_BYTES = { session: { use_ort_model_bytes_directly: "1", use_ort_model_bytes_for_initializers: "1" } };

function sessionOptions(settings: SessionSettings, inPlace: boolean): InferenceSession.SessionOptions {
  return {
    ...(inPlace ? { extra: IN_PLACE_BYTES } : {}),
    intraOpNumThreads: settings.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    executionMode: "sequential",
    enableCpuMemArena: true,
    logSeverityLevel: 3,
  };
}

/**
 * Creates an ONNX Runtime session (from a file, or from ORT-format bytes it uses in place, named by
 * `modelPath` in errors) with the preferred execution providers, falling back to cpu (and
 * saying so through `warn`) when an accelerator provider cannot start. The session's
 * `executionProvider` says which one it got. Checks the QA inputs and outputs.
 */
export async function createSession(
  model: string | Uint8Array,
  settings: SessionSettings,
  warn: (message: string) => void,
  modelPath = String(model),
): Promise<NativeSession> {
  const asked = settings.executionProviders;
  const providers: readonly ExecutionProvider[] = asked.includes("cpu") ? asked : [...asked, "cpu"];
  const options = sessionOptions(settings, typeof model !== "string");
  let session: NativeSession;
  try {
    session = NativeSession.create(model, options, providers);
  } catch (error) {
    if (providers.length > 1) {
      warn(`ONNX Runtime could not start the ${providers.join(",")} execution providers (${(error as Error).message}); falling back to cpu.`);
      session = await createSession(model, { ...settings, executionProviders: ["cpu"] }, warn, modelPath);
    } else {
      throw new ModelLoadError(
        `ONNX Runtime could not load the model file ${modelPath}: ${(error as Error).message}. Check that it is a complete ONNX model (copy or generate it ` +
          `again).`,
      );
    }
  }
  const missingInputs = REQUIRED_INPUTS.filter((name) => !session.inputNames.includes(name));
  const answers = QA_OUTPUTS.every((name) => session.outputNames.includes(name));
  const classifies = CLASSIFICATION_OUTPUTS.every((name) => session.outputNames.includes(name));
  if (missingInputs.length > 0 || !(answers || classifies)) {
    await session.release();
    throw new ModelLoadError(
      `The model file ${modelPath} is neither a question-answering nor a text-classification model: it needs inputs ${REQUIRED_INPUTS.join(", ")} and ` +
        `outputs ${QA_OUTPUTS.join(", ")} (question answering) or ${CLASSIFICATION_OUTPUTS.join(", ")} (text classification), ` +
        `but has inputs ${session.inputNames.join(", ")} and outputs ${session.outputNames.join(", ")}.`,
    );
  }
  return session;
}
