import { mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { onnx as OnnxTypes } from "onnx-proto";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLOAT, onnx, tensorValueInfo } from "./graph-builder.js";
import {
  generateModel,
  NothingToQuantizeError,
  quantizeChannels,
  quantizeModel,
  quantizeModelBytes,
  quantizeModelDir,
  type GeneratedModel,
  type ModelInfo,
  type PresetName,
  type QuantizedMatMulFormat,
  type QuantizeOptions,
  localInt8Cpu,
  reduceRangeFor,
} from "./index.js";
import { buildHuggingFaceStyleBert } from "./testing/hf-bert-export.js";

// Every quantized model here is run by the real ONNX Runtime (CPU) against its fp32 original.

let root: string;
const generated = new Map<PresetName, GeneratedModel>();
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "model-zoo-quantize-"));
  for (const size of ["tiny", "mini"] as const) generated.set(size, await generateModel({ size, seed: 5, outDir: join(root, size) }));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const SEQUENCE = 48;
const BATCH = 2;

/** Pseudo-random ids in the vocabulary; the second row is padded for its last 10 tokens. */
function qaFeeds(vocab: number): Record<string, ort.Tensor> {
  const n = BATCH * SEQUENCE;
  const tensor = (f: (row: number, col: number) => number) =>
    new ort.Tensor(
      "int64",
      BigInt64Array.from({ length: n }, (_, i) => BigInt(f(Math.floor(i / SEQUENCE), i % SEQUENCE))),
      [BATCH, SEQUENCE],
    );
  return {
    input_ids: tensor((r, c) => (c === 0 ? 101 : 200 + ((r * 7919 + c * 104729) % (vocab - 200)))),
    attention_mask: tensor((r, c) => (r === 1 && c >= SEQUENCE - 10 ? 0 : 1)),
    token_type_ids: tensor((_r, c) => (c >= 16 ? 1 : 0)),
  };
}

async function runQa(model: Uint8Array | string, feeds: Record<string, ort.Tensor>): Promise<Float32Array[]> {
  const options: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, graphOptimizationLevel: "all" };
  const session = typeof model === "string" ? await ort.InferenceSession.create(model, options) : await ort.InferenceSession.create(model, options);
  try {
    const out = await session.run(feeds);
    return [out["start_logits"]!.data as Float32Array, out["end_logits"]!.data as Float32Array];
  } finally {
    await session.release();
  }
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0,
    aa = 0,
    bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(aa * bb);
}

function maxAbs(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

function opCounts(model: OnnxTypes.IModelProto): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const node of model.graph?.node ?? []) counts[node.opType!] = (counts[node.opType!] ?? 0) + 1;
  return counts;
}

/** Logits of the fp32 and the int8 model agree: direction (cosine) and size (max error vs the logits' range). */
async function expectFaithful(fp32: Uint8Array | string, int8: Uint8Array, vocab: number): Promise<void> {
  const feeds = qaFeeds(vocab);
  const [reference, quantized] = [await runQa(fp32, feeds), await runQa(int8, feeds)];
  for (const i of [0, 1]) {
    expect(quantized[i]!.every(Number.isFinite)).toBe(true);
    expect(cosine(reference[i]!, quantized[i]!)).toBeGreaterThan(0.99);
    const range = Math.max(...reference[i]!.map(Math.abs));
    expect(maxAbs(reference[i]!, quantized[i]!)).toBeLessThan(0.15 * range);
  }
}

describe("quantizeChannels", () => {
  it("gives each output column its own scale and reconstructs every weight within half a step", () => {
    // 3 x 2, column 0 small, column 1 large, plus a column of zeros in a second matrix.
    const w = Float32Array.from([0.012, -2, -0.02, 1, 0.005, 0.5]);
    const { values, scales } = quantizeChannels(w, 3, 2, 1);
    expect(scales[0]).toBeCloseTo(0.02 / 127, 8);
    expect(scales[1]).toBeCloseTo(2 / 127, 8);
    expect(Array.from(values)).toEqual([76, -127, -127, 64, 32, 32]);
    for (let i = 0; i < w.length; i++) expect(Math.abs(values[i]! * scales[i % 2]! - w[i]!)).toBeLessThanOrEqual(scales[i % 2]! / 2 + 1e-9);
    const zeros = quantizeChannels(new Float32Array(4), 2, 2, 0);
    expect(Array.from(zeros.scales)).toEqual([1, 1]);
    expect(Array.from(zeros.values)).toEqual([0, 0, 0, 0]);
  });

  it("keeps 7-bit weights with reduce range", () => {
    const { values } = quantizeChannels(Float32Array.from([1, -1, 0.25]), 3, 1, 1, 63);
    expect(Array.from(values)).toEqual([63, -63, 16]);
  });
});

describe.each<QuantizedMatMulFormat>(["fused", "standard"])("quantizeModel (%s format) on the zoo's graphs", (format) => {
  it.each<PresetName>(["tiny", "mini"])("%s: every MatMul with a weight becomes int8, ONNX Runtime runs it, and the logits match fp32", async (size) => {
    const model = generated.get(size)!;
    const fp32 = await readFile(model.files[0]!);
    const { bytes, report } = quantizeModelBytes(fp32, { format });
    const layers = size === "tiny" ? 2 : 4;
    // Q, K, V, attention output, intermediate, output per layer; qa_outputs too when it has >= 1024 weights (mini: 256 x 2 = 512, tiny: 256).
    expect(report.matMuls).toBe(6 * layers);
    // The attention score MatMuls (no weight) and the small QA head stay float.
    expect(report.skipped).toHaveLength(2 * layers + 1);
    expect(report.skipped.filter((s) => /not an initializer/.test(s.reason))).toHaveLength(2 * layers);
    expect(report.gathers).toBe(2); // word and position embeddings; token types (2 x H) are too small.
    expect(bytes.length).toBeLessThan(0.3 * fp32.length);

    const decoded = onnx.ModelProto.decode(bytes);
    const ops = opCounts(decoded);
    expect(ops["MatMul"]).toBe(2 * layers + 1);
    if (format === "fused") expect(ops["DynamicQuantizeMatMul"]).toBe(6 * layers);
    else expect([ops["DynamicQuantizeLinear"], ops["MatMulInteger"]]).toEqual([6 * layers, 6 * layers]);
    const floatWeights = decoded.graph!.initializer!.filter((t) => t.dataType === FLOAT && t.dims!.length === 2 && !t.name!.endsWith("_scale"));
    expect(floatWeights.map((t) => t.name).sort()).toEqual(["bert.embeddings.token_type_embeddings.weight", "qa_outputs.weight"]);
    expect(decoded.metadataProps!.find((p) => p.key === "precision")?.value).toBe("int8");
    await expectFaithful(fp32, bytes, 30522);
  });
});

describe.each<QuantizedMatMulFormat>(["fused", "standard"])("quantizeModel (%s format) on a Hugging Face-style BERT export", (format) => {
  it("rewrites the onnx::MatMul weights, keeps the Shape/Gather plumbing and attention float, and runs in ONNX Runtime", async () => {
    const fp32 = onnx.ModelProto.encode(buildHuggingFaceStyleBert()).finish();
    const { model, report } = quantizeModel(onnx.ModelProto.decode(fp32), { format });
    const bytes = onnx.ModelProto.encode(model).finish();
    // 2 layers x 6 linear layers; qa_outputs (64 x 2) is under the size threshold.
    expect(report.matMuls).toBe(12);
    expect(report.gathers).toBe(2);
    const before = opCounts(onnx.ModelProto.decode(fp32));
    const after = opCounts(model);
    for (const op of ["Shape", "Concat", "Reshape", "Unsqueeze", "Slice", "Softmax", "LayerNormalization", "Split", "Squeeze", "Erf"])
      expect(after[op]).toBe(before[op]);
    expect(after["MatMul"]).toBe(2 * 2 + 1);
    // No float copy of a quantized weight is left behind.
    const names = new Set(model.graph!.initializer!.map((t) => t.name));
    expect(
      [...names].filter((n) => n!.startsWith("onnx::MatMul_") && !n!.endsWith("_quantized") && !n!.endsWith("_scale") && !n!.endsWith("_zero_point")),
    ).toHaveLength(1); // qa_outputs
    await expectFaithful(fp32, bytes, 1000);
  });
});

/** A graph of two Gemms (transB=1 with alpha, beta and a bias; plain) around a Relu, on [batch, 64] inputs. */
function gemmModel(): Uint8Array {
  const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.1);
  const init = (name: string, dims: number[], data: Float32Array) => ({ name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer) });
  const f = (name: string, v: number) => ({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: v });
  const i = (name: string, v: number) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i: v });
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 13 }],
    graph: {
      name: "gemms",
      node: [
        { opType: "Gemm", name: "dense", input: ["x", "W1", "b1"], output: ["h"], attribute: [i("transB", 1), f("alpha", 0.5), f("beta", 2)] },
        { opType: "Relu", name: "relu", input: ["h"], output: ["r"] },
        { opType: "Gemm", name: "head", input: ["r", "W2"], output: ["y"] },
      ],
      initializer: [init("W1", [96, 64], values(96 * 64, 1)), init("b1", [96], values(96, 2)), init("W2", [96, 32], values(96 * 32, 3))],
      input: [tensorValueInfo("x", FLOAT, ["batch", "features"])],
      output: [tensorValueInfo("y", FLOAT, ["batch", "outputs"])],
    },
  }).finish();
}

describe("quantizeModel on Gemm", () => {
  // The default quantizes for the CPU running the test: 8-bit weights with VNNI, 7-bit without (where 8-bit weights
  // saturate: cosine 0.98066 measured on an AVX2-only EPYC). Forced 7-bit weights hold on every x86 CPU.
  it.each<[QuantizedMatMulFormat, QuantizeOptions]>([
    ["fused", {}],
    ["standard", {}],
    ["fused", { reduceRange: true }],
    ["standard", { reduceRange: true }],
  ])("%s %o: folds transB, alpha and beta x C, and matches the float result on this CPU", async (format, options) => {
    const fp32 = gemmModel();
    const { bytes, report } = quantizeModelBytes(fp32, { format, ...options });
    expect(report.gemms).toBe(2);
    expect(report.reduceRange).toBe(options.reduceRange ?? reduceRangeFor(localInt8Cpu()));
    const x = new ort.Tensor(
      "float32",
      Float32Array.from({ length: 4 * 64 }, (_, k) => Math.cos(k)),
      [4, 64],
    );
    const run = async (model: Uint8Array) => {
      const session = await ort.InferenceSession.create(model);
      const y = (await session.run({ x }))["y"]!.data as Float32Array;
      await session.release();
      return y;
    };
    const [reference, quantized] = [await run(fp32), await run(bytes)];
    expect(cosine(reference, quantized)).toBeGreaterThan(0.999);
  });
});

describe("quantizeModelDir", () => {
  it("writes model.onnx, copies the tokenizer, records precision in model.json; ONNX Runtime loads the result", async () => {
    const source = generated.get("tiny")!;
    // Companion files are copied; an ORT-format cache and other ONNX files of the fp32 model are not.
    await Promise.all([
      writeFile(join(source.dir, "config.json"), "{}"),
      writeFile(join(source.dir, "model.ort"), "x"),
      writeFile(join(source.dir, "model_fp16.onnx"), "x"),
    ]);
    const out = join(root, "tiny-int8");
    const result = await quantizeModelDir({ dir: source.dir, outDir: out });
    expect((await readdir(out)).sort()).toEqual(["config.json", "model.json", "model.onnx", "tokenizer.json"]);
    expect(result.bytes).toBe((await stat(join(out, "model.onnx"))).size);
    expect(result.fromBytes).toBe(source.bytes);
    expect(await readFile(join(out, "tokenizer.json"), "utf8")).toBe(await readFile(source.files[1]!, "utf8"));
    const info = JSON.parse(await readFile(join(out, "model.json"), "utf8")) as ModelInfo;
    expect(info).toMatchObject({
      name: "bert-qa-tiny-seed5-int8",
      precision: "int8",
      size: "tiny",
      maxSequenceLength: 128,
      quantization: { method: "dynamic", fromBytes: source.bytes },
    });
    await expectFaithful(source.files[0]!, await readFile(join(out, "model.onnx")), 30522);
  });

  it("refuses an int8 model, and writing over its own directory", async () => {
    await expect(quantizeModelDir({ dir: join(root, "tiny-int8"), outDir: join(root, "again") })).rejects.toThrow(/already int8; quantize its fp32 original/);
    await expect(quantizeModelDir({ dir: generated.get("tiny")!.dir, outDir: generated.get("tiny")!.dir })).rejects.toThrow(
      /must differ from the model directory/,
    );
  });

  it("says there is nothing to quantize, and writes nothing, for a model without a MatMul weight", async () => {
    const dir = join(root, "no-weights");
    await mkdir(dir, { recursive: true });
    const model = onnx.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ domain: "", version: 13 }],
      graph: {
        name: "no_weights",
        node: [
          { opType: "MatMul", name: "product", input: ["a", "b"], output: ["c"] },
          { opType: "Relu", name: "relu", input: ["c"], output: ["y"] },
        ],
        input: [tensorValueInfo("a", FLOAT, ["m", "k"]), tensorValueInfo("b", FLOAT, ["k", "n"])],
        output: [tensorValueInfo("y", FLOAT, ["m", "n"])],
      },
    }).finish();
    await writeFile(join(dir, "model.onnx"), model);
    const out = join(root, "no-weights-int8");
    const attempt = quantizeModelDir({ dir, outDir: out });
    await expect(attempt).rejects.toThrow(
      /Nothing to quantize: of its 1 MatMul\/Gemm nodes none has a float 2-D initializer weight \(product: its weight is not an initializer/,
    );
    await expect(attempt).rejects.toThrow(/no output was written/);
    await expect(stat(out)).rejects.toThrow(/ENOENT/);
    expect(() => quantizeModelBytes(model)).toThrow(NothingToQuantizeError);
  });
});

describe("generateModel with precision int8", () => {
  it("writes an int8 model directory (no fp32 scratch left) that ONNX Runtime runs", async () => {
    const out = join(root, "generated-int8");
    const model = await generateModel({ size: "tiny", seed: 5, outDir: out, precision: "int8" });
    expect(model.precision).toBe("int8");
    expect(model.name).toBe("bert-qa-tiny-seed5-int8");
    // The marker says generation may write this folder again.
    expect((await readdir(out)).sort()).toEqual([".inference-fleet-model", "model.json", "model.onnx", "tokenizer.json"]);
    expect(model.bytes).toBeLessThan(0.3 * generated.get("tiny")!.bytes);
    const info = JSON.parse(await readFile(model.files[2]!, "utf8")) as ModelInfo;
    expect(info.precision).toBe("int8");
    // Same seed, same fp32 weights: the int8 file is the tiny seed-5 model quantized.
    expect((await readFile(model.files[0]!)).equals(await readFile(join(root, "tiny-int8", "model.onnx")))).toBe(true);
    expect(await readFile(model.files[2]!, "utf8")).toBe(await readFile(join(root, "tiny-int8", "model.json"), "utf8"));
    expect(model.quantization?.fromBytes).toBe(generated.get("tiny")!.bytes);
  });

  it("records fp32 in model.json by default", async () => {
    const info = JSON.parse(await readFile(generated.get("tiny")!.files[2]!, "utf8")) as ModelInfo;
    expect(info.precision).toBe("fp32");
  });
});
