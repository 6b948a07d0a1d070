// ensureModel never writes over a user's model: it generates only into a new, empty or marked folder, and reads an
// export without model.json as it is.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseFleetConfig } from "@inference-fleet/fleet-config";
import { localInt8Cpu, MODEL_INFO_FILE, OWNED_MARKER_FILE, reduceRangeFor } from "@inference-fleet/model-zoo";
import { writeOptimumStyleExport } from "@inference-fleet/model-zoo/testing";
import { beforeEach, describe, expect, it } from "vitest";
import { ensureModel } from "./ensure-model.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "ensure-model-"));
});

const stack = (source: string, model: Record<string, unknown> = {}) =>
  parseFleetConfig({ stack: "t", instanceType: "c7i.xlarge", model: { source, ...model } });
const ensure = (source: string, model: Record<string, unknown> = {}) => ensureModel(stack(source, model), root, () => undefined);
const snapshot = (dir: string) => Object.fromEntries(readdirSync(dir).map((file) => [file, readFileSync(path.join(dir, file)).toString("base64")]));

describe("ensureModel", { timeout: 30_000 }, () => {
  it.each([
    ["c7i.xlarge", "stack", 8], // Sapphire Rapids: VNNI/AMX sum int8 in 32 bits
    ["g5.xlarge", "stack", 7], // AMD Rome: AVX2 only
    ["c7i.xlarge", "local", reduceRangeFor(localInt8Cpu()) ? 7 : 8], // this machine's CPU, whatever the stack says
  ] as const)("makes an int8 model for %s with int8For %s: %i-bit weights, recorded in model.json", async (instanceType, int8For, bits) => {
    const config = parseFleetConfig({ stack: "t", instanceType, model: { source: "int8", precision: "int8", generate: { size: "tiny" } } });
    const lines: string[] = [];
    const dir = await ensureModel(config, root, (line) => lines.push(line), { int8For });
    const info = JSON.parse(readFileSync(path.join(dir, MODEL_INFO_FILE), "utf8")) as { quantization: { weightBits: number; weightBitsReason: string } };
    expect(info.quantization.weightBits).toBe(bits);
    if (int8For === "stack") {
      expect(info.quantization.weightBitsReason).toContain(instanceType);
      // The same folder asked for by a stack whose CPU wants the other width: said, with the fix.
      const other = parseFleetConfig({ stack: "t", instanceType: bits === 8 ? "g5.xlarge" : "c7i.xlarge", model: config.model });
      await ensureModel(other, root, (line) => lines.push(line), { int8For: "stack" });
      expect(lines.at(-1)).toMatch(new RegExp(`warning: int8 has ${bits}-bit int8 weights, but .* wants ${bits === 8 ? 7 : 8}-bit ones`));
    }
  });

  it("does not generate into a folder holding someone else's files, and leaves them as they were", async () => {
    const dir = path.join(root, "mine");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "notes.txt"), "keep me");
    await expect(ensure("mine")).rejects.toThrow(/Not writing a generated model into .*mine: it holds files the project did not write \(notes\.txt\)/);
    expect(snapshot(dir)).toEqual({ "notes.txt": Buffer.from("keep me").toString("base64") });
  });

  it("reads a model.onnx without a tokenizer.json as a user's model (an error naming the file), never as a folder to generate into", async () => {
    const dir = path.join(root, "half");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "model.onnx"), "weights");
    await expect(ensure("half")).rejects.toThrow(/half has no tokenizer\.json/);
    expect(readdirSync(dir)).toEqual(["model.onnx"]);
  });

  it("serves an optimum export without model.json as it is, and checks its task against the stack", async () => {
    writeOptimumStyleExport(path.join(root, "export"));
    const before = snapshot(path.join(root, "export"));
    expect(await ensure("export")).toBe(path.join(root, "export"));
    await expect(ensure("export", { task: "text-classification" })).rejects.toThrow(
      /is question-answering, but the stack says model\.task text-classification/,
    );
    expect(snapshot(path.join(root, "export"))).toEqual(before);
  });

  it("says which model.json to write when an export's task cannot be told", async () => {
    writeOptimumStyleExport(path.join(root, "odd"), { outputNames: ["span_a", "span_b"] });
    writeFileSync(path.join(root, "odd", "config.json"), "{}");
    await expect(ensure("odd")).rejects.toThrow(
      /Cannot tell what .*model\.onnx serves: .*write .*odd\/model\.json with \{"name":"my-model","task":"question-answering","maxSequenceLength":128\}/,
    );
    expect(existsSync(path.join(root, "odd", MODEL_INFO_FILE))).toBe(false);
  });

  it("generates a text-classification model when the stack asks for one, into a folder it marks as its own", async () => {
    const dir = await ensure("models/classifier", { task: "text-classification" });
    expect(readdirSync(dir)).toContain(OWNED_MARKER_FILE);
    expect(JSON.parse(readFileSync(path.join(dir, MODEL_INFO_FILE), "utf8"))).toMatchObject({
      task: "text-classification",
      id2label: { 0: "LABEL_0", 1: "LABEL_1" },
      outputs: [{ name: "logits", shape: ["batch", "2"] }],
    });
  });

  it("generates again into a marked folder an interrupted run left without model.json", async () => {
    const dir = path.join(root, "models", "interrupted");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, OWNED_MARKER_FILE), "{}");
    writeFileSync(path.join(dir, "tokenizer.json"), "partial");
    expect(await ensure("models/interrupted")).toBe(dir);
    expect(JSON.parse(readFileSync(path.join(dir, MODEL_INFO_FILE), "utf8")).task).toBe("question-answering");
  });
});
