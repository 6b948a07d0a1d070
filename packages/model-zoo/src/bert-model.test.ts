import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateModel, type GeneratedModel, type PresetName } from "./index.js";

// Real ONNX Runtime (CPU) on real generated files: the contract the model server relies on.

let root: string;
const models = new Map<string, GeneratedModel>();
const sessions: ort.InferenceSession[] = [];

async function model(size: PresetName, seed: number): Promise<GeneratedModel> {
  const key = `${size}-${seed}`;
  const existing = models.get(key);
  if (existing) return existing;
  const generated = await generateModel({ size, seed, outDir: join(root, key) });
  models.set(key, generated);
  return generated;
}

const sessionsByFile = new Map<string, Promise<ort.InferenceSession>>();

/** One session per model file (creating one costs more than the runs in a test), unless options are given. */
async function session(generated: GeneratedModel, options?: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  const path = generated.files[0]!;
  if (!options && sessionsByFile.has(path)) return sessionsByFile.get(path)!;
  const created = ort.InferenceSession.create(path, { intraOpNumThreads: 1, ...options });
  if (!options) sessionsByFile.set(path, created);
  sessions.push(await created);
  return created;
}

/** Deterministic token ids in the vocabulary for a [batch, sequence] input. */
function tokenIds(batch: number, sequence: number): bigint[] {
  return Array.from({ length: batch * sequence }, (_, i) => BigInt(1000 + ((i * 7919) % 29000)));
}

interface QaInput {
  readonly batch: number;
  readonly sequence: number;
  readonly ids?: bigint[];
  /** 1 for real tokens, 0 for padding; all 1 by default. */
  readonly mask?: bigint[];
  /** 0 for the question, 1 for the context; the second half of each row is context by default. */
  readonly types?: bigint[];
}

async function runQa(qa: ort.InferenceSession, input: QaInput): Promise<{ start: ort.Tensor; end: ort.Tensor }> {
  const { batch, sequence } = input;
  const count = batch * sequence;
  const tensor = (values: bigint[]) => new ort.Tensor("int64", BigInt64Array.from(values), [batch, sequence]);
  const out = await qa.run({
    input_ids: tensor(input.ids ?? tokenIds(batch, sequence)),
    attention_mask: tensor(input.mask ?? Array<bigint>(count).fill(1n)),
    token_type_ids: tensor(input.types ?? Array.from({ length: count }, (_, i) => (i % sequence >= sequence / 2 ? 1n : 0n))),
  });
  return { start: out.start_logits!, end: out.end_logits! };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "model-zoo-test-"));
});

afterAll(async () => {
  await Promise.all(sessions.map((s) => s.release()));
  await rm(root, { recursive: true, force: true });
});

describe.each(["tiny", "mini"] as const)("the %s preset in ONNX Runtime", (size) => {
  it.each([
    [1, 16],
    [4, 16],
    [1, 128],
    [4, 128],
  ])("runs batch %i at sequence length %i with [batch, sequence] logits", async (batch, sequence) => {
    const qa = await session(await model(size, 7));
    const { start, end } = await runQa(qa, { batch, sequence });
    expect(start.dims).toEqual([batch, sequence]);
    expect(end.dims).toEqual([batch, sequence]);
    expect(start.type).toBe("float32");
    const values = [...(start.data as Float32Array), ...(end.data as Float32Array)];
    expect(values.every(Number.isFinite)).toBe(true);
    // Rows of different tokens give different logits: the inputs reach the outputs.
    expect(new Set(values).size).toBeGreaterThan(batch * sequence);
  });

  it("ignores padding: masked positions do not change the logits of the real ones", async () => {
    const qa = await session(await model(size, 7));
    const real = 10;
    const padded = 16;
    const ids = tokenIds(1, padded);
    const types = ids.map((_, i) => (i >= 4 ? 1n : 0n));
    const alone = await runQa(qa, { batch: 1, sequence: real, ids: ids.slice(0, real), types: types.slice(0, real) });
    const mask = ids.map((_, i) => (i < real ? 1n : 0n));
    const withPadding = await runQa(qa, { batch: 1, sequence: padded, ids, types, mask });
    for (const key of ["start", "end"] as const) {
      const realPart = (withPadding[key].data as Float32Array).subarray(0, real);
      expect(maxAbsDiff(realPart, alone[key].data as Float32Array)).toBeLessThan(1e-4);
    }
    // And the mask matters: unmasking the padding changes the real positions' logits.
    const unmasked = await runQa(qa, { batch: 1, sequence: padded, ids, types });
    expect(maxAbsDiff((unmasked.start.data as Float32Array).subarray(0, real), alone.start.data as Float32Array)).toBeGreaterThan(1e-4);
  });
});

describe("seeds", () => {
  it("gives different outputs for different seeds", async () => {
    const [a, b] = await Promise.all([model("tiny", 7), model("tiny", 8)]);
    const [outA, outB] = await Promise.all([runQa(await session(a), { batch: 1, sequence: 16 }), runQa(await session(b), { batch: 1, sequence: 16 })]);
    expect(maxAbsDiff(outA.start.data as Float32Array, outB.start.data as Float32Array)).toBeGreaterThan(1e-3);
  });

  it("gives a byte-identical model.onnx (and model.json) for the same seed", async () => {
    const first = await model("tiny", 7);
    const again = await generateModel({ size: "tiny", seed: 7, outDir: join(root, "tiny-7-again") });
    const sha256 = async (path: string) =>
      createHash("sha256")
        .update(await readFile(path))
        .digest("hex");
    expect(await sha256(again.files[0]!)).toBe(await sha256(first.files[0]!));
    expect(await sha256(again.files[2]!)).toBe(await sha256(first.files[2]!));
    expect(again.bytes).toBe((await readFile(first.files[0]!)).length);
  });
});

describe("ONNX Runtime's graph optimizer", () => {
  it("fuses the BERT patterns into Attention, EmbedLayerNormalization, SkipLayerNormalization and BiasGelu", async () => {
    const generated = await model("tiny", 7);
    const optimizedPath = join(root, "tiny-optimized.onnx");
    await session(generated, { graphOptimizationLevel: "extended", optimizedModelFilePath: optimizedPath });
    const optimized = onnxProto.onnx.ModelProto.decode(await readFile(optimizedPath));
    const counts: Record<string, number> = {};
    for (const node of optimized.graph?.node ?? []) counts[node.opType!] = (counts[node.opType!] ?? 0) + 1;
    const layers = 2;
    expect(counts).toMatchObject({ Attention: layers, EmbedLayerNormalization: 1, SkipLayerNormalization: 2 * layers, BiasGelu: layers });
    expect(counts.Softmax).toBeUndefined();
    expect(counts.Erf).toBeUndefined();
  });
});
