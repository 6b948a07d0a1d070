import { INPUT_NAMES, OUTPUT_NAMES } from "./bert-graph.js";
import type { BertArchitecture, PresetName } from "./presets.js";
import type { Precision, QuantizeReport } from "./quantize.js";
import { VOCABULARY_SOURCE } from "./tokenizer-json.js";

export const MODEL_FILE = "model.onnx";
export const TOKENIZER_FILE = "tokenizer.json";
export const MODEL_INFO_FILE = "model.json";

export const DEFAULT_MAX_SEQUENCE_LENGTH = 128;
/** Bump when the graph or the weights made from a seed change, so old and new files can be told apart. */
export const GENERATOR_VERSION = "1";
export const GENERATOR_NAME = "@inference-fleet/model-zoo";

/** model.json: what a model directory holds, read by the model server. No timestamps: same inputs, same bytes. */
export interface ModelInfo {
  readonly name: string;
  readonly task: "question-answering";
  readonly maxSequenceLength: number;
  readonly source: "model-zoo";
  readonly size: PresetName;
  readonly seed: number;
  readonly parameters: number;
  readonly architecture: BertArchitecture;
  /** fp32, or int8 after dynamic quantization (`quantization` then says how); missing in older files means fp32. */
  readonly precision: Precision;
  readonly quantization?: QuantizationInfo;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  readonly files: { readonly model: string; readonly tokenizer: string };
  readonly createdBy: string;
  readonly version: string;
  readonly notice: string;
}

/** How an int8 model was made from its fp32 original (recorded in model.json). */
export interface QuantizationInfo {
  readonly method: "dynamic";
  readonly weights: string;
  readonly activations: string;
  readonly format: QuantizeReport["format"];
  /** 7 ("reduce range", for x86 CPUs without VNNI) or 8, and the CPU it was chosen for. */
  readonly weightBits: 7 | 8;
  readonly weightBitsReason: string;
  readonly quantizedNodes: { readonly matMul: number; readonly gemm: number; readonly gather: number };
  readonly floatNodesKept: number;
  /** Size of the fp32 model.onnx it was made from, in bytes. */
  readonly fromBytes: number;
}

export interface TensorInfo {
  readonly name: string;
  readonly dataType: "int64" | "float32";
  readonly shape: readonly string[];
}

export function buildModelInfo(options: {
  name: string;
  size: PresetName;
  seed: number;
  maxSequenceLength: number;
  parameters: number;
  architecture: BertArchitecture;
  precision?: Precision;
}): ModelInfo {
  const dims = ["batch", "sequence"];
  return {
    name: options.name,
    task: "question-answering",
    maxSequenceLength: options.maxSequenceLength,
    source: "model-zoo",
    size: options.size,
    seed: options.seed,
    parameters: options.parameters,
    architecture: options.architecture,
    precision: options.precision ?? "fp32",
    inputs: INPUT_NAMES.map((name) => ({ name, dataType: "int64", shape: dims })),
    outputs: OUTPUT_NAMES.map((name) => ({ name, dataType: "float32", shape: dims })),
    files: { model: MODEL_FILE, tokenizer: TOKENIZER_FILE },
    createdBy: GENERATOR_NAME,
    version: GENERATOR_VERSION,
    notice: `Random weights from a seeded generator (not a trained model). ${VOCABULARY_SOURCE}`,
  };
}
