import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateModel } from "@inference-fleet/model-zoo";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../cli.js";
import { commands } from "./index.js";
import { modelQuantize } from "./model-quantize.js";
import { captureConsole } from "../testing/capture-console.js";

// Until the command is registered in index.ts, the tests hand it to main() themselves.
const withQuantize = commands.some((c) => c.path.join(" ") === "model quantize") ? commands : [...commands, modelQuantize];

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "fleet-quantize-"));
  await generateModel({ size: "tiny", seed: 9, outDir: join(root, "tiny") });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
afterEach(() => vi.restoreAllMocks());

const capture = captureConsole;

describe("fleet model quantize", () => {
  it("writes DIR-int8 by default and prints what it quantized and the size against fp32", async () => {
    const io = capture();
    expect(await main(["model", "quantize", "--dir", join(root, "tiny")], withQuantize)).toBe(0);
    const out = join(root, "tiny-int8");
    expect((await readdir(out)).sort()).toEqual(["model.json", "model.onnx", "tokenizer.json"]);
    expect(JSON.parse(await readFile(join(out, "model.json"), "utf8"))).toMatchObject({
      name: "bert-qa-tiny-seed9-int8",
      precision: "int8",
      quantization: { format: "standard" },
    });
    expect(io.out()).toMatch(/Quantized 12 MatMul, 0 Gemm and 2 embedding tables \(standard\); 5 MatMul\/Gemm kept float/);
    expect(io.out()).toMatch(/model\.onnx 4\.\d MB, 2\d\.\d% of 17\.5 MB, in \d+\.\d\d s\./);
  });

  it("takes --out, --format fused and --reduce-range", async () => {
    capture();
    const out = join(root, "fused");
    expect(await main(["model", "quantize", "--dir", join(root, "tiny"), "--out", out, "--format", "fused", "--reduce-range"], withQuantize)).toBe(0);
    expect(JSON.parse(await readFile(join(out, "model.json"), "utf8"))).toMatchObject({ precision: "int8", quantization: { format: "fused" } });
  });

  it("fails (exit 1) with a clear message and writes nothing for a model with nothing to quantize", async () => {
    const dir = join(root, "empty-model");
    await mkdir(dir, { recursive: true });
    // A valid ONNX model with no nodes: ModelProto { ir_version: 8, graph: {} }.
    await writeFile(join(dir, "model.onnx"), Uint8Array.from([0x08, 0x08, 0x3a, 0x00]));
    const io = capture();
    expect(await main(["model", "quantize", "--dir", dir, "--out", join(root, "empty-int8")], withQuantize)).toBe(1);
    expect(io.err()).toMatch(/Nothing to quantize: it has no MatMul or Gemm nodes.*no output was written/);
    await expect(stat(join(root, "empty-int8"))).rejects.toThrow(/ENOENT/);
  });

  it.each([
    [[], /--dir is required/],
    [["--dir", "x", "--format", "qdq"], /--format must be one of standard, fused, got "qdq"/],
  ])("treats %j as a usage error", async (args, message) => {
    const io = capture();
    expect(await main(["model", "quantize", ...args], withQuantize)).toBe(2);
    expect(io.err()).toMatch(message);
  });
});

describe("fleet model generate --precision", () => {
  it("writes an int8 model and says how it compares with fp32", async () => {
    const io = capture();
    const out = join(root, "generated-int8");
    expect(await main(["model", "generate", "--size", "tiny", "--seed", "9", "--precision", "int8", "--out", out], withQuantize)).toBe(0);
    expect(JSON.parse(await readFile(join(out, "model.json"), "utf8"))).toMatchObject({ name: "bert-qa-tiny-seed9-int8", precision: "int8" });
    expect(io.out()).toMatch(/\(tiny, seed 9, int8\)[\s\S]*model\.onnx 4\.\d MB \(2\d\.\d% of fp32's 17\.5 MB\)/);
  });

  it("rejects an unknown precision", async () => {
    const io = capture();
    expect(await main(["model", "generate", "--precision", "fp16", "--out", join(root, "x")], withQuantize)).toBe(2);
    expect(io.err()).toMatch(/--precision must be one of fp32, int8, got "fp16"/);
  });
});
