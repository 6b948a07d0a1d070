import type { BertArchitecture } from "../presets.js";

/** The tasks a model directory serves (model.json's `task`). */
export type ModelTask = "question-answering" | "text-classification";

/** The transformers classes that import, and the task each serves. DistilBERT and RoBERTa are a later step. */
export const SUPPORTED_ARCHITECTURES: Readonly<Record<string, ModelTask>> = {
  BertForQuestionAnswering: "question-answering",
  BertForSequenceClassification: "text-classification",
};

/** What config.json says about a BERT checkpoint, in the model-zoo's terms. */
export interface CheckpointConfig {
  readonly architectureName: string;
  readonly task: ModelTask;
  readonly architecture: BertArchitecture;
  /** Classification only: label names by class index ("0", "1", ...), as transformers' id2label. */
  readonly id2label?: Readonly<Record<string, string>>;
  /** Classification only: how logits become scores (transformers' problem_type): softmax, sigmoid per label, or the value itself. */
  readonly problemType?: ProblemType;
}

const PROBLEM_TYPES = ["single_label_classification", "multi_label_classification", "regression"] as const;
export type ProblemType = (typeof PROBLEM_TYPES)[number];

/** The hidden activations the graph builder writes: exact (erf) GELU only. */
const SUPPORTED_ACTIVATIONS = ["gelu"];

/** Reads a transformers config.json (already parsed); `origin` names it in errors. */
export function parseCheckpointConfig(json: unknown, origin: string): CheckpointConfig {
  if (typeof json !== "object" || json === null) throw new Error(`${origin} is not a JSON object: it must be a transformers config.json.`);
  const config = json as Record<string, unknown>;
  const architectures = Array.isArray(config["architectures"]) ? (config["architectures"] as unknown[]).map(String) : [];
  const architectureName = architectures.find((name) => Object.hasOwn(SUPPORTED_ARCHITECTURES, name));
  if (!architectureName) {
    throw new Error(
      `${origin} names architectures [${architectures.join(", ") || "none"}] (model_type ${JSON.stringify(config["model_type"])}); ` +
        `only ${Object.keys(SUPPORTED_ARCHITECTURES).join(" and ")} import (DistilBERT and RoBERTa are not supported yet). ` +
        `Pick a BERT checkpoint fine-tuned for question answering or sequence classification.`,
    );
  }
  const int = (key: string, fallback?: number): number => {
    const value = config[key] ?? fallback;
    if (!Number.isInteger(value) || (value as number) <= 0)
      throw new Error(`${origin}: ${key} must be a positive integer, got ${JSON.stringify(config[key])}.`);
    return value as number;
  };
  const activation = config["hidden_act"] ?? "gelu";
  if (typeof activation !== "string" || !SUPPORTED_ACTIVATIONS.includes(activation)) {
    throw new Error(
      `${origin}: hidden_act ${JSON.stringify(activation)} is not supported; only ${SUPPORTED_ACTIVATIONS.join(", ")} (exact erf GELU, BERT's) imports.`,
    );
  }
  const positions = config["position_embedding_type"] ?? "absolute";
  if (positions !== "absolute") throw new Error(`${origin}: position_embedding_type ${JSON.stringify(positions)} is not supported; only "absolute" imports.`);
  const hiddenSize = int("hidden_size");
  const heads = int("num_attention_heads");
  if (hiddenSize % heads !== 0) throw new Error(`${origin}: hidden_size ${hiddenSize} is not a multiple of num_attention_heads ${heads}.`);
  const epsilon = config["layer_norm_eps"] ?? 1e-12;
  if (typeof epsilon !== "number" || !(epsilon > 0)) throw new Error(`${origin}: layer_norm_eps must be a positive number, got ${JSON.stringify(epsilon)}.`);
  const architecture: BertArchitecture = {
    layers: int("num_hidden_layers"),
    hiddenSize,
    heads,
    intermediateSize: int("intermediate_size", 4 * hiddenSize),
    vocabSize: int("vocab_size"),
    maxPositions: int("max_position_embeddings", 512),
    typeVocabSize: int("type_vocab_size", 2),
    layerNormEpsilon: epsilon,
    initializerRange: typeof config["initializer_range"] === "number" ? config["initializer_range"] : 0.02,
  };
  const task = SUPPORTED_ARCHITECTURES[architectureName]!;
  if (task === "question-answering") return { architectureName, task, architecture };
  const problemType = config["problem_type"] ?? "single_label_classification";
  if (!PROBLEM_TYPES.includes(problemType as ProblemType))
    throw new Error(`${origin}: problem_type ${JSON.stringify(problemType)} is not one of ${PROBLEM_TYPES.join(", ")}.`);
  return { architectureName, task, architecture, id2label: labelsOf(config, origin), problemType: problemType as ProblemType };
}

/** id2label as "0".."N-1" -> name; from num_labels (LABEL_i, transformers' default) when config.json has none. */
function labelsOf(config: Record<string, unknown>, origin: string): Record<string, string> {
  const given = config["id2label"];
  if (given && typeof given === "object") {
    const entries = Object.entries(given as Record<string, unknown>);
    const labels: Record<string, string> = {};
    entries.forEach((_, index) => {
      const name = (given as Record<string, unknown>)[String(index)];
      if (typeof name !== "string") throw new Error(`${origin}: id2label must map "0".."${entries.length - 1}" to label names; "${index}" is missing.`);
      labels[String(index)] = name;
    });
    return labels;
  }
  const count = config["num_labels"] ?? 2;
  if (!Number.isInteger(count) || (count as number) < 1) throw new Error(`${origin}: num_labels must be a positive integer, got ${JSON.stringify(count)}.`);
  return Object.fromEntries(Array.from({ length: count as number }, (_, i) => [String(i), `LABEL_${i}`]));
}
