// Parity with the reference math: model.onnx built from a checkpoint's safetensors gives the logits of a PyTorch
// BERT (reference/bert_reference.py, written from transformers' definitions) run on the same files, within 1e-4.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { MODEL_FILE } from "../model-info.js";
import {
  pytorchMissing,
  runPytorchReference,
  tinyCasedMultilingualQaCheckpoint,
  tinyUncasedClassifierCheckpoint,
  writeCheckpointFiles,
  type CheckpointFiles,
  type ReferenceInputs,
} from "../testing/index.js";
import { buildModelFromCheckpoint } from "./build-from-checkpoint.js";

const missing = pytorchMissing();
if (missing) console.warn(`model-zoo: skipping the PyTorch parity tests: ${missing}.`);

/** Two rows: the second padded after 7 tokens, so the attention mask is exercised. */
function inputsFor(vocabSize: number): ReferenceInputs {
  const length = 12;
  const ids = [0, 1].map((row) => Array.from({ length }, (_, i) => (i === 0 ? 101 : 104 + ((row * 31 + i * 17) % (vocabSize - 104)))));
  const mask = [Array(length).fill(1), Array.from({ length }, (_, i) => (i < 7 ? 1 : 0))];
  ids[1] = ids[1]!.map((id, i) => (i < 7 ? id : 0));
  const types = [0, 1].map(() => Array.from({ length }, (_, i) => (i < 5 ? 0 : 1)));
  return { input_ids: ids, attention_mask: mask, token_type_ids: types };
}

async function onnxLogits(modelPath: string, inputs: ReferenceInputs): Promise<Record<string, number[][]>> {
  const session = await ort.InferenceSession.create(modelPath);
  const tensor = (rows: readonly (readonly number[])[]) =>
    new ort.Tensor(
      "int64",
      BigInt64Array.from(rows.flat(), (v) => BigInt(v)),
      [rows.length, rows[0]!.length],
    );
  const outputs = await session.run({
    input_ids: tensor(inputs.input_ids),
    attention_mask: tensor(inputs.attention_mask),
    token_type_ids: tensor(inputs.token_type_ids),
  });
  await session.release();
  return Object.fromEntries(
    Object.entries(outputs).map(([name, value]) => {
      const [rows, columns] = value.dims as [number, number];
      const data = value.data as Float32Array;
      return [name, Array.from({ length: rows }, (_, r) => Array.from(data.subarray(r * columns, (r + 1) * columns)))];
    }),
  );
}

/** Largest absolute difference over the positions the mask keeps (padding logits are not compared for QA). */
function maxDifference(a: Record<string, number[][]>, b: Record<string, number[][]>, mask?: readonly (readonly number[])[]): number {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  let worst = 0;
  for (const name of Object.keys(a)) {
    a[name]!.forEach((row, r) =>
      row.forEach((value, c) => (mask && mask[r]![c] === 0 ? undefined : (worst = Math.max(worst, Math.abs(value - b[name]![r]![c]!))))),
    );
  }
  return worst;
}

async function checkParity(files: CheckpointFiles, vocabSize: number): Promise<{ difference: number; spread: number }> {
  const work = await mkdtemp(join(tmpdir(), "parity-"));
  await writeCheckpointFiles(join(work, "checkpoint"), files);
  await buildModelFromCheckpoint({
    checkpointDir: join(work, "checkpoint"),
    outDir: join(work, "model"),
    source: "hf://test/parity",
    revision: "main",
    commit: "0".repeat(40),
    name: "parity",
  });
  const inputs = inputsFor(vocabSize);
  const onnx = await onnxLogits(join(work, "model", MODEL_FILE), inputs);
  const reference = runPytorchReference(join(work, "checkpoint"), inputs);
  const values = Object.values(reference).flat(2);
  const mask = "logits" in reference ? undefined : inputs.attention_mask;
  return { difference: maxDifference(onnx, reference, mask), spread: Math.max(...values) - Math.min(...values) };
}

describe.skipIf(missing)("an imported checkpoint's logits match the PyTorch reference", () => {
  it.each([
    ["F32", 1],
    ["F16", 1],
    ["BF16", 1],
    ["F32", 3],
  ] as const)("BertForQuestionAnswering, cased multilingual, %s weights in %i file(s): within 1e-4", { timeout: 60_000 }, async (dtype, shards) => {
    const files = tinyCasedMultilingualQaCheckpoint({ dtype, shards });
    const vocab = Object.keys((JSON.parse(files["tokenizer.json"]!.toString()) as { model: { vocab: object } }).model.vocab).length;
    const { difference, spread } = await checkParity(files, vocab);
    expect(spread).toBeGreaterThan(0.5); // The logits differ enough that a wrong weight would show.
    expect(difference).toBeLessThan(1e-4);
  });

  it("BertForSequenceClassification (pooler + classifier): within 1e-4", { timeout: 60_000 }, async () => {
    const { difference, spread } = await checkParity(tinyUncasedClassifierCheckpoint(), 30522);
    expect(spread).toBeGreaterThan(0.01); // Four logits (two rows, two labels): 100 times the tolerance apart at least.
    expect(difference).toBeLessThan(1e-4);
  });
});
