import { open } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { elementCount, FLOAT, onnx, type GraphProto, type InitializerSpec } from "./graph-builder.js";
import type { SeededRandom } from "./prng.js";

/** Weights are made and written in slices of this many values, so memory stays flat for any model size. */
const SLICE_VALUES = 1 << 20;

// Protobuf field tags (field number << 3 | wire type 2 = length-delimited) of the fields written by hand.
const MODEL_GRAPH_TAG = (7 << 3) | 2;
const GRAPH_INITIALIZER_TAG = (5 << 3) | 2;
const TENSOR_RAW_DATA_TAG = (9 << 3) | 2;

export interface ModelHeader {
  readonly opsetVersion: number;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly docString: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** Where the encoded model goes, a piece at a time; each write completes before the next piece is made. */
interface ByteSink {
  write(bytes: Uint8Array): Promise<void>;
}

/**
 * Writes an ONNX ModelProto to `path`, streaming the initializers: the message skeleton (nodes, inputs,
 * outputs, opset) is encoded by onnx-proto, and each weight's raw bytes are generated and appended a
 * slice at a time. Lengths are known in advance from the shapes, so nothing is held twice and bert-base
 * (440 MB) is written with a few MB of buffers. Protobuf allows a message's fields in any order, so the
 * initializers follow the graph's other fields.
 */
export async function writeOnnxModel(
  path: string,
  header: ModelHeader,
  graph: GraphProto,
  initializers: readonly InitializerSpec[],
  random: SeededRandom,
): Promise<{ bytes: number }> {
  const layout = modelLayout(header, graph, initializers);
  const file = await open(path, "w");
  try {
    const out = new BufferedFile(file);
    await writeModel(out, layout, initializers, random);
    await out.flush();
    return { bytes: layout.bytes };
  } finally {
    await file.close();
  }
}

/** The same bytes as writeOnnxModel, in memory (one buffer of the model's exact size): for a model that is transformed before it is written. */
export async function encodeOnnxModel(
  header: ModelHeader,
  graph: GraphProto,
  initializers: readonly InitializerSpec[],
  random: SeededRandom,
): Promise<Uint8Array> {
  const layout = modelLayout(header, graph, initializers);
  const model = new Uint8Array(layout.bytes);
  let used = 0;
  await writeModel(
    {
      write: (bytes) => {
        model.set(bytes, used);
        used += bytes.length;
        return Promise.resolve();
      },
    },
    layout,
    initializers,
    random,
  );
  return model;
}

interface ModelLayout {
  readonly modelSkeleton: Uint8Array;
  readonly graphSkeleton: Uint8Array;
  readonly graphLength: number;
  readonly tensorHeads: ReadonlyArray<{ head: Uint8Array; length: number }>;
  /** The whole model's size. */
  readonly bytes: number;
}

function modelLayout(header: ModelHeader, graph: GraphProto, initializers: readonly InitializerSpec[]): ModelLayout {
  const graphSkeleton = onnx.GraphProto.encode(graph).finish();
  const tensorHeads = initializers.map((spec) => tensorHead(spec));
  const graphLength = tensorHeads.reduce((total, head) => total + fieldLength(head.length), graphSkeleton.length);
  const modelSkeleton = onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: "", version: header.opsetVersion }],
    producerName: header.producerName,
    producerVersion: header.producerVersion,
    docString: header.docString,
    metadataProps: Object.entries(header.metadata).map(([key, value]) => ({ key, value })),
  }).finish();
  return { modelSkeleton, graphSkeleton, graphLength, tensorHeads, bytes: modelSkeleton.length + fieldLength(graphLength) };
}

async function writeModel(out: ByteSink, layout: ModelLayout, initializers: readonly InitializerSpec[], random: SeededRandom): Promise<void> {
  await out.write(layout.modelSkeleton);
  await out.write(fieldPrefix(MODEL_GRAPH_TAG, layout.graphLength));
  await out.write(layout.graphSkeleton);
  for (let i = 0; i < initializers.length; i++) {
    await out.write(fieldPrefix(GRAPH_INITIALIZER_TAG, layout.tensorHeads[i]!.length));
    await out.write(layout.tensorHeads[i]!.head);
    await writeTensorData(out, initializers[i]!, random);
  }
}

/** A TensorProto's fields before raw_data, plus raw_data's tag and length; `length` covers the data too. */
function tensorHead(spec: InitializerSpec): { head: Uint8Array; length: number } {
  const meta = onnx.TensorProto.encode({ name: spec.name, dims: [...spec.dims], dataType: spec.dataType }).finish();
  const dataBytes = elementCount(spec.dims) * (spec.dataType === FLOAT ? 4 : 8);
  const rawPrefix = fieldPrefix(TENSOR_RAW_DATA_TAG, dataBytes);
  const head = new Uint8Array(meta.length + rawPrefix.length);
  head.set(meta, 0);
  head.set(rawPrefix, meta.length);
  return { head, length: head.length + dataBytes };
}

/** Raw data is little-endian, as ONNX requires; typed arrays are little-endian on every platform Node supports. */
async function writeTensorData(out: ByteSink, spec: InitializerSpec, random: SeededRandom): Promise<void> {
  const count = elementCount(spec.dims);
  const { fill } = spec;
  if (fill.kind === "values") {
    if (fill.values.length !== count) throw new Error(`Internal error: ${spec.name} has ${fill.values.length} values for ${count} elements.`);
    const data = spec.dataType === FLOAT ? Float32Array.from(fill.values) : BigInt64Array.from(fill.values, (v) => BigInt(v));
    await out.write(new Uint8Array(data.buffer));
    return;
  }
  if (fill.kind === "tensor") {
    const data = fill.read();
    if (data.length !== count) throw new Error(`${spec.name} has ${data.length} values where the graph needs [${spec.dims.join(", ")}] (${count}).`);
    await out.write(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return;
  }
  // One slice buffer is reused: each write completes before the next slice is made.
  const buffer = new Float32Array(Math.min(SLICE_VALUES, count));
  for (let done = 0; done < count; done += SLICE_VALUES) {
    const slice = buffer.subarray(0, Math.min(SLICE_VALUES, count - done));
    if (fill.kind === "normal") random.fillNormal(slice, fill.std);
    else slice.fill(fill.value);
    await out.write(new Uint8Array(slice.buffer, 0, slice.byteLength));
  }
}

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return bytes;
}

function fieldPrefix(tag: number, length: number): Uint8Array {
  return Uint8Array.from([tag, ...varint(length)]);
}

/** Bytes a length-delimited field with a one-byte tag takes, including tag and length. */
function fieldLength(contentLength: number): number {
  return 1 + varint(contentLength).length + contentLength;
}

/** Groups small writes (tags, tensor headers, small tensors) into large ones. */
class BufferedFile implements ByteSink {
  private readonly buffer = Buffer.allocUnsafe(1 << 22);
  private used = 0;

  constructor(private readonly file: FileHandle) {}

  async write(bytes: Uint8Array): Promise<void> {
    if (this.used + bytes.length > this.buffer.length) await this.flush();
    if (bytes.length >= this.buffer.length) {
      await this.file.write(bytes);
      return;
    }
    this.buffer.set(bytes, this.used);
    this.used += bytes.length;
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    await this.file.write(this.buffer.subarray(0, this.used));
    this.used = 0;
  }
}
