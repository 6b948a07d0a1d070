import type { onnx as OnnxTypes } from "onnx-proto";
import { FLOAT, INT64, onnx, tensorValueInfo } from "../graph-builder.js";
import { SeededRandom } from "../prng.js";

type NodeProto = OnnxTypes.INodeProto;
type TensorProto = OnnxTypes.ITensorProto;

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
  const H = options.hidden ?? 64;
  const heads = options.heads ?? 4;
  const vocab = options.vocab ?? 1000;
  const random = new SeededRandom(options.seed ?? 11);
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  let counter = 100;

  const floatTensor = (name: string, dims: number[], fill: "normal" | number): string => {
    const values = new Float32Array(dims.reduce((a, b) => a * b, 1));
    if (fill === "normal") random.fillNormal(values, 0.02);
    else values.fill(fill);
    initializers.push({ name, dims, dataType: FLOAT, rawData: new Uint8Array(values.buffer) });
    return name;
  };
  const constant = (dataType: number, values: number[], dims: number[] = []): string => {
    const output = `/Constant_${counter++}_output_0`;
    const value: TensorProto =
      dataType === FLOAT
        ? { dims, dataType, rawData: new Uint8Array(Float32Array.from(values).buffer) }
        : { dims, dataType, rawData: new Uint8Array(BigInt64Array.from(values, BigInt).buffer) };
    nodes.push({
      opType: "Constant",
      name: output.replace("_output_0", ""),
      output: [output],
      attribute: [{ name: "value", type: onnx.AttributeProto.AttributeType.TENSOR, t: value }],
    });
    return output;
  };
  const op = (opType: string, inputs: string[], name: string, attributes: OnnxTypes.IAttributeProto[] = [], outputs = 1): string[] => {
    const out = Array.from({ length: outputs }, (_, i) => `${name}_output_${i}`);
    nodes.push({ opType, name, input: inputs, output: out, attribute: attributes });
    return out;
  };
  const one = (opType: string, inputs: string[], name: string, attributes: OnnxTypes.IAttributeProto[] = []) => op(opType, inputs, name, attributes)[0]!;
  const ints = (name: string, values: number[]): OnnxTypes.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });
  const int = (name: string, value: number): OnnxTypes.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INT, i: value });
  const flt = (name: string, value: number): OnnxTypes.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: value });
  const linear = (input: string, prefix: string, inSize: number, outSize: number): string => {
    const weight = floatTensor(`onnx::MatMul_${counter++}`, [inSize, outSize], "normal");
    const bias = floatTensor(`${prefix.slice(1).replaceAll("/", ".")}.bias`, [outSize], 0);
    const product = one("MatMul", [input, weight], `${prefix}/MatMul`);
    return one("Add", [bias, product], `${prefix}/Add`);
  };
  const layerNorm = (input: string, prefix: string): string => {
    const scale = floatTensor(`${prefix.slice(1).replaceAll("/", ".")}.weight`, [H], 1);
    const bias = floatTensor(`${prefix.slice(1).replaceAll("/", ".")}.bias`, [H], 0);
    return one("LayerNormalization", [input, scale, bias], `${prefix}/LayerNormalization`, [int("axis", -1), flt("epsilon", 1e-12)]);
  };
  /** Shape(x)[index] as a 1-D tensor, the way exports rebuild shapes. */
  const dimOf = (x: string, index: number, prefix: string): string => {
    const shape = one("Shape", [x], `${prefix}/Shape_${index}`);
    const dim = one("Gather", [shape, constant(INT64, [index])], `${prefix}/Gather_${index}`, [int("axis", 0)]);
    return one("Unsqueeze", [dim, constant(INT64, [0], [1])], `${prefix}/Unsqueeze_${index}`);
  };

  // Embeddings.
  const positionIds = "bert.embeddings.position_ids";
  initializers.push({
    name: positionIds,
    dims: [1, 512],
    dataType: INT64,
    rawData: new Uint8Array(BigInt64Array.from({ length: 512 }, (_, i) => BigInt(i)).buffer),
  });
  const words = one(
    "Gather",
    [floatTensor("bert.embeddings.word_embeddings.weight", [vocab, H], "normal"), "input_ids"],
    "/bert/embeddings/word_embeddings/Gather",
  );
  const types = one(
    "Gather",
    [floatTensor("bert.embeddings.token_type_embeddings.weight", [2, H], "normal"), "token_type_ids"],
    "/bert/embeddings/token_type_embeddings/Gather",
  );
  const sequence = dimOf("input_ids", 1, "/bert/embeddings");
  const slicedIds = one(
    "Slice",
    [positionIds, constant(INT64, [0], [1]), sequence, constant(INT64, [1], [1]), constant(INT64, [1], [1])],
    "/bert/embeddings/Slice",
  );
  const positions = one(
    "Gather",
    [floatTensor("bert.embeddings.position_embeddings.weight", [512, H], "normal"), slicedIds],
    "/bert/embeddings/position_embeddings/Gather",
  );
  const summed = one("Add", [one("Add", [words, types], "/bert/embeddings/Add"), positions], "/bert/embeddings/Add_1");
  let hidden = layerNorm(summed, "/bert/embeddings/LayerNorm");

  // Extended attention mask: (1 - mask[:, None, None, :]) * float32.min.
  const mask1 = one("Unsqueeze", ["attention_mask", constant(INT64, [1], [1])], "/bert/Unsqueeze");
  const mask2 = one("Unsqueeze", [mask1, constant(INT64, [2], [1])], "/bert/Unsqueeze_1");
  const maskFloat = one("Cast", [mask2], "/bert/Cast", [int("to", FLOAT)]);
  const inverted = one("Sub", [constant(FLOAT, [1]), maskFloat], "/bert/Sub");
  const maskBias = one("Mul", [inverted, constant(FLOAT, [-3.4028234663852886e38])], "/bert/Mul");

  const headSize = H / heads;
  for (let layer = 0; layer < layers; layer++) {
    const p = `/bert/encoder/layer.${layer}`;
    const split = (x: string, name: string): string => {
      const shape = one(
        "Concat",
        [
          dimOf(x, 0, `${p}/attention/self/${name}`),
          dimOf(x, 1, `${p}/attention/self/${name}`),
          constant(INT64, [heads], [1]),
          constant(INT64, [headSize], [1]),
        ],
        `${p}/attention/self/${name}/Concat`,
        [int("axis", 0)],
      );
      const reshaped = one("Reshape", [x, shape], `${p}/attention/self/${name}/Reshape`);
      return one("Transpose", [reshaped], `${p}/attention/self/${name}/Transpose`, [ints("perm", [0, 2, 1, 3])]);
    };
    const q = split(linear(hidden, `${p}/attention/self/query`, H, H), "query");
    const k = split(linear(hidden, `${p}/attention/self/key`, H, H), "key");
    const v = split(linear(hidden, `${p}/attention/self/value`, H, H), "value");
    const kT = one("Transpose", [k], `${p}/attention/self/Transpose_3`, [ints("perm", [0, 1, 3, 2])]);
    const scores = one("MatMul", [q, kT], `${p}/attention/self/MatMul`);
    const scaled = one("Div", [scores, constant(FLOAT, [Math.sqrt(headSize)])], `${p}/attention/self/Div`);
    const masked = one("Add", [scaled, maskBias], `${p}/attention/self/Add`);
    const probabilities = one("Softmax", [masked], `${p}/attention/self/Softmax`, [int("axis", -1)]);
    const context = one("MatMul", [probabilities, v], `${p}/attention/self/MatMul_1`);
    const merged = one("Transpose", [context], `${p}/attention/self/Transpose_4`, [ints("perm", [0, 2, 1, 3])]);
    const flatShape = one(
      "Concat",
      [dimOf(merged, 0, `${p}/attention/self/merge`), dimOf(merged, 1, `${p}/attention/self/merge`), constant(INT64, [H], [1])],
      `${p}/attention/self/Concat_3`,
      [int("axis", 0)],
    );
    const flat = one("Reshape", [merged, flatShape], `${p}/attention/self/Reshape_3`);
    const attended = layerNorm(
      one("Add", [linear(flat, `${p}/attention/output/dense`, H, H), hidden], `${p}/attention/output/Add_1`),
      `${p}/attention/output/LayerNorm`,
    );
    const up = linear(attended, `${p}/intermediate/dense`, H, 4 * H);
    const erf = one(
      "Erf",
      [one("Div", [up, constant(FLOAT, [Math.SQRT2])], `${p}/intermediate/intermediate_act_fn/Div`)],
      `${p}/intermediate/intermediate_act_fn/Erf`,
    );
    const gelu = one(
      "Mul",
      [
        one("Mul", [up, one("Add", [erf, constant(FLOAT, [1])], `${p}/intermediate/intermediate_act_fn/Add`)], `${p}/intermediate/intermediate_act_fn/Mul`),
        constant(FLOAT, [0.5]),
      ],
      `${p}/intermediate/intermediate_act_fn/Mul_1`,
    );
    hidden = layerNorm(one("Add", [linear(gelu, `${p}/output/dense`, 4 * H, H), attended], `${p}/output/Add_1`), `${p}/output/LayerNorm`);
  }

  const logits = linear(hidden, "/qa_outputs", H, 2);
  const [start, end] = op("Split", [logits, constant(INT64, [1, 1], [2])], "/Split", [int("axis", -1)], 2);
  nodes.push({ opType: "Squeeze", name: "/Squeeze", input: [start!, constant(INT64, [-1], [1])], output: ["start_logits"] });
  nodes.push({ opType: "Squeeze", name: "/Squeeze_1", input: [end!, constant(INT64, [-1], [1])], output: ["end_logits"] });

  const dims = ["batch_size", "sequence_length"];
  return onnx.ModelProto.create({
    irVersion: 8,
    producerName: "pytorch",
    producerVersion: "2.1.0",
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: "main_graph",
      node: nodes,
      initializer: initializers,
      input: ["input_ids", "attention_mask", "token_type_ids"].map((name) => tensorValueInfo(name, INT64, dims)),
      output: ["start_logits", "end_logits"].map((name) => tensorValueInfo(name, FLOAT, dims)),
    },
  });
}
