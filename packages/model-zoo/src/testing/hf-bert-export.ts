import type { onnx as OnnxTypes } from "onnx-proto";
import { FLOAT, INT64, onnx, tensorValueInfo } from "../graph-builder.js";
import { SeededRandom } from "../prng.js";

type NodeProto = OnnxTypes.INodeProto;
type TensorProto = OnnxTypes.ITensorProto;

type Attribute = OnnxTypes.IAttributeProto;

const ints = (name: string, values: number[]): Attribute => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });
const int = (name: string, value: number): Attribute => ({ name, type: onnx.AttributeProto.AttributeType.INT, i: value });
const flt = (name: string, value: number): Attribute => ({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: value });

/** Collects nodes and initializers under export-style names; `counter` numbers Constants and MatMul weights as torch does. */
class ExportGraph {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private counter = 100;

  constructor(
    private readonly random: SeededRandom,
    readonly hidden: number,
  ) {}

  floatTensor(name: string, dims: number[], fill: "normal" | number): string {
    const values = new Float32Array(dims.reduce((a, b) => a * b, 1));
    if (fill === "normal") this.random.fillNormal(values, 0.02);
    else values.fill(fill);
    this.initializers.push({ name, dims, dataType: FLOAT, rawData: new Uint8Array(values.buffer) });
    return name;
  }

  constant(dataType: number, values: number[], dims: number[] = []): string {
    const output = `/Constant_${this.counter++}_output_0`;
    const value: TensorProto =
      dataType === FLOAT
        ? { dims, dataType, rawData: new Uint8Array(Float32Array.from(values).buffer) }
        : { dims, dataType, rawData: new Uint8Array(BigInt64Array.from(values, BigInt).buffer) };
    this.nodes.push({
      opType: "Constant",
      name: output.replace("_output_0", ""),
      output: [output],
      attribute: [{ name: "value", type: onnx.AttributeProto.AttributeType.TENSOR, t: value }],
    });
    return output;
  }

  op(opType: string, inputs: string[], name: string, attributes: Attribute[] = [], outputs = 1): string[] {
    const out = Array.from({ length: outputs }, (_, i) => `${name}_output_${i}`);
    this.nodes.push({ opType, name, input: inputs, output: out, attribute: attributes });
    return out;
  }

  one(opType: string, inputs: string[], name: string, attributes: Attribute[] = []): string {
    return this.op(opType, inputs, name, attributes)[0]!;
  }

  linear(input: string, prefix: string, inSize: number, outSize: number): string {
    const weight = this.floatTensor(`onnx::MatMul_${this.counter++}`, [inSize, outSize], "normal");
    const bias = this.floatTensor(`${prefix.slice(1).replaceAll("/", ".")}.bias`, [outSize], 0);
    const product = this.one("MatMul", [input, weight], `${prefix}/MatMul`);
    return this.one("Add", [bias, product], `${prefix}/Add`);
  }

  layerNorm(input: string, prefix: string): string {
    const scale = this.floatTensor(`${prefix.slice(1).replaceAll("/", ".")}.weight`, [this.hidden], 1);
    const bias = this.floatTensor(`${prefix.slice(1).replaceAll("/", ".")}.bias`, [this.hidden], 0);
    return this.one("LayerNormalization", [input, scale, bias], `${prefix}/LayerNormalization`, [int("axis", -1), flt("epsilon", 1e-12)]);
  }

  /** Shape(x)[index] as a 1-D tensor, the way exports rebuild shapes. */
  dimOf(x: string, index: number, prefix: string): string {
    const shape = this.one("Shape", [x], `${prefix}/Shape_${index}`);
    const dim = this.one("Gather", [shape, this.constant(INT64, [index])], `${prefix}/Gather_${index}`, [int("axis", 0)]);
    return this.one("Unsqueeze", [dim, this.constant(INT64, [0], [1])], `${prefix}/Unsqueeze_${index}`);
  }
}

/**
 * A small BERT question-answering graph in the shape torch.onnx.export (via Hugging Face optimum,
 * opset 17) gives BertForQuestionAnswering: `onnx::MatMul_<n>` weights stored [in, out], `Add(bias, x)`
 * with the bias first, Constant nodes for scalars, position ids sliced from the `position_ids` buffer,
 * reshape targets built at run time from Shape -> Gather -> Unsqueeze -> Concat, the attention mask as
 * `(1 - mask) * float32.min`, LayerNormalization ops, and Split/Squeeze with their axes as inputs. For
 * tests of graph rewrites that must work on a user's export, not only on this zoo's own graphs.
 */
export function buildHuggingFaceStyleBert(
  options: { layers?: number; hidden?: number; heads?: number; vocab?: number; seed?: number } = {},
): OnnxTypes.ModelProto {
  const layers = options.layers ?? 2;
  const heads = options.heads ?? 4;
  const g = new ExportGraph(new SeededRandom(options.seed ?? 11), options.hidden ?? 64);
  let hidden = embeddings(g, options.vocab ?? 1000);
  const maskBias = extendedAttentionMask(g);
  for (let layer = 0; layer < layers; layer++) hidden = encoderLayer(g, hidden, maskBias, `/bert/encoder/layer.${layer}`, heads);
  questionAnsweringOutputs(g, hidden);
  return exportedModel(g);
}

/** Word + token-type + position embeddings (position ids sliced from the `position_ids` buffer), then LayerNorm. */
function embeddings(g: ExportGraph, vocab: number): string {
  const H = g.hidden;
  const positionIds = "bert.embeddings.position_ids";
  g.initializers.push({
    name: positionIds,
    dims: [1, 512],
    dataType: INT64,
    rawData: new Uint8Array(BigInt64Array.from({ length: 512 }, (_, i) => BigInt(i)).buffer),
  });
  const words = g.one(
    "Gather",
    [g.floatTensor("bert.embeddings.word_embeddings.weight", [vocab, H], "normal"), "input_ids"],
    "/bert/embeddings/word_embeddings/Gather",
  );
  const types = g.one(
    "Gather",
    [g.floatTensor("bert.embeddings.token_type_embeddings.weight", [2, H], "normal"), "token_type_ids"],
    "/bert/embeddings/token_type_embeddings/Gather",
  );
  const sequence = g.dimOf("input_ids", 1, "/bert/embeddings");
  const slicedIds = g.one(
    "Slice",
    [positionIds, g.constant(INT64, [0], [1]), sequence, g.constant(INT64, [1], [1]), g.constant(INT64, [1], [1])],
    "/bert/embeddings/Slice",
  );
  const positions = g.one(
    "Gather",
    [g.floatTensor("bert.embeddings.position_embeddings.weight", [512, H], "normal"), slicedIds],
    "/bert/embeddings/position_embeddings/Gather",
  );
  const summed = g.one("Add", [g.one("Add", [words, types], "/bert/embeddings/Add"), positions], "/bert/embeddings/Add_1");
  return g.layerNorm(summed, "/bert/embeddings/LayerNorm");
}

/** Extended attention mask: (1 - mask[:, None, None, :]) * float32.min. */
function extendedAttentionMask(g: ExportGraph): string {
  const mask1 = g.one("Unsqueeze", ["attention_mask", g.constant(INT64, [1], [1])], "/bert/Unsqueeze");
  const mask2 = g.one("Unsqueeze", [mask1, g.constant(INT64, [2], [1])], "/bert/Unsqueeze_1");
  const maskFloat = g.one("Cast", [mask2], "/bert/Cast", [int("to", FLOAT)]);
  const inverted = g.one("Sub", [g.constant(FLOAT, [1]), maskFloat], "/bert/Sub");
  return g.one("Mul", [inverted, g.constant(FLOAT, [-3.4028234663852886e38])], "/bert/Mul");
}

/** One encoder layer `p`: self-attention with residual and LayerNorm, then the GELU feed-forward with the same. */
function encoderLayer(g: ExportGraph, hidden: string, maskBias: string, p: string, heads: number): string {
  const H = g.hidden;
  const flat = selfAttention(g, hidden, maskBias, p, heads);
  const attended = g.layerNorm(
    g.one("Add", [g.linear(flat, `${p}/attention/output/dense`, H, H), hidden], `${p}/attention/output/Add_1`),
    `${p}/attention/output/LayerNorm`,
  );
  const gelu = intermediateGelu(g, g.linear(attended, `${p}/intermediate/dense`, H, 4 * H), `${p}/intermediate/intermediate_act_fn`);
  return g.layerNorm(g.one("Add", [g.linear(gelu, `${p}/output/dense`, 4 * H, H), attended], `${p}/output/Add_1`), `${p}/output/LayerNorm`);
}

/** Scaled dot-product attention over `heads` heads, merged back to [batch, sequence, hidden] (before the output dense). */
function selfAttention(g: ExportGraph, hidden: string, maskBias: string, p: string, heads: number): string {
  const H = g.hidden;
  const headSize = H / heads;
  const q = splitHeads(g, g.linear(hidden, `${p}/attention/self/query`, H, H), `${p}/attention/self/query`, heads);
  const k = splitHeads(g, g.linear(hidden, `${p}/attention/self/key`, H, H), `${p}/attention/self/key`, heads);
  const v = splitHeads(g, g.linear(hidden, `${p}/attention/self/value`, H, H), `${p}/attention/self/value`, heads);
  const kT = g.one("Transpose", [k], `${p}/attention/self/Transpose_3`, [ints("perm", [0, 1, 3, 2])]);
  const scores = g.one("MatMul", [q, kT], `${p}/attention/self/MatMul`);
  const scaled = g.one("Div", [scores, g.constant(FLOAT, [Math.sqrt(headSize)])], `${p}/attention/self/Div`);
  const masked = g.one("Add", [scaled, maskBias], `${p}/attention/self/Add`);
  const probabilities = g.one("Softmax", [masked], `${p}/attention/self/Softmax`, [int("axis", -1)]);
  const context = g.one("MatMul", [probabilities, v], `${p}/attention/self/MatMul_1`);
  const merged = g.one("Transpose", [context], `${p}/attention/self/Transpose_4`, [ints("perm", [0, 2, 1, 3])]);
  const flatShape = g.one(
    "Concat",
    [g.dimOf(merged, 0, `${p}/attention/self/merge`), g.dimOf(merged, 1, `${p}/attention/self/merge`), g.constant(INT64, [H], [1])],
    `${p}/attention/self/Concat_3`,
    [int("axis", 0)],
  );
  return g.one("Reshape", [merged, flatShape], `${p}/attention/self/Reshape_3`);
}

/** [batch, sequence, hidden] -> [batch, heads, sequence, headSize], the reshape target built at run time. */
function splitHeads(g: ExportGraph, x: string, prefix: string, heads: number): string {
  const shape = g.one(
    "Concat",
    [g.dimOf(x, 0, prefix), g.dimOf(x, 1, prefix), g.constant(INT64, [heads], [1]), g.constant(INT64, [g.hidden / heads], [1])],
    `${prefix}/Concat`,
    [int("axis", 0)],
  );
  const reshaped = g.one("Reshape", [x, shape], `${prefix}/Reshape`);
  return g.one("Transpose", [reshaped], `${prefix}/Transpose`, [ints("perm", [0, 2, 1, 3])]);
}

/** Exact GELU as exported: x * (erf(x / sqrt 2) + 1) * 0.5. */
function intermediateGelu(g: ExportGraph, up: string, prefix: string): string {
  const erf = g.one("Erf", [g.one("Div", [up, g.constant(FLOAT, [Math.SQRT2])], `${prefix}/Div`)], `${prefix}/Erf`);
  return g.one(
    "Mul",
    [g.one("Mul", [up, g.one("Add", [erf, g.constant(FLOAT, [1])], `${prefix}/Add`)], `${prefix}/Mul`), g.constant(FLOAT, [0.5])],
    `${prefix}/Mul_1`,
  );
}

/** qa_outputs dense to two logits, split and squeezed into start_logits and end_logits. */
function questionAnsweringOutputs(g: ExportGraph, hidden: string): void {
  const logits = g.linear(hidden, "/qa_outputs", g.hidden, 2);
  const [start, end] = g.op("Split", [logits, g.constant(INT64, [1, 1], [2])], "/Split", [int("axis", -1)], 2);
  g.nodes.push({ opType: "Squeeze", name: "/Squeeze", input: [start!, g.constant(INT64, [-1], [1])], output: ["start_logits"] });
  g.nodes.push({ opType: "Squeeze", name: "/Squeeze_1", input: [end!, g.constant(INT64, [-1], [1])], output: ["end_logits"] });
}

function exportedModel(g: ExportGraph): OnnxTypes.ModelProto {
  const dims = ["batch_size", "sequence_length"];
  return onnx.ModelProto.create({
    irVersion: 8,
    producerName: "pytorch",
    producerVersion: "2.1.0",
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: "main_graph",
      node: g.nodes,
      initializer: g.initializers,
      input: ["input_ids", "attention_mask", "token_type_ids"].map((name) => tensorValueInfo(name, INT64, dims)),
      output: ["start_logits", "end_logits"].map((name) => tensorValueInfo(name, FLOAT, dims)),
    },
  });
}
