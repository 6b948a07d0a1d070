import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildTokenizerJson, SeededRandom } from "@inference-fleet/model-zoo";
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

/** The tiny classifier's weights, to compute reference logits with. */
export interface ClassifierWeights {
  readonly hidden: number;
  readonly labels: readonly string[];
  /** [vocab, hidden] row-major, then [2, hidden], [hidden, labels], [labels]. */
  readonly words: Float32Array;
  readonly types: Float32Array;
  readonly classifier: Float32Array;
  readonly bias: Float32Array;
}

/**
 * A tiny sequence classifier with the contract of an exported BertForSequenceClassification: inputs
 * input_ids, attention_mask, token_type_ids int64 [batch, seq]; output logits float32 [batch, labels].
 * Inside, a bag of embeddings: logits = tanh(sum over unmasked tokens of word + type embeddings) · W + b.
 */
export function classifierLogits(weights: ClassifierWeights, ids: readonly number[], typeIds: readonly number[]): number[] {
  const { hidden, labels } = weights;
  const pooled = new Float64Array(hidden);
  ids.forEach((id, t) => {
    for (let h = 0; h < hidden; h++) pooled[h] += weights.words[id * hidden + h]! + weights.types[typeIds[t]! * hidden + h]!;
  });
  return labels.map((_, l) => {
    let sum = weights.bias[l]!;
    for (let h = 0; h < hidden; h++) sum += Math.tanh(pooled[h]!) * weights.classifier[h * labels.length + l]!;
    return sum;
  });
}

/** Writes model.onnx, tokenizer.json (bert-base-uncased) and model.json (task text-classification, id2label) into `dir`. */
export async function writeClassificationModel(dir: string, labels: readonly string[] = ["negative", "positive"], seed = 11): Promise<ClassifierWeights> {
  const tokenizerJson = buildTokenizerJson();
  const vocab = Object.keys((JSON.parse(tokenizerJson) as { model: { vocab: object } }).model.vocab).length;
  const hidden = 8;
  const random = new SeededRandom(seed);
  const values = (count: number, scale: number) => Float32Array.from({ length: count }, () => (random.nextUint32() / 2 ** 32 - 0.5) * scale);
  const weights: ClassifierWeights = {
    hidden,
    labels,
    words: values(vocab * hidden, 1),
    types: values(2 * hidden, 1),
    classifier: values(hidden * labels.length, 4),
    bias: values(labels.length, 0.5),
  };
  const tensor = (name: string, dims: number[], data: Float32Array) => ({ name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer.slice(0)) });
  const ints = (name: string, data: number[]) => ({ name, dims: [data.length], dataType: INT64, int64Data: data });
  const io = (name: string, type: number, dims: string[]) => ({
    name,
    type: { tensorType: { elemType: type, shape: { dim: dims.map((dimParam) => ({ dimParam })) } } },
  });
  const node = (opType: string, input: string[], output: string, attribute: object[] = []) => ({ opType, input, output: [output], attribute });
  const graph = {
    name: "tiny-classifier",
    input: ["input_ids", "attention_mask", "token_type_ids"].map((name) => io(name, INT64, ["batch", "sequence"])),
    output: [io("logits", FLOAT, ["batch", "labels"])],
    initializer: [
      tensor("words", [vocab, hidden], weights.words),
      tensor("types", [2, hidden], weights.types),
      tensor("classifier", [hidden, labels.length], weights.classifier),
      tensor("bias", [labels.length], weights.bias),
      ints("axis2", [2]),
      ints("axis1", [1]),
    ],
    node: [
      node("Gather", ["words", "input_ids"], "word_vectors"),
      node("Gather", ["types", "token_type_ids"], "type_vectors"),
      node("Add", ["word_vectors", "type_vectors"], "vectors"),
      node("Cast", ["attention_mask"], "mask", [{ name: "to", type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }]),
      node("Unsqueeze", ["mask", "axis2"], "mask3"),
      node("Mul", ["vectors", "mask3"], "masked"),
      node("ReduceSum", ["masked", "axis1"], "pooled", [{ name: "keepdims", type: onnx.AttributeProto.AttributeType.INT, i: 0 }]),
      node("Tanh", ["pooled"], "activated"),
      node("MatMul", ["activated", "classifier"], "scores"),
      node("Add", ["scores", "bias"], "logits"),
    ],
  };
  const model = onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: "", version: 13 }], producerName: "model-server tests", graph }).finish();
  await mkdir(dir, { recursive: true });
  const id2label = Object.fromEntries(labels.map((label, i) => [String(i), label]));
  await Promise.all([
    writeFile(join(dir, "model.onnx"), model),
    writeFile(join(dir, "tokenizer.json"), tokenizerJson),
    writeFile(join(dir, "model.json"), JSON.stringify({ name: "tiny-classifier", task: "text-classification", maxSequenceLength: 128, id2label }, null, 2)),
  ]);
  return weights;
}
