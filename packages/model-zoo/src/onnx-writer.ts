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

  const file = await open(path, "w");
  try {
    const out = new BufferedFile(file);
    await out.write(modelSkeleton);
    await out.write(fieldPrefix(MODEL_GRAPH_TAG, graphLength));
    await out.write(graphSkeleton);
    for (let i = 0; i < initializers.length; i++) {
      await out.write(fieldPrefix(GRAPH_INITIALIZER_TAG, tensorHeads[i]!.length));
      await out.write(tensorHeads[i]!.head);
      await writeTensorData(out, initializers[i]!, random);
    }
    await out.flush();
    return { bytes: modelSkeleton.length + fieldLength(graphLength) };
  } finally {
    await file.close();
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
async function writeTensorData(out: BufferedFile, spec: InitializerSpec, random: SeededRandom): Promise<void> {
  const count = elementCount(spec.dims);
  const { fill } = spec;
  if (fill.kind === "values") {
    if (fill.values.length !== count) throw new Error(`Internal error: ${spec.name} has ${fill.values.length} values for ${count} elements.`);
    const data = spec.dataType === FLOAT ? Float32Array.from(fill.values) : BigInt64Array.from(fill.values, (v) => BigInt(v));
    await out.write(new Uint8Array(data.buffer));
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
class BufferedFile {
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
