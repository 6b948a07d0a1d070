import type { onnx as OnnxTypes } from "onnx-proto";
import { FLOAT, onnx } from "./graph-builder.js";
import { localInt8Cpu, reduceRangeFor, type Int8Cpu } from "./int8-target.js";

type ModelProto = OnnxTypes.IModelProto;
type GraphProto = OnnxTypes.IGraphProto;
type NodeProto = OnnxTypes.INodeProto;
type TensorProto = OnnxTypes.ITensorProto;

const INT8 = onnx.TensorProto.DataType.INT8;
const CONTRIB_DOMAIN = "com.microsoft";

/** The numeric formats a model directory can hold; model.json's `precision` says which. */
export type Precision = "fp32" | "int8";
export const PRECISIONS: readonly Precision[] = ["fp32", "int8"];

export function isPrecision(value: string): value is Precision {
  return (PRECISIONS as readonly string[]).includes(value);
}

/**
 * How a quantized MatMul is written:
 * - "fused": ONNX Runtime's contrib op com.microsoft.DynamicQuantizeMatMul (activations quantized to uint8
 *   per tensor at run time, int8 weights, per-column scale, bias added after scaling) - one node.
 * - "standard": ONNX ops only, DynamicQuantizeLinear + MatMulInteger + Cast + Mul (+ Add for the bias), which
 *   other runtimes also run and which ONNX Runtime fuses back into the contrib op at load.
 */
export type QuantizedMatMulFormat = "fused" | "standard";

export interface QuantizeOptions {
  /** Default "standard" (ONNX Runtime fuses it; measured against "fused" in bench/precision.ts). */
  readonly format?: QuantizedMatMulFormat;
  /**
   * Also store embedding tables (Gather over a float initializer) as int8 with one scale per row; without it
   * a BERT model keeps ~24% of its bytes in float embeddings. Default true.
   */
  readonly embeddings?: boolean;
  /** Weights with fewer elements stay float (tiny tensors gain nothing). Default 1024. */
  readonly minElements?: number;
  /**
   * 7-bit weights (-63..63): avoids the int16 saturation of u8 x s8 products on x86 CPUs with AVX2 but
   * without VNNI (ONNX Runtime's `reduce_range`). Default: chosen for `target` (reduceRangeFor).
   */
  readonly reduceRange?: boolean;
  /** The CPU the model will run on, when reduceRange is not given. Default: the CPU quantizing it (localInt8Cpu). */
  readonly target?: Int8Cpu;
}

type ResolvedOptions = Required<Omit<QuantizeOptions, "target">> & { readonly reduceRangeReason: string };

/** What a quantization did, for the CLI to print and model.json to record. */
export interface QuantizeReport {
  readonly format: QuantizedMatMulFormat;
  /** 7-bit weights or 8-bit, and why (the target CPU, or "asked for"). */
  readonly reduceRange: boolean;
  readonly reduceRangeReason: string;
  readonly matMuls: number;
  readonly gemms: number;
  readonly gathers: number;
  /** MatMul/Gemm nodes left in float, with why (no initializer weight, not 2-D, ...). */
  readonly skipped: readonly { readonly node: string; readonly reason: string }[];
  /** Bytes of the float weights that were replaced, and of the int8 weights + scales that replace them. */
  readonly floatWeightBytes: number;
  readonly quantizedWeightBytes: number;
}

/** A model in which nothing can be quantized: the caller writes no output. */
export class NothingToQuantizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NothingToQuantizeError";
  }
}

/** The weights of one quantized 2-D tensor: int8 values and one float scale per output channel. */
export interface ChannelQuantized {
  readonly values: Int8Array;
  readonly scales: Float32Array;
}

/**
 * Symmetric int8 quantization of a row-major [rows, cols] matrix with one scale per column (axis 1, a
 * MatMul's output channels) or per row (axis 0, an embedding table's entries): scale = max|w| / qmax,
 * q = round(w / scale), zero point 0. A channel of zeros gets scale 1 (its values are 0 either way).
 */
export function quantizeChannels(weights: Float32Array, rows: number, cols: number, axis: 0 | 1, qmax = 127): ChannelQuantized {
  const channels = axis === 1 ? cols : rows;
  const maxAbs = new Float32Array(channels);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      const v = Math.abs(weights[base + c]!);
      const channel = axis === 1 ? c : r;
      if (v > maxAbs[channel]!) maxAbs[channel] = v;
    }
  }
  const scales = new Float32Array(channels);
  const inverse = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    scales[c] = maxAbs[c]! > 0 ? maxAbs[c]! / qmax : 1;
    inverse[c] = 1 / scales[c]!;
  }
  const values = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      const q = Math.round(weights[base + c]! * inverse[axis === 1 ? c : r]!);
      values[base + c] = q > qmax ? qmax : q < -qmax ? -qmax : q;
    }
  }
  return { values, scales };
}

/** A float initializer's values, from raw_data (little-endian) or float_data; undefined for other types. */
function floatValues(tensor: TensorProto): Float32Array | undefined {
  if (tensor.dataType !== FLOAT) return undefined;
  if (tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    throw new Error(
      `The initializer ${tensor.name ?? "(unnamed)"} keeps its data in an external file; quantize needs one self-contained model.onnx ` +
        "(re-export without external data, e.g. onnx.save(model, path, save_as_external_data=False), for models under 2 GB).",
    );
  }
  const count = (tensor.dims ?? []).reduce<number>((n, d) => n * Number(d), 1);
  const raw = tensor.rawData;
  if (raw && raw.length > 0) {
    if (raw.length !== count * 4) throw new Error(`The initializer ${tensor.name ?? ""} has ${raw.length} bytes of data for ${count} float values.`);
    // Copy when unaligned: raw_data usually sits at an odd offset inside the file's buffer (and a Node
    // Buffer's slice() is a view, so copy through a fresh Uint8Array).
    if (raw.byteOffset % 4 === 0) return new Float32Array(raw.buffer, raw.byteOffset, count);
    const copy = new Uint8Array(raw.length);
    copy.set(raw);
    return new Float32Array(copy.buffer, 0, count);
  }
  const data = tensor.floatData ?? [];
  if (data.length !== count) throw new Error(`The initializer ${tensor.name ?? ""} has ${data.length} float values for ${count} elements.`);
  return Float32Array.from(data);
}

function bytesOf(array: Float32Array | Int8Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function tensor(name: string, dataType: number, dims: readonly number[], data: Float32Array | Int8Array): TensorProto {
  return { name, dataType, dims: [...dims], rawData: bytesOf(data) };
}

function dimsOf(t: TensorProto): number[] {
  return (t.dims ?? []).map(Number);
}

function intAttribute(node: NodeProto, name: string, fallback: number): number {
  const found = node.attribute?.find((a) => a.name === name);
  return found?.i === undefined || found.i === null ? fallback : Number(found.i);
}

function floatAttribute(node: NodeProto, name: string, fallback: number): number {
  const found = node.attribute?.find((a) => a.name === name);
  return found?.f === undefined || found.f === null ? fallback : found.f;
}

/** Rewrites one graph; holds the name tables and the new initializers. */
class GraphQuantizer {
  private readonly initializers = new Map<string, TensorProto>();
  private readonly consumers = new Map<string, NodeProto[]>();
  private readonly graphOutputs: Set<string>;
  private readonly usedNames = new Set<string>();
  /** Quantized weights by original initializer name (and transpose), so a shared weight is stored once. */
  private readonly quantizedWeights = new Map<string, { q: string; scale: string; zeroPoint: string; channels: number }>();
  private readonly quantizedTables = new Map<string, { q: string; scale: string }>();
  private readonly added: TensorProto[] = [];
  private readonly skipped: { node: string; reason: string }[] = [];
  private counts = { matMuls: 0, gemms: 0, gathers: 0, floatWeightBytes: 0, quantizedWeightBytes: 0 };
  private readonly replacedWeights = new Set<string>();
  private usesContribOps = false;
  private usesStandardOps = false;

  constructor(
    private readonly graph: GraphProto,
    private readonly options: ResolvedOptions,
  ) {
    for (const init of graph.initializer ?? []) if (init.name) this.initializers.set(init.name, init);
    for (const node of graph.node ?? []) {
      if (node.name) this.usedNames.add(node.name);
      for (const output of node.output ?? []) this.usedNames.add(output);
      for (const input of node.input ?? []) {
        if (!input) continue;
        const list = this.consumers.get(input) ?? [];
        list.push(node);
        this.consumers.set(input, list);
      }
    }
    for (const name of this.initializers.keys()) this.usedNames.add(name);
    for (const value of [...(graph.input ?? []), ...(graph.output ?? [])]) if (value.name) this.usedNames.add(value.name);
    this.graphOutputs = new Set((graph.output ?? []).map((o) => o.name ?? ""));
  }

  run(): { report: QuantizeReport; usesContribOps: boolean; usesStandardOps: boolean } {
    const graph = this.graph;
    const folded = new Set<NodeProto>();
    const nodes: NodeProto[] = [];
    for (const node of graph.node ?? []) {
      if (folded.has(node)) continue;
      let replacement: NodeProto[] | undefined;
      if (!node.domain && node.opType === "MatMul") replacement = this.matMul(node, folded);
      else if (!node.domain && node.opType === "Gemm") replacement = this.gemm(node);
      else if (!node.domain && node.opType === "Gather" && this.options.embeddings) replacement = this.gather(node);
      nodes.push(...(replacement ?? [node]));
    }
    const { format, reduceRange, reduceRangeReason } = this.options;
    const report: QuantizeReport = { format, reduceRange, reduceRangeReason, ...this.counts, skipped: this.skipped };
    if (report.matMuls + report.gemms === 0) return { report, usesContribOps: false, usesStandardOps: false };
    graph.node = nodes;
    // Float weights no node reads any more are dropped (also from the inputs, where old exporters list initializers).
    const stillRead = new Set(nodes.flatMap((n) => n.input ?? []));
    const unused = (name: string) => this.replacedWeights.has(name) && !stillRead.has(name);
    graph.initializer = [...(graph.initializer ?? []).filter((t) => !unused(t.name ?? "")), ...this.added];
    graph.input = (graph.input ?? []).filter((i) => !unused(i.name ?? ""));
    graph.valueInfo = (graph.valueInfo ?? []).filter((v) => !unused(v.name ?? ""));
    return { report, usesContribOps: this.usesContribOps, usesStandardOps: this.usesStandardOps };
  }

  private unique(base: string): string {
    let name = base;
    for (let i = 1; this.usedNames.has(name); i++) name = `${base}_${i}`;
    this.usedNames.add(name);
    return name;
  }

  private skip(node: NodeProto, reason: string): undefined {
    this.skipped.push({ node: node.name || `${node.opType} -> ${(node.output ?? []).join(",")}`, reason });
    return undefined;
  }

  /** A float 2-D initializer usable as a quantized weight, or the reason it is not. */
  private weightOf(name: string): { tensor: TensorProto; values: Float32Array; rows: number; cols: number } | string {
    const init = this.initializers.get(name);
    if (!init) return "its weight is not an initializer (computed at run time)";
    if (init.dataType !== FLOAT) return `its weight is not float32 (ONNX data type ${init.dataType ?? "?"})`;
    const dims = dimsOf(init);
    if (dims.length !== 2) return `its weight is ${dims.length}-D, not 2-D`;
    const values = floatValues(init)!;
    return { tensor: init, values, rows: dims[0]!, cols: dims[1]! };
  }

  /** int8 weights [K, N] (transposed from [N, K] when `transposed`), per-column scales and zero points. */
  private quantizedWeight(name: string, values: Float32Array, rows: number, cols: number, transposed: boolean) {
    const key = `${name}${transposed ? "^T" : ""}`;
    const existing = this.quantizedWeights.get(key);
    if (existing) return existing;
    let matrix = values;
    let [k, n] = [rows, cols];
    if (transposed) {
      [k, n] = [cols, rows];
      matrix = new Float32Array(values.length);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) matrix[c * rows + r] = values[r * cols + c]!;
    }
    const { values: q, scales } = quantizeChannels(matrix, k, n, 1, this.qmax());
    const entry = {
      q: this.unique(`${name}_quantized`),
      scale: this.unique(`${name}_scale`),
      zeroPoint: this.unique(`${name}_zero_point`),
      channels: n,
    };
    this.added.push(tensor(entry.q, INT8, [k, n], q), tensor(entry.scale, FLOAT, [n], scales));
    if (this.options.format === "standard") this.added.push(tensor(entry.zeroPoint, INT8, [n], new Int8Array(n)));
    this.quantizedWeights.set(key, entry);
    this.replacedWeights.add(name);
    this.counts.floatWeightBytes += values.byteLength;
    this.counts.quantizedWeightBytes += q.byteLength + scales.byteLength;
    return entry;
  }

  private qmax(): number {
    return this.options.reduceRange ? 63 : 127;
  }

  /** The Add right after a MatMul that adds a 1-D float initializer of N values, if it is the output's only reader. */
  private biasAdd(output: string, channels: number): { node: NodeProto; bias: string } | undefined {
    if (this.graphOutputs.has(output)) return undefined;
    const readers = this.consumers.get(output) ?? [];
    if (readers.length !== 1) return undefined;
    const add = readers[0]!;
    if (add.domain || add.opType !== "Add" || (add.input ?? []).length !== 2) return undefined;
    const other = add.input![0] === output ? add.input![1]! : add.input![0]!;
    const bias = this.initializers.get(other);
    if (!bias || bias.dataType !== FLOAT) return undefined;
    const dims = dimsOf(bias);
    if (dims.length !== 1 || dims[0] !== channels) return undefined;
    return { node: add, bias: other };
  }

  private matMul(node: NodeProto, folded: Set<NodeProto>): NodeProto[] | undefined {
    const [input, weightName] = node.input ?? [];
    const output = node.output?.[0];
    if (!input || !weightName || !output) return this.skip(node, "it does not have two inputs and an output");
    const weight = this.weightOf(weightName);
    if (typeof weight === "string") return this.skip(node, weight);
    if (weight.rows * weight.cols < this.options.minElements) return this.skip(node, `its weight has fewer than ${this.options.minElements} elements`);
    const q = this.quantizedWeight(weightName, weight.values, weight.rows, weight.cols, false);
    this.counts.matMuls++;
    const name = node.name || output;
    if (this.options.format === "fused") {
      const add = this.biasAdd(output, q.channels);
      if (add) folded.add(add.node);
      return [this.fusedNode(name, input, q, add?.bias, add ? add.node.output![0]! : output)];
    }
    return this.standardNodes(name, input, q, output);
  }

  private fusedNode(name: string, input: string, q: { q: string; scale: string }, bias: string | undefined, output: string): NodeProto {
    this.usesContribOps = true;
    return {
      name: this.unique(`${name}_quant`),
      opType: "DynamicQuantizeMatMul",
      domain: CONTRIB_DOMAIN,
      // b_zero_point left out: the weights are symmetric (zero point 0).
      input: bias ? [input, q.q, q.scale, "", bias] : [input, q.q, q.scale],
      output: [output],
    };
  }

  /** DynamicQuantizeLinear + MatMulInteger + Cast + Mul(input scale x weight scales) + Mul, as ONNX's own ops. */
  private standardNodes(name: string, input: string, q: { q: string; scale: string; zeroPoint: string }, output: string, extraScale?: string): NodeProto[] {
    this.usesStandardOps = true;
    const t = (suffix: string) => this.unique(`${name}_${suffix}`);
    const [xq, xScale, xZero, product, asFloat, scale] = [t("input_quantized"), t("input_scale"), t("input_zero_point"), t("int32"), t("float"), t("scale")];
    const nodes: NodeProto[] = [
      { name: t("DynamicQuantizeLinear"), opType: "DynamicQuantizeLinear", input: [input], output: [xq, xScale, xZero] },
      { name: t("MatMulInteger"), opType: "MatMulInteger", input: [xq, q.q, xZero, q.zeroPoint], output: [product] },
      {
        name: t("Cast"),
        opType: "Cast",
        input: [product],
        output: [asFloat],
        attribute: [{ name: "to", type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }],
      },
      { name: t("Mul_scales"), opType: "Mul", input: [xScale, extraScale ?? q.scale], output: [scale] },
      { name: t("Mul"), opType: "Mul", input: [asFloat, scale], output: [output] },
    ];
    return nodes;
  }

  private gemm(node: NodeProto): NodeProto[] | undefined {
    const [input, weightName, c] = node.input ?? [];
    const output = node.output?.[0];
    if (!input || !weightName || !output) return this.skip(node, "it does not have two inputs and an output");
    if (intAttribute(node, "transA", 0) !== 0) return this.skip(node, "it transposes its input (transA=1)");
    const weight = this.weightOf(weightName);
    if (typeof weight === "string") return this.skip(node, weight);
    if (weight.rows * weight.cols < this.options.minElements) return this.skip(node, `its weight has fewer than ${this.options.minElements} elements`);
    const alpha = floatAttribute(node, "alpha", 1);
    const beta = floatAttribute(node, "beta", 1);
    let bias: { name: string; oneD: boolean } | undefined;
    if (c) {
      const init = this.initializers.get(c);
      if (!init || init.dataType !== FLOAT) return this.skip(node, "its C input is not a float initializer");
      const values = floatValues(init)!;
      const dims = dimsOf(init);
      const n = intAttribute(node, "transB", 0) ? weight.rows : weight.cols;
      const oneD = values.length === n && dims[dims.length - 1] === n;
      const scaled = beta === 1 && dims.length === 1 ? undefined : Float32Array.from(values, (v) => v * beta);
      if (scaled) {
        const name = this.unique(`${c}_bias`);
        this.added.push(tensor(name, FLOAT, oneD ? [n] : dims, scaled));
        bias = { name, oneD };
      } else bias = { name: c, oneD };
    }
    const transposed = intAttribute(node, "transB", 0) === 1;
    const base = this.quantizedWeight(weightName, weight.values, weight.rows, weight.cols, transposed);
    let q = base;
    if (alpha !== 1) {
      const scales = floatValues(this.added.find((t) => t.name === base.scale)!)!;
      const scale = this.unique(`${base.scale}_alpha`);
      this.added.push(
        tensor(
          scale,
          FLOAT,
          [scales.length],
          Float32Array.from(scales, (s) => s * alpha),
        ),
      );
      q = { ...base, scale };
    }
    this.counts.gemms++;
    const name = node.name || output;
    if (this.options.format === "fused") {
      if (bias?.oneD) return [this.fusedNode(name, input, q, bias.name, output)];
      const product = bias ? this.unique(`${name}_product`) : output;
      const nodes = [this.fusedNode(name, input, q, undefined, product)];
      if (bias) nodes.push({ name: this.unique(`${name}_Add_bias`), opType: "Add", input: [product, bias.name], output: [output] });
      return nodes;
    }
    const product = bias ? this.unique(`${name}_product`) : output;
    const nodes = this.standardNodes(name, input, q, product);
    if (bias) nodes.push({ name: this.unique(`${name}_Add_bias`), opType: "Add", input: [product, bias.name], output: [output] });
    return nodes;
  }

  /** Gather(table, ids) -> Cast(Gather(int8 table, ids)) * Gather(row scales [V, 1], ids). */
  private gather(node: NodeProto): NodeProto[] | undefined {
    const [tableName, ids] = node.input ?? [];
    const output = node.output?.[0];
    if (!tableName || !ids || !output || intAttribute(node, "axis", 0) !== 0) return undefined;
    const init = this.initializers.get(tableName);
    if (!init || init.dataType !== FLOAT) return undefined;
    const dims = dimsOf(init);
    if (dims.length !== 2 || dims[0]! * dims[1]! < this.options.minElements) return undefined;
    let table = this.quantizedTables.get(tableName);
    if (!table) {
      const values = floatValues(init)!;
      const { values: q, scales } = quantizeChannels(values, dims[0]!, dims[1]!, 0, 127);
      table = { q: this.unique(`${tableName}_quantized`), scale: this.unique(`${tableName}_scale`) };
      this.added.push(tensor(table.q, INT8, dims, q), tensor(table.scale, FLOAT, [dims[0]!, 1], scales));
      this.quantizedTables.set(tableName, table);
      this.replacedWeights.add(tableName);
      this.counts.floatWeightBytes += values.byteLength;
      this.counts.quantizedWeightBytes += q.byteLength + scales.byteLength;
      this.counts.gathers++;
    }
    const name = node.name || output;
    const t = (suffix: string) => this.unique(`${name}_${suffix}`);
    const [rows, rowScales, asFloat] = [t("int8"), t("row_scale"), t("float")];
    return [
      { name: t("Gather_int8"), opType: "Gather", input: [table.q, ids], output: [rows], attribute: node.attribute ?? [] },
      { name: t("Gather_scale"), opType: "Gather", input: [table.scale, ids], output: [rowScales], attribute: node.attribute ?? [] },
      { name: t("Cast"), opType: "Cast", input: [rows], output: [asFloat], attribute: [{ name: "to", type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }] },
      { name: t("Mul"), opType: "Mul", input: [asFloat, rowScales], output: [output] },
    ];
  }
}

/** The ONNX metadata keys a quantized model carries (also in model.json). */
const PRECISION_METADATA_KEY = "precision";

/**
 * Dynamic int8 quantization as a graph rewrite, in place of ONNX Runtime's Python `quantize_dynamic`:
 * every MatMul whose second input is a float 2-D initializer, and every Gemm whose B is one, runs on int8
 * weights (symmetric, one scale per output channel) with activations quantized to uint8 at run time; the
 * float scale and the bias are applied after the integer product. Embedding tables (Gather over a float
 * initializer) are stored as int8 with a scale per row. Every other op stays float. The returned model is a
 * new object; `model` itself is changed (its graph is rewritten), so pass a freshly decoded one.
 *
 * Throws NothingToQuantizeError when no MatMul or Gemm has an initializer weight.
 */
export function quantizeModel(model: ModelProto, options: QuantizeOptions = {}): { model: ModelProto; report: QuantizeReport } {
  const target = options.reduceRange === undefined ? (options.target ?? localInt8Cpu()) : undefined;
  const resolved: ResolvedOptions = {
    format: options.format ?? "standard",
    embeddings: options.embeddings ?? true,
    minElements: options.minElements ?? 1024,
    reduceRange: options.reduceRange ?? reduceRangeFor(target!),
    reduceRangeReason:
      target === undefined
        ? "asked for"
        : `for ${target.described}: ${target.int8DotProduct ? "32-bit int8 dot products" : "int8 products can saturate in 16 bits"}`,
  };
  const graph = model.graph;
  if (!graph) throw new NothingToQuantizeError("The model has no graph.");
  const metadata = model.metadataProps ?? [];
  if (metadata.some((p) => p.key === PRECISION_METADATA_KEY && p.value === "int8")) {
    throw new NothingToQuantizeError("The model is already int8 (its metadata says precision=int8); quantize its fp32 original instead.");
  }
  const { report, usesContribOps } = new GraphQuantizer(graph, resolved).run();
  if (report.matMuls + report.gemms === 0) {
    const why =
      report.skipped.length === 0
        ? "it has no MatMul or Gemm nodes"
        : `of its ${report.skipped.length} MatMul/Gemm nodes none has a float 2-D initializer weight (${report.skipped[0]!.node}: ` +
          `${report.skipped[0]!.reason})`;
    throw new NothingToQuantizeError(
      `Nothing to quantize: ${why}. Dynamic int8 quantization rewrites MatMul/Gemm nodes whose weight is stored in the model; no output was written.`,
    );
  }
  const defaultOpset = Number((model.opsetImport ?? []).find((o) => !o.domain)?.version ?? 0);
  if (resolved.format === "standard" && defaultOpset < 11) {
    throw new Error(
      `The model imports ONNX opset ${defaultOpset}; DynamicQuantizeLinear needs opset 11 or later. Re-export at opset 11+ or use the fused format.`,
    );
  }
  const opsetImport = [...(model.opsetImport ?? [])];
  if (usesContribOps && !opsetImport.some((o) => o.domain === CONTRIB_DOMAIN)) opsetImport.push({ domain: CONTRIB_DOMAIN, version: 1 });
  const quantized: ModelProto = {
    ...model,
    opsetImport,
    metadataProps: [...metadata.filter((p) => p.key !== PRECISION_METADATA_KEY), { key: PRECISION_METADATA_KEY, value: "int8" }],
  };
  return { model: quantized, report };
}

/** quantizeModel over encoded bytes (a model.onnx file's content). */
export function quantizeModelBytes(bytes: Uint8Array, options: QuantizeOptions = {}): { bytes: Uint8Array; report: QuantizeReport } {
  const decoded = onnx.ModelProto.decode(bytes);
  const { model, report } = quantizeModel(decoded, options);
  return { bytes: onnx.ModelProto.encode(model).finish(), report };
}
