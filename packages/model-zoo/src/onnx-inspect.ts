import { readFileSync } from "node:fs";
import { onnx } from "./graph-builder.js";

interface OnnxTensorSignature {
  readonly name: string;
  /** "int64", "float32", ... */
  readonly dataType: string;
  /** Named dimensions as their names, fixed ones as numbers, unknown ones as "?". */
  readonly shape: readonly (string | number)[];
}

export interface OnnxSignature {
  readonly inputs: readonly OnnxTensorSignature[];
  readonly outputs: readonly OnnxTensorSignature[];
  /** Elements of the float initializers: the model's parameter count. */
  readonly parameters: number;
}

const TYPE_NAMES: Readonly<Record<number, string>> = {
  [onnx.TensorProto.DataType.FLOAT]: "float32",
  [onnx.TensorProto.DataType.FLOAT16]: "float16",
  [onnx.TensorProto.DataType.INT64]: "int64",
  [onnx.TensorProto.DataType.INT32]: "int32",
  [onnx.TensorProto.DataType.INT8]: "int8",
  [onnx.TensorProto.DataType.UINT8]: "uint8",
};

/** The inputs, outputs and parameter count of an ONNX model file (a user's export as much as ours). */
export function inspectOnnx(path: string): OnnxSignature {
  const model = onnx.ModelProto.decode(readFileSync(path));
  const graph = model.graph;
  if (!graph) throw new Error(`${path} holds no ONNX graph.`);
  const initializerNames = new Set((graph.initializer ?? []).map((t) => t.name));
  const signature = (value: NonNullable<typeof graph.input>[number]): OnnxTensorSignature => {
    const tensor = value.type?.tensorType;
    return {
      name: value.name ?? "",
      dataType: TYPE_NAMES[tensor?.elemType ?? -1] ?? `type ${String(tensor?.elemType)}`,
      shape: (tensor?.shape?.dim ?? []).map((dim) => dim.dimParam || (dim.dimValue !== undefined && dim.dimValue !== null ? Number(dim.dimValue) : "?")),
    };
  };
  const floats = new Set<number>([onnx.TensorProto.DataType.FLOAT, onnx.TensorProto.DataType.FLOAT16]);
  const parameters = (graph.initializer ?? [])
    .filter((t) => floats.has(t.dataType ?? 0))
    .reduce((total, t) => total + (t.dims ?? []).reduce((product: number, d) => product * Number(d), 1), 0);
  return {
    inputs: (graph.input ?? []).filter((input) => !initializerNames.has(input.name ?? "")).map(signature),
    outputs: (graph.output ?? []).map(signature),
    parameters,
  };
}
