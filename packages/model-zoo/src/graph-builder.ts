import onnxProto from "onnx-proto";
import type { onnx as OnnxTypes } from "onnx-proto";

export type GraphProto = OnnxTypes.IGraphProto;
type NodeProto = OnnxTypes.INodeProto;
type AttributeProto = OnnxTypes.IAttributeProto;
type ValueInfoProto = OnnxTypes.IValueInfoProto;

export const { onnx } = onnxProto;
export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const INT64 = onnx.TensorProto.DataType.INT64;

/** How an initializer's values are made: drawn from the seeded generator, or given. */
export type TensorFill =
  | { readonly kind: "normal"; readonly std: number }
  | { readonly kind: "constant"; readonly value: number }
  | { readonly kind: "values"; readonly values: readonly number[] }
  /** Read when the tensor is written (e.g. from a checkpoint), so a model's weights are never all in memory at once. */
  | { readonly kind: "tensor"; readonly read: () => Float32Array };

/** An initializer described without its data, so the weights can be made and written one at a time. */
export interface InitializerSpec {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dataType: typeof FLOAT | typeof INT64;
  readonly fill: TensorFill;
  /** Learned weights count as parameters; shape constants and scalars do not. */
  readonly trainable: boolean;
}

/** An int, a list of ints, or a float written as `{ f: 1e-12 }`. */
type AttributeValue = number | readonly number[] | { readonly f: number };

/**
 * Collects ONNX nodes and initializer specs with readable, unique names. Weights stay descriptions
 * (InitializerSpec) here; the writer turns them into bytes one tensor at a time.
 */
export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: InitializerSpec[] = [];
  private readonly constants = new Map<string, string>();
  private readonly usedNames = new Set<string>();

  /** Adds a node and returns its output names (one per `outputCount`). */
  add(opType: string, inputs: readonly string[], name: string, attributes: Record<string, AttributeValue> = {}, outputCount = 1): string[] {
    const nodeName = this.unique(name);
    const outputs = outputCount === 1 ? [nodeName] : Array.from({ length: outputCount }, (_, i) => `${nodeName}_${i}`);
    this.nodes.push({
      opType,
      name: nodeName,
      input: [...inputs],
      output: outputs,
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    });
    return outputs;
  }

  /** Adds one node with one output and returns that output's name. */
  op(opType: string, inputs: readonly string[], name: string, attributes: Record<string, AttributeValue> = {}): string {
    return this.add(opType, inputs, name, attributes)[0]!;
  }

  /** Adds a node whose output is a graph output, named exactly `output`. */
  output(opType: string, inputs: readonly string[], output: string, attributes: Record<string, AttributeValue> = {}): void {
    const [produced] = this.add(opType, inputs, output, attributes);
    if (produced !== output) throw new Error(`Internal error: output ${output} was named ${String(produced)}.`);
  }

  /** Declares a learned weight (random normal, or a constant such as LayerNorm's gamma = 1). */
  weight(name: string, dims: readonly number[], fill: TensorFill): string {
    this.initializers.push({ name: this.unique(name), dims, dataType: FLOAT, fill, trainable: true });
    return name;
  }

  /** A shared constant tensor (scalars, shapes, axes); the same value is declared once. */
  constant(dataType: typeof FLOAT | typeof INT64, dims: readonly number[], values: readonly number[]): string {
    const key = `${dataType}:${dims.join("x")}:${values.join(",")}`;
    const existing = this.constants.get(key);
    if (existing) return existing;
    const type = dataType === FLOAT ? "float" : "int64";
    const shape = dims.length === 0 ? "" : `_shape${dims.join("x")}`;
    const name = this.unique(`const_${type}${shape}_${values.join("_").replaceAll("-", "minus").replaceAll(".", "p")}`);
    this.initializers.push({ name, dims, dataType, fill: { kind: "values", values }, trainable: false });
    this.constants.set(key, name);
    return name;
  }

  private unique(name: string): string {
    if (this.usedNames.has(name)) throw new Error(`Internal error: the graph name "${name}" is used twice.`);
    this.usedNames.add(name);
    return name;
  }
}

function attribute(name: string, value: AttributeValue): AttributeProto {
  if (typeof value === "number") return { name, type: onnx.AttributeProto.AttributeType.INT, i: value };
  if ("f" in value) return { name, type: onnx.AttributeProto.AttributeType.FLOAT, f: value.f };
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: [...value] };
}

/** A graph input or output: a tensor with named (symbolic) dimensions, or fixed ones given as numbers. */
export function tensorValueInfo(name: string, elemType: number, dims: readonly (string | number)[]): ValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((dim) => (typeof dim === "number" ? { dimValue: dim } : { dimParam: dim })) } } },
  };
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((product, d) => product * d, 1);
}
