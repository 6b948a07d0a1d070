import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { buildBertGraph, type BertHead } from "../bert-graph.js";
import { encodeSafetensors, type SafetensorsDtype, type TensorToWrite } from "../checkpoint/safetensors.js";
import type { BertArchitecture } from "../presets.js";
import { SeededRandom } from "../prng.js";
import { buildTokenizerJson, CASED, loadBertVocabulary, SPECIAL_TOKENS, UNCASED, type BertNormalizerOptions } from "../tokenizer-json.js";

/** A checkpoint as the hub holds it: file path in the repo -> bytes. */
export type CheckpointFiles = Record<string, Buffer>;

export interface BertCheckpointOptions {
  readonly head: BertHead;
  readonly vocabulary: readonly string[];
  readonly normalizer: BertNormalizerOptions;
  readonly seed?: number;
  /** Weight dtype in the safetensors (F32 default); F16 and BF16 values are what the import must read back. */
  readonly dtype?: SafetensorsDtype;
  /** Split the weights over this many shards with model.safetensors.index.json (transformers' layout), instead of model.safetensors. */
  readonly shards?: number;
  readonly layers?: number;
  readonly hiddenSize?: number;
  readonly heads?: number;
  readonly maxPositions?: number;
  /** Classification label names (id2label); LABEL_i when absent. */
  readonly labels?: readonly string[];
}

const ARCHITECTURE_NAMES = { "question-answering": "BertForQuestionAnswering", "text-classification": "BertForSequenceClassification" } as const;

/**
 * A transformers BERT checkpoint in the hub's layout and names (config.json, model.safetensors with
 * bert.embeddings..., qa_outputs.* or bert.pooler.* + classifier.*, linear weights [out, in], tokenizer.json,
 * tokenizer_config.json), with seeded weights large enough (std 0.1, LayerNorm gamma around 1, non-zero biases)
 * that a wrong mapping or transpose shows in the logits.
 */
export function buildBertCheckpoint(options: BertCheckpointOptions): CheckpointFiles {
  const hiddenSize = options.hiddenSize ?? 32;
  const architecture: BertArchitecture = {
    layers: options.layers ?? 2,
    hiddenSize,
    heads: options.heads ?? 2,
    intermediateSize: 4 * hiddenSize,
    vocabSize: options.vocabulary.length,
    maxPositions: options.maxPositions ?? 512,
    typeVocabSize: 2,
    layerNormEpsilon: 1e-12,
    initializerRange: 0.02,
  };
  const tensors = seededWeights(architecture, options.head, options.seed ?? 5);
  const tokenizerConfig = {
    do_lower_case: options.normalizer.lowercase,
    strip_accents: options.normalizer.stripAccents,
    model_max_length: 512,
    tokenizer_class: "BertTokenizer",
  };
  return {
    "config.json": Buffer.from(`${JSON.stringify(configJson(architecture, options), null, 2)}\n`),
    ...weightFiles(tensors, options.dtype ?? "F32", options.shards ?? 1),
    "tokenizer.json": Buffer.from(buildTokenizerJson(options.vocabulary, options.normalizer)),
    "tokenizer_config.json": Buffer.from(`${JSON.stringify(tokenizerConfig, null, 2)}\n`),
  };
}

/** The head's trainable weights under transformers' names, linear ones stored [out, in], LayerNorm gamma around 1. */
function seededWeights(architecture: BertArchitecture, head: BertHead, seed: number): Map<string, TensorToWrite> {
  const random = new SeededRandom(seed);
  const tensors = new Map<string, TensorToWrite>();
  for (const spec of buildBertGraph(architecture, head).initializers.filter((s) => s.trainable)) {
    const linear = spec.name.endsWith(".weight") && !spec.name.includes("embeddings") && !spec.name.includes("LayerNorm");
    const shape = linear ? [spec.dims[1]!, spec.dims[0]!] : [...spec.dims];
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    random.fillNormal(values, 0.1);
    if (spec.name.endsWith("LayerNorm.weight")) for (let i = 0; i < values.length; i++) values[i] = 1 + values[i]!;
    tensors.set(spec.name, { shape, values });
  }
  return tensors;
}

/** config.json as transformers writes it, with id2label/label2id for a classifier. */
function configJson(architecture: BertArchitecture, options: BertCheckpointOptions): Record<string, unknown> {
  const config: Record<string, unknown> = {
    architectures: [ARCHITECTURE_NAMES[options.head.task]],
    model_type: "bert",
    attention_probs_dropout_prob: 0.1,
    hidden_act: "gelu",
    hidden_dropout_prob: 0.1,
    hidden_size: architecture.hiddenSize,
    initializer_range: 0.02,
    intermediate_size: architecture.intermediateSize,
    layer_norm_eps: architecture.layerNormEpsilon,
    max_position_embeddings: architecture.maxPositions,
    num_attention_heads: architecture.heads,
    num_hidden_layers: architecture.layers,
    pad_token_id: 0,
    position_embedding_type: "absolute",
    torch_dtype: { F32: "float32", F16: "float16", BF16: "bfloat16" }[options.dtype ?? "F32"],
    transformers_version: "4.46.3",
    type_vocab_size: architecture.typeVocabSize,
    vocab_size: architecture.vocabSize,
  };
  if (options.head.task === "text-classification") {
    const labels = options.labels ?? Array.from({ length: options.head.numLabels }, (_, i) => `LABEL_${i}`);
    config["id2label"] = Object.fromEntries(labels.map((label, i) => [String(i), label]));
    config["label2id"] = Object.fromEntries(labels.map((label, i) => [label, i]));
  }
  return config;
}

function weightFiles(tensors: ReadonlyMap<string, TensorToWrite>, dtype: SafetensorsDtype, shards: number): CheckpointFiles {
  if (shards <= 1) return { "model.safetensors": encodeSafetensors(tensors, dtype) };
  const names = [...tensors.keys()];
  const files: CheckpointFiles = {};
  const weightMap: Record<string, string> = {};
  for (let shard = 0; shard < shards; shard++) {
    const file = `model-${String(shard + 1).padStart(5, "0")}-of-${String(shards).padStart(5, "0")}.safetensors`;
    const part = new Map(names.filter((_, i) => i % shards === shard).map((name) => [name, tensors.get(name)!]));
    for (const name of part.keys()) weightMap[name] = file;
    files[file] = encodeSafetensors(part, dtype);
  }
  const totalSize = [...tensors.values()].reduce((sum, t) => sum + t.values.length * (dtype === "F32" ? 4 : 2), 0);
  files["model.safetensors.index.json"] = Buffer.from(`${JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2)}\n`);
  return files;
}

/**
 * A small cased multilingual vocabulary in BERT's layout ([PAD] 0, [unusedN], [UNK] 100, [CLS] 101, [SEP] 102,
 * [MASK] 103): mixed-case English, accented Latin, CJK characters, Greek and Cyrillic words and word pieces, and
 * every ASCII letter alone and as a ## continuation so that no word falls to [UNK] by accident.
 */
function tinyCasedMultilingualVocabulary(): string[] {
  const words = [
    ...". , ? ! ' \" - ( ) : ;".split(" "),
    ..."The the Paris paris is in France Who What Where where capital of city river lives born".split(" "),
    ..."iPhone McDonald eBay NASA Apple apple".split(" "),
    ..."café Café naïve résumé Zürich São Paulo München Ångström élève".split(" "),
    ..."é è ê ü ö ä ñ ç ##é ##è ##ü ##ö ##ñ".split(" "),
    ..."北 京 東 中 国 日 本 是 首 都 的 大 学".split(" "),
    ..."Αθήνα η πόλη Ελλάδα πρωτεύουσα ##ήνα Α θ".split(" "),
    ..."Москва столица России город ##ква М о".split(" "),
    ..."0 1 2 3 4 5 6 7 8 9 1889 2024".split(" "),
    ..."##s ##ing ##ed ##er ##ly".split(" "),
  ];
  const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".split("");
  const pieces = [...words, ...letters, ...letters.map((l) => `##${l}`)];
  const vocabulary = ["[PAD]", ...Array.from({ length: 99 }, (_, i) => `[unused${i + 1}]`), "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
  for (const piece of pieces) if (!vocabulary.includes(piece)) vocabulary.push(piece);
  if (vocabulary[SPECIAL_TOKENS["[CLS]"]] !== "[CLS]") throw new Error("Internal error: the tiny vocabulary's special tokens moved.");
  return vocabulary;
}

/** The hub id the done-when uses for the tiny cased multilingual BERT-QA checkpoint. */
export const TINY_CASED_QA_REPO = "test-org/tiny-bert-multilingual-cased-qa";
export const TINY_UNCASED_CLASSIFIER_REPO = "test-org/tiny-bert-uncased-sst2";

/** A tiny cased multilingual BertForQuestionAnswering checkpoint (cased BertNormalizer: lowercase false, strip_accents false, CJK split). */
export function tinyCasedMultilingualQaCheckpoint(options: Partial<BertCheckpointOptions> = {}): CheckpointFiles {
  return buildBertCheckpoint({ head: { task: "question-answering" }, vocabulary: tinyCasedMultilingualVocabulary(), normalizer: CASED, ...options });
}

/** A tiny BertForSequenceClassification checkpoint over the real bert-base-uncased vocabulary (so today's servers tokenize it), labels NEGATIVE/POSITIVE. */
export function tinyUncasedClassifierCheckpoint(options: Partial<BertCheckpointOptions> = {}): CheckpointFiles {
  return buildBertCheckpoint({
    head: { task: "text-classification", numLabels: 2 },
    labels: ["NEGATIVE", "POSITIVE"],
    vocabulary: loadBertVocabulary(),
    normalizer: UNCASED,
    seed: 9,
    ...options,
  });
}

/** A tiny BertForQuestionAnswering checkpoint over the real bert-base-uncased vocabulary: today's servers tokenize its text. */
export function tinyUncasedQaCheckpoint(options: Partial<BertCheckpointOptions> = {}): CheckpointFiles {
  return buildBertCheckpoint({ head: { task: "question-answering" }, vocabulary: loadBertVocabulary(), normalizer: UNCASED, seed: 11, ...options });
}

/** Writes checkpoint files into `dir` in their repo layout. */
export async function writeCheckpointFiles(dir: string, files: CheckpointFiles): Promise<void> {
  for (const [path, bytes] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), bytes);
  }
}
