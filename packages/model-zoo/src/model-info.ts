import { CLASSIFICATION_OUTPUT, INPUT_NAMES, OUTPUT_NAMES, type BertHead } from "./bert-graph.js";
import type { ModelTask, ProblemType } from "./checkpoint/hf-config.js";
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

/** What every model.json says, generated or imported. No timestamps: same inputs, same bytes. */
interface ModelInfoCommon {
  readonly name: string;
  readonly task: ModelTask;
  readonly maxSequenceLength: number;
  readonly parameters: number;
  readonly architecture: BertArchitecture;
  /** fp32, or int8 after dynamic quantization (`quantization` then says how); missing in older files means fp32. */
  readonly precision: Precision;
  readonly quantization?: QuantizationInfo;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /** text-classification only: the label of each logit, "0".."N-1" -> name (transformers' id2label). */
  readonly id2label?: Readonly<Record<string, string>>;
  /**
   * text-classification only: single_label_classification (scores are the softmax of the logits),
   * multi_label_classification (a sigmoid per label) or regression (the logit itself).
   */
  readonly problemType?: ProblemType;
  readonly files: { readonly model: string; readonly tokenizer: string };
  readonly createdBy: string;
  readonly version: string;
  readonly notice: string;
}

/** model.json of a model the model-zoo generated with seeded weights. */
export interface ModelInfo extends ModelInfoCommon {
  readonly source: "model-zoo";
  readonly size: PresetName;
  readonly seed: number;
}

/** model.json of a model imported from a checkpoint (`fleet model import --hf`). */
export interface ImportedModelInfo extends ModelInfoCommon {
  /** hf://ORG/NAME */
  readonly source: string;
  /** The revision asked for (a branch, tag or commit) and the commit it resolved to. */
  readonly revision: string;
  readonly commit: string;
  /** The transformers class in config.json (BertForQuestionAnswering, ...). */
  readonly architectureName: string;
  /** How model.onnx was made: built from the safetensors weights, or the repo's own ONNX export. */
  readonly builtFrom: "safetensors" | "onnx/model.onnx";
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

/** model.json's inputs and outputs for a head: int64 [batch, sequence] in; QA logits per token, or one row of class logits. */
export function tensorsOf(head: BertHead): { inputs: TensorInfo[]; outputs: TensorInfo[] } {
  const dims = ["batch", "sequence"];
  const inputs = INPUT_NAMES.map((name) => ({ name, dataType: "int64" as const, shape: dims }));
  if (head.task === "text-classification") {
    return { inputs, outputs: [{ name: CLASSIFICATION_OUTPUT, dataType: "float32", shape: ["batch", String(head.numLabels)] }] };
  }
  return { inputs, outputs: OUTPUT_NAMES.map((name) => ({ name, dataType: "float32" as const, shape: dims })) };
}

/** transformers' default label names, LABEL_0..LABEL_{n-1}. */
function defaultLabels(count: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [String(i), `LABEL_${i}`]));
}

export function buildModelInfo(options: {
  name: string;
  size: PresetName;
  seed: number;
  maxSequenceLength: number;
  parameters: number;
  architecture: BertArchitecture;
  precision?: Precision;
  head?: BertHead;
}): ModelInfo {
  const head = options.head ?? { task: "question-answering" };
  return {
    name: options.name,
    task: head.task,
    maxSequenceLength: options.maxSequenceLength,
    source: "model-zoo",
    size: options.size,
    seed: options.seed,
    parameters: options.parameters,
    architecture: options.architecture,
    precision: options.precision ?? "fp32",
    ...tensorsOf(head),
    ...(head.task === "text-classification" ? { id2label: defaultLabels(head.numLabels), problemType: "single_label_classification" as const } : {}),
    files: { model: MODEL_FILE, tokenizer: TOKENIZER_FILE },
    createdBy: GENERATOR_NAME,
    version: GENERATOR_VERSION,
    notice: `Random weights from a seeded generator (not a trained model). ${VOCABULARY_SOURCE}`,
  };
}
