import { FLOAT, GraphBuilder, INT64, tensorValueInfo, type GraphProto, type InitializerSpec } from "./graph-builder.js";
import type { BertArchitecture } from "./presets.js";

export const INPUT_NAMES = ["input_ids", "attention_mask", "token_type_ids"] as const;
/** Question answering's outputs: float32 [batch, sequence] each. */
export const OUTPUT_NAMES = ["start_logits", "end_logits"] as const;
/** Sequence classification's output: float32 [batch, num_labels]. */
export const CLASSIFICATION_OUTPUT = "logits";

/** The head on top of the encoder: BertForQuestionAnswering's qa_outputs, or BertForSequenceClassification's pooler + classifier. */
export type BertHead = { readonly task: "question-answering" } | { readonly task: "text-classification"; readonly numLabels: number };
const DYNAMIC_DIMS = ["batch", "sequence"] as const;

/** opset 12: the one whose node patterns ONNX Runtime's BERT fusions match (see buildBertGraph). */
export const OPSET_VERSION = 12;

/** A BERT graph whose weights are still descriptions: see InitializerSpec. */
export interface BertGraph {
  readonly graph: GraphProto;
  readonly initializers: readonly InitializerSpec[];
}

/**
 * Builds BERT for extractive question answering in the node patterns of a PyTorch/Hugging Face export at
 * opset 12, because ONNX Runtime's graph optimizer recognises exactly those and fuses them: embeddings +
 * LayerNorm into EmbedLayerNormalization, Q/K/V MatMul + Add + Reshape + Transpose with the
 * (1 - mask) * -10000 bias into Attention, x * 0.5 * (1 + erf(x / sqrt 2)) into BiasGelu, residual Add +
 * LayerNorm into SkipLayerNormalization (bert-graph.test.ts checks this). LayerNorm is written out as
 * ReduceMean/Sub/Pow/Sqrt/Div, which ORT fuses first. With opset 17's LayerNormalization op, or opset 13's
 * Unsqueeze (axes as an input), ORT 1.30 fuses none of the attention blocks (measured).
 * MatMul weights are stored [in, out], so no Transpose runs at inference time.
 */
export function buildBertGraph(arch: BertArchitecture, head: BertHead = { task: "question-answering" }): BertGraph {
  const g = new GraphBuilder();
  const bert = new BertNodes(g, arch);
  const maskBias = bert.attentionMaskBias();
  let hidden = bert.embeddings();
  for (let layer = 0; layer < arch.layers; layer++) {
    hidden = bert.encoderLayer(`bert.encoder.layer.${layer}`, hidden, maskBias);
  }
  if (head.task === "text-classification") return bert.classificationHead(hidden, head.numLabels);
  const logits = bert.linear(hidden, "qa_outputs", arch.hiddenSize, 2);
  const [start, end] = g.add("Split", [logits], "qa_outputs/Split", { axis: -1 }, 2);
  g.output("Squeeze", [start!], OUTPUT_NAMES[0], { axes: [-1] });
  g.output("Squeeze", [end!], OUTPUT_NAMES[1], { axes: [-1] });

  return {
    graph: {
      name: "bert_question_answering",
      node: g.nodes,
      input: INPUT_NAMES.map((name) => tensorValueInfo(name, INT64, DYNAMIC_DIMS)),
      output: OUTPUT_NAMES.map((name) => tensorValueInfo(name, FLOAT, DYNAMIC_DIMS)),
    },
    initializers: g.initializers,
  };
}

/** The building blocks of BERT, named as in Hugging Face's BertForQuestionAnswering and BertForSequenceClassification. */
class BertNodes {
  private readonly normal;
  private readonly H: number;

  constructor(
    private readonly g: GraphBuilder,
    private readonly arch: BertArchitecture,
  ) {
    this.normal = { kind: "normal", std: arch.initializerRange } as const;
    this.H = arch.hiddenSize;
  }

  /** (word + position) + token type embeddings, then LayerNorm; positions 0..sequence-1 come from the input's shape. */
  embeddings(): string {
    const { g, arch, H } = this;
    const prefix = "bert.embeddings";
    const words = g.op("Gather", [g.weight(`${prefix}.word_embeddings.weight`, [arch.vocabSize, H], this.normal), "input_ids"], `${prefix}/word/Gather`);

    const idsShape = g.op("Shape", ["input_ids"], `${prefix}/position/Shape`);
    const sequenceLength = g.op("Gather", [idsShape, g.constant(INT64, [], [1])], `${prefix}/position/Gather`, { axis: 0 });
    const positions = g.op("Range", [g.constant(INT64, [], [0]), sequenceLength, g.constant(INT64, [], [1])], `${prefix}/position/Range`);
    const positionRow = g.op("Unsqueeze", [positions], `${prefix}/position/Unsqueeze`, { axes: [0] });
    const positionIds = g.op("Expand", [positionRow, idsShape], `${prefix}/position/Expand`);
    const positionTable = g.weight(`${prefix}.position_embeddings.weight`, [arch.maxPositions, H], this.normal);
    const positionVectors = g.op("Gather", [positionTable, positionIds], `${prefix}/position/Gather_embeddings`);

    const typeTable = g.weight(`${prefix}.token_type_embeddings.weight`, [arch.typeVocabSize, H], this.normal);
    const types = g.op("Gather", [typeTable, "token_type_ids"], `${prefix}/token_type/Gather`);
    const summed = g.op("Add", [g.op("Add", [words, positionVectors], `${prefix}/Add`), types], `${prefix}/Add_token_type`);
    return this.layerNorm(summed, `${prefix}.LayerNorm`);
  }

  /** [batch, 1, 1, sequence] float: 0 where attention_mask is 1, -10000 where it is 0 (padding). */
  attentionMaskBias(): string {
    const { g } = this;
    const prefix = "bert.extended_attention_mask";
    const rows = g.op("Unsqueeze", ["attention_mask"], `${prefix}/Unsqueeze`, { axes: [1] });
    const grid = g.op("Unsqueeze", [rows], `${prefix}/Unsqueeze_1`, { axes: [2] });
    const asFloat = g.op("Cast", [grid], `${prefix}/Cast`, { to: FLOAT });
    const inverted = g.op("Sub", [g.constant(FLOAT, [], [1]), asFloat], `${prefix}/Sub`);
    return g.op("Mul", [inverted, g.constant(FLOAT, [], [-10000])], `${prefix}/Mul`);
  }

  /** Self-attention, residual + LayerNorm, GELU feed-forward, residual + LayerNorm. */
  encoderLayer(prefix: string, input: string, maskBias: string): string {
    const { g, arch, H } = this;
    const self = `${prefix}.attention.self`;
    const headSize = H / arch.heads;
    const splitHeads = g.constant(INT64, [4], [0, 0, arch.heads, headSize]);
    const projectHeads = (name: string, perm: readonly number[]): string => {
      const projected = this.linear(input, `${self}.${name}`, H, H);
      const reshaped = g.op("Reshape", [projected, splitHeads], `${self}.${name}/Reshape`);
      return g.op("Transpose", [reshaped], `${self}.${name}/Transpose`, { perm });
    };
    const query = projectHeads("query", [0, 2, 1, 3]);
    const keyTransposed = projectHeads("key", [0, 2, 3, 1]);
    const value = projectHeads("value", [0, 2, 1, 3]);

    const scores = g.op("MatMul", [query, keyTransposed], `${self}/MatMul_scores`);
    const scaled = g.op("Div", [scores, g.constant(FLOAT, [], [Math.fround(Math.sqrt(headSize))])], `${self}/Div`);
    const masked = g.op("Add", [scaled, maskBias], `${self}/Add_mask`);
    const probabilities = g.op("Softmax", [masked], `${self}/Softmax`, { axis: 3 });
    const context = g.op("MatMul", [probabilities, value], `${self}/MatMul_context`);
    const merged = g.op("Transpose", [context], `${self}/Transpose_context`, { perm: [0, 2, 1, 3] });
    const contextFlat = g.op("Reshape", [merged, g.constant(INT64, [3], [0, 0, H])], `${self}/Reshape_context`);

    const attentionOut = this.linear(contextFlat, `${prefix}.attention.output.dense`, H, H);
    const attended = this.layerNorm(g.op("Add", [attentionOut, input], `${prefix}.attention.output/Add_residual`), `${prefix}.attention.output.LayerNorm`);

    const expanded = this.linear(attended, `${prefix}.intermediate.dense`, H, arch.intermediateSize);
    const activated = this.gelu(expanded, `${prefix}.intermediate`);
    const contracted = this.linear(activated, `${prefix}.output.dense`, arch.intermediateSize, H);
    return this.layerNorm(g.op("Add", [contracted, attended], `${prefix}.output/Add_residual`), `${prefix}.output.LayerNorm`);
  }

  /** BertForSequenceClassification's head: tanh(dense(first token)) (the pooler), then Linear(hidden, numLabels) -> logits [batch, numLabels]. */
  classificationHead(hidden: string, numLabels: number): BertGraph {
    const { g, H } = this;
    const first = g.op("Gather", [hidden, g.constant(INT64, [], [0])], "bert.pooler/Gather_first_token", { axis: 1 });
    const pooled = g.op("Tanh", [this.linear(first, "bert.pooler.dense", H, H)], "bert.pooler/Tanh");
    g.output("Identity", [this.linear(pooled, "classifier", H, numLabels)], CLASSIFICATION_OUTPUT);
    return {
      graph: {
        name: "bert_sequence_classification",
        node: g.nodes,
        input: INPUT_NAMES.map((name) => tensorValueInfo(name, INT64, DYNAMIC_DIMS)),
        output: [tensorValueInfo(CLASSIFICATION_OUTPUT, FLOAT, ["batch", numLabels])],
      },
      initializers: g.initializers,
    };
  }

  /** x W + b with W stored [in, out]. */
  linear(input: string, prefix: string, inSize: number, outSize: number): string {
    const { g } = this;
    const product = g.op("MatMul", [input, g.weight(`${prefix}.weight`, [inSize, outSize], this.normal)], `${prefix}/MatMul`);
    return g.op("Add", [product, g.weight(`${prefix}.bias`, [outSize], { kind: "constant", value: 0 })], `${prefix}/Add`);
  }

  /** LayerNorm over the last axis, in the decomposed form ORT fuses into LayerNormalization. */
  private layerNorm(input: string, prefix: string): string {
    const { g, arch, H } = this;
    const gamma = g.weight(`${prefix}.weight`, [H], { kind: "constant", value: 1 });
    const beta = g.weight(`${prefix}.bias`, [H], { kind: "constant", value: 0 });
    const mean = g.op("ReduceMean", [input], `${prefix}/ReduceMean`, { axes: [-1] });
    const centered = g.op("Sub", [input, mean], `${prefix}/Sub`);
    const squared = g.op("Pow", [centered, g.constant(FLOAT, [], [2])], `${prefix}/Pow`);
    const variance = g.op("ReduceMean", [squared], `${prefix}/ReduceMean_variance`, { axes: [-1] });
    const epsilon = g.constant(FLOAT, [], [Math.fround(arch.layerNormEpsilon)]);
    const std = g.op("Sqrt", [g.op("Add", [variance, epsilon], `${prefix}/Add_epsilon`)], `${prefix}/Sqrt`);
    const normalized = g.op("Div", [centered, std], `${prefix}/Div`);
    return g.op("Add", [g.op("Mul", [normalized, gamma], `${prefix}/Mul`), beta], `${prefix}/Add`);
  }

  /** Exact GELU, x * 0.5 * (1 + erf(x / sqrt(2))), in the node order ORT fuses. */
  private gelu(x: string, prefix: string): string {
    const { g } = this;
    const scaled = g.op("Div", [x, g.constant(FLOAT, [], [Math.fround(Math.SQRT2)])], `${prefix}/Gelu/Div`);
    const erf = g.op("Erf", [scaled], `${prefix}/Gelu/Erf`);
    const shifted = g.op("Add", [erf, g.constant(FLOAT, [], [1])], `${prefix}/Gelu/Add`);
    const gated = g.op("Mul", [x, shifted], `${prefix}/Gelu/Mul`);
    return g.op("Mul", [gated, g.constant(FLOAT, [], [0.5])], `${prefix}/Gelu/Mul_half`);
  }
}
