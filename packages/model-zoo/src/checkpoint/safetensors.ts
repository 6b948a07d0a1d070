import { closeSync, openSync, readSync } from "node:fs";

/** The dtypes read here, all as float32: bert checkpoints on the hub are F32, F16 or BF16. */
const SAFETENSORS_FLOAT_DTYPES = ["F32", "F16", "BF16"] as const;
export type SafetensorsDtype = (typeof SAFETENSORS_FLOAT_DTYPES)[number];

const BYTES_PER_VALUE: Readonly<Record<SafetensorsDtype, number>> = { F32: 4, F16: 2, BF16: 2 };

export interface SafetensorsEntry {
  readonly dtype: string;
  readonly shape: readonly number[];
  /** [begin, end) of the tensor's bytes, counted from the end of the header. */
  readonly data_offsets: readonly [number, number];
}

/**
 * One .safetensors file, read lazily: the header once (8-byte little-endian length, then JSON), each tensor's
 * bytes only when asked, so a 440 MB checkpoint is never held whole. Format: github.com/huggingface/safetensors.
 */
export class SafetensorsFile {
  readonly tensors: ReadonlyMap<string, SafetensorsEntry>;
  readonly metadata: Readonly<Record<string, string>>;
  private readonly dataStart: number;

  constructor(readonly path: string) {
    const fd = openSync(path, "r");
    try {
      const lengthBytes = Buffer.alloc(8);
      if (readSync(fd, lengthBytes, 0, 8, 0) !== 8) throw new Error(`${path} is not a safetensors file: it is shorter than its 8-byte header length.`);
      const headerLength = Number(lengthBytes.readBigUInt64LE(0));
      if (headerLength > 100_000_000) throw new Error(`${path} is not a safetensors file: its header length is ${headerLength} bytes.`);
      const header = Buffer.alloc(headerLength);
      readSync(fd, header, 0, headerLength, 8);
      const parsed = JSON.parse(header.toString("utf8")) as Record<string, SafetensorsEntry | Record<string, string>>;
      const { __metadata__: metadata, ...entries } = parsed;
      this.metadata = (metadata as Record<string, string> | undefined) ?? {};
      this.tensors = new Map(Object.entries(entries as Record<string, SafetensorsEntry>));
      this.dataStart = 8 + headerLength;
    } finally {
      closeSync(fd);
    }
  }

  /** The tensor's values as float32 (F16 and BF16 widened exactly). */
  read(name: string): Float32Array {
    const entry = this.tensors.get(name);
    if (!entry) throw new Error(`${this.path} has no tensor ${name}.`);
    const dtype = entry.dtype as SafetensorsDtype;
    if (!SAFETENSORS_FLOAT_DTYPES.includes(dtype)) {
      throw new Error(`${this.path}: tensor ${name} is ${entry.dtype}; only ${SAFETENSORS_FLOAT_DTYPES.join(", ")} weights can be imported.`);
    }
    const [begin, end] = entry.data_offsets;
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * BYTES_PER_VALUE[dtype])
      throw new Error(`${this.path}: tensor ${name} has ${end - begin} bytes for shape [${entry.shape.join(", ")}].`);
    const bytes = Buffer.alloc(end - begin);
    const fd = openSync(this.path, "r");
    try {
      if (readSync(fd, bytes, 0, bytes.length, this.dataStart + begin) !== bytes.length) throw new Error(`${this.path} is truncated (tensor ${name}).`);
    } finally {
      closeSync(fd);
    }
    return toFloat32(bytes, dtype, count);
  }
}

function toFloat32(bytes: Buffer, dtype: SafetensorsDtype, count: number): Float32Array {
  // Copied into aligned arrays (a tensor's offset need not be a multiple of 4); typed arrays are little-endian on every platform Node runs on.
  const out = new Float32Array(count);
  if (dtype === "F32") {
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  const halves = new Uint16Array(count);
  new Uint8Array(halves.buffer).set(bytes);
  if (dtype === "BF16") {
    // bfloat16 is the top half of a float32.
    const wide = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) wide[i] = halves[i]! << 16;
    return out;
  }
  for (let i = 0; i < count; i++) out[i] = halfToFloat(halves[i]!);
  return out;
}

/** IEEE 754 half precision to a number, subnormals, infinities and NaN included. */
export function halfToFloat(half: number): number {
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >> 10) & 0x1f;
  const fraction = half & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** A tensor to write: float32 values, stored as the given dtype. */
export interface TensorToWrite {
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** The bytes of a .safetensors file (for tests and fixtures): F32, F16 (round to nearest even) or BF16 (truncated). */
export function encodeSafetensors(
  tensors: ReadonlyMap<string, TensorToWrite>,
  dtype: SafetensorsDtype = "F32",
  metadata: Record<string, string> = { format: "pt" },
): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, tensor] of tensors) {
    const data = encodeValues(tensor.values, dtype);
    header[name] = { dtype, shape: tensor.shape, data_offsets: [offset, offset + data.length] };
    chunks.push(data);
    offset += data.length;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8); // Data aligned to 8 bytes, as the Rust writer does.
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([length, Buffer.from(json, "utf8"), ...chunks]);
}

function encodeValues(values: Float32Array, dtype: SafetensorsDtype): Buffer {
  if (dtype === "F32") return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const out = Buffer.alloc(values.length * 2);
  const wide = new Uint32Array(Float32Array.from(values).buffer);
  for (let i = 0; i < values.length; i++) out.writeUInt16LE(dtype === "BF16" ? wide[i]! >>> 16 : floatToHalf(values[i]!), i * 2);
  return out;
}

/** Nearest half-precision value (ties to even); for fixtures, so values are expected to be in range. */
export function floatToHalf(value: number): number {
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const magnitude = Math.abs(value);
  if (Number.isNaN(value)) return 0x7e00;
  if (magnitude >= 65520) return sign | 0x7c00;
  if (magnitude < 2 ** -24 / 2) return sign;
  let exponent = Math.floor(Math.log2(magnitude));
  if (exponent < -14) return sign | roundEven(magnitude / 2 ** -24); // subnormal
  let fraction = roundEven((magnitude / 2 ** exponent - 1) * 1024);
  if (fraction === 1024) {
    fraction = 0;
    exponent += 1;
  }
  return sign | ((exponent + 15) << 10) | fraction;
}

function roundEven(x: number): number {
  const floor = Math.floor(x);
  const rest = x - floor;
  if (rest > 0.5 || (rest === 0.5 && floor % 2 === 1)) return floor + 1;
  return floor;
}
