import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildBertGraph, OPSET_VERSION, type BertHead } from "./bert-graph.js";
import { elementCount, type GraphProto, type InitializerSpec } from "./graph-builder.js";
import {
  buildModelInfo,
  DEFAULT_MAX_SEQUENCE_LENGTH,
  GENERATOR_NAME,
  GENERATOR_VERSION,
  MODEL_FILE,
  MODEL_INFO_FILE,
  TOKENIZER_FILE,
  type ModelInfo,
} from "./model-info.js";
import { encodeOnnxModel, writeOnnxModel, type ModelHeader } from "./onnx-writer.js";
import { presetByName, type PresetName } from "./presets.js";
import { SeededRandom } from "./prng.js";
import { quantizedModelInfo } from "./quantize-dir.js";
import type { Int8Cpu } from "./int8-target.js";
import { quantizeModelBytes, type Precision, type QuantizeReport } from "./quantize.js";
import { buildTokenizerJson } from "./tokenizer-json.js";
import { assertWritableModelDir, markOwned } from "./owned-dir.js";

export interface GenerateModelOptions {
  readonly size: PresetName;
  readonly seed: number;
  /** The model directory to write (created if missing). */
  readonly outDir: string;
  /** Defaults to `bert-qa-<size>-seed<seed>`. */
  readonly name?: string;
  readonly maxSequenceLength?: number;
  /** tokenizer.json bytes to reuse across many models (it is the same for every model). */
  readonly tokenizerJson?: string;
  /** fp32 (default), or int8: the fp32 model quantized with quantizeModel (model.json says which). */
  readonly precision?: Precision;
  /** For int8: the CPU that will run it (7- or 8-bit weights, see reduceRangeFor). Default: this machine's. */
  readonly int8Target?: Int8Cpu;
  /** question-answering (default), or text-classification with numLabels (default 2) labelled LABEL_i. */
  readonly task?: BertHead["task"];
  readonly numLabels?: number;
}

export interface GeneratedModel {
  readonly dir: string;
  readonly name: string;
  /** Full paths of model.onnx, tokenizer.json and model.json. */
  readonly files: readonly string[];
  readonly parameters: number;
  /** Size of model.onnx in bytes. */
  readonly bytes: number;
  readonly precision: Precision;
  /** For int8: what was quantized, and the size of the fp32 model it was made from. */
  readonly quantization?: { readonly report: QuantizeReport; readonly fromBytes: number };
}

/**
 * Writes one model directory: model.onnx (seeded random weights), tokenizer.json and model.json. With
 * precision int8 the fp32 model is made in memory and quantized (quantizeModelBytes) before anything is
 * written; fp32 is streamed to disk a slice at a time.
 */
export async function generateModel(options: GenerateModelOptions): Promise<GeneratedModel> {
  const precision = options.precision ?? "fp32";
  if (precision !== "fp32" && precision !== "int8") throw new Error(`The precision must be fp32 or int8, got ${JSON.stringify(options.precision)}.`);
  const model = planModel(options);
  assertWritableModelDir(options.outDir, "a generated model");
  await mkdir(options.outDir, { recursive: true });
  markOwned(options.outDir, "fleet model generate"); // First, so a folder left half-written by an interrupted run is still ours.
  const files = [MODEL_FILE, TOKENIZER_FILE, MODEL_INFO_FILE].map((file) => join(options.outDir, file));
  const written = precision === "int8" ? await writeInt8Model(files[0]!, model, options) : await writeFloatModel(files[0]!, model);
  await writeFile(files[1]!, options.tokenizerJson ?? buildTokenizerJson());
  await writeFile(files[2]!, `${JSON.stringify(written.info, null, 2)}\n`);
  return { dir: options.outDir, files, parameters: model.parameters, precision, ...written };
}

/** One fp32 model before it is written: its graph, weights to draw, and model.json. */
interface ModelPlan {
  readonly header: ModelHeader;
  readonly graph: GraphProto;
  readonly initializers: readonly InitializerSpec[];
  readonly random: SeededRandom;
  readonly parameters: number;
  readonly info: ModelInfo;
}

interface WrittenModel {
  readonly name: string;
  readonly bytes: number;
  readonly info: object;
  readonly quantization?: GeneratedModel["quantization"];
}

function planModel(options: GenerateModelOptions): ModelPlan {
  const architecture = presetByName(options.size);
  const maxSequenceLength = options.maxSequenceLength ?? DEFAULT_MAX_SEQUENCE_LENGTH;
  if (!Number.isInteger(maxSequenceLength) || maxSequenceLength < 2 || maxSequenceLength > architecture.maxPositions) {
    throw new Error(`The max sequence length must be an integer from 2 to ${architecture.maxPositions}, got ${String(maxSequenceLength)}.`);
  }
  const random = new SeededRandom(options.seed);
  const head = headOf(options);
  const name = options.name ?? `bert-${head.task === "question-answering" ? "qa" : "classifier"}-${options.size}-seed${options.seed}`;
  const { graph, initializers } = buildBertGraph(architecture, head);
  const parameters = initializers.filter((spec) => spec.trainable).reduce((total, spec) => total + elementCount(spec.dims), 0);
  const header = {
    opsetVersion: OPSET_VERSION,
    producerName: GENERATOR_NAME,
    producerVersion: GENERATOR_VERSION,
    docString: `BERT ${head.task} (${options.size}) with random weights from seed ${options.seed}; not a trained model.`,
    metadata: { size: options.size, seed: String(options.seed) },
  };
  const info = buildModelInfo({ name, size: options.size, seed: options.seed, maxSequenceLength, parameters, architecture, head });
  return { header, graph, initializers, random, parameters, info };
}

function headOf(options: GenerateModelOptions): BertHead {
  const task = options.task ?? "question-answering";
  if (task === "question-answering") {
    if (options.numLabels !== undefined) throw new Error("numLabels is for the text-classification task only.");
    return { task };
  }
  if (task !== "text-classification") throw new Error(`The task must be question-answering or text-classification, got ${JSON.stringify(task)}.`);
  const numLabels = options.numLabels ?? 2;
  if (!Number.isInteger(numLabels) || numLabels < 1 || numLabels > 1000)
    throw new Error(`The number of labels must be an integer from 1 to 1000, got ${numLabels}.`);
  return { task, numLabels };
}

async function writeFloatModel(path: string, model: ModelPlan): Promise<WrittenModel> {
  const { bytes } = await writeOnnxModel(path, model.header, model.graph, model.initializers, model.random);
  return { name: model.info.name, bytes, info: model.info };
}

/** Named `<fp32 name>-int8` unless the caller named it. */
async function writeInt8Model(path: string, model: ModelPlan, options: GenerateModelOptions): Promise<WrittenModel> {
  const fp32 = await encodeOnnxModel(model.header, model.graph, model.initializers, model.random);
  const { bytes, report } = quantizeModelBytes(fp32, options.int8Target === undefined ? {} : { target: options.int8Target });
  await writeFile(path, bytes);
  const int8Name = options.name ?? `${model.info.name}-int8`;
  return {
    name: int8Name,
    bytes: bytes.length,
    info: quantizedModelInfo(model.info, int8Name, report, fp32.length),
    quantization: { report, fromBytes: fp32.length },
  };
}

export interface GenerateManyOptions {
  readonly count: number;
  readonly size: PresetName;
  /** Model i gets seed seedBase + i, so every model has its own weights. */
  readonly seedBase: number;
  /** The model repository: one subdirectory per model name. */
  readonly outDir: string;
  /** Model i is named `<namePrefix><i>` (default "model", giving model0, model1, ...). */
  readonly namePrefix?: string;
  readonly maxSequenceLength?: number;
  readonly precision?: Precision;
  readonly int8Target?: Int8Cpu;
  readonly onProgress?: (done: number, total: number, model: GeneratedModel) => void;
}

/** Writes `count` distinct models into a model repository, one after another (each is CPU-bound). */
export async function generateManyModels(options: GenerateManyOptions): Promise<GeneratedModel[]> {
  if (!Number.isInteger(options.count) || options.count < 1) {
    throw new Error(`The model count must be a positive integer, got ${String(options.count)}.`);
  }
  const tokenizerJson = buildTokenizerJson();
  const prefix = options.namePrefix ?? "model";
  const models: GeneratedModel[] = [];
  for (let i = 0; i < options.count; i++) {
    const name = `${prefix}${i}`;
    const model = await generateModel({
      size: options.size,
      seed: options.seedBase + i,
      outDir: join(options.outDir, name),
      name,
      maxSequenceLength: options.maxSequenceLength,
      tokenizerJson,
      precision: options.precision,
      int8Target: options.int8Target,
    });
    models.push(model);
    options.onProgress?.(i + 1, options.count, model);
  }
  return models;
}
