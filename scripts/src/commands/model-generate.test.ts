import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../cli.js";
import { captureConsole } from "../testing/capture-console.js";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "fleet-model-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
afterEach(() => vi.restoreAllMocks());

const capture = captureConsole;

describe("fleet model generate", () => {
  it("writes the three files and prints them with the parameter count and the time taken", async () => {
    const io = capture();
    const dir = join(root, "tiny");
    expect(await main(["model", "generate", "--size", "tiny", "--seed", "7", "--out", dir])).toBe(0);
    // The marker: a folder generation made, and may write again.
    expect((await readdir(dir)).sort()).toEqual([".inference-fleet-model", "model.json", "model.onnx", "tokenizer.json"]);
    expect(io.out()).toMatch(/model\.onnx[\s\S]*4,369,666 parameters, model\.onnx 17\.5 MB, in \d+\.\d\d s\./);
  });

  it("--task text-classification --labels 3 writes a classifier whose model.json has the labels", async () => {
    const io = capture();
    const dir = join(root, "classifier");
    expect(await main(["model", "generate", "--task", "text-classification", "--labels", "3", "--seed", "2", "--out", dir])).toBe(0);
    const info = JSON.parse(await readFile(join(dir, "model.json"), "utf8")) as Record<string, unknown>;
    expect(info).toMatchObject({
      name: "bert-classifier-tiny-seed2",
      task: "text-classification",
      id2label: { 0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2" },
      outputs: [{ name: "logits", dataType: "float32", shape: ["batch", "3"] }],
    });
    expect(io.out()).toMatch(/Wrote bert-classifier-tiny-seed2/);
  });

  it("does not write over a model it did not make", async () => {
    const io = capture();
    const dir = join(root, "users");
    await mkdir(dir);
    await writeFile(join(dir, "model.onnx"), "mine");
    expect(await main(["model", "generate", "--out", dir])).toBe(1);
    expect(io.err()).toMatch(/Not writing a generated model into .*users: it holds files the project did not write \(model\.onnx\)/);
    expect(await readFile(join(dir, "model.onnx"), "utf8")).toBe("mine");
  });

  it.each([
    [["--size", "huge"], /--size must be one of tiny, mini, base, got "huge"/],
    [["--seed", "seven"], /--seed must be a whole number from 0/],
    [["--seed", "1.5"], /--seed must be a whole number from 0/],
    [["--max-seq-length", "1"], /--max-seq-length must be a whole number from 2/],
    [["--task", "summarization"], /--task must be question-answering or text-classification, got "summarization"/],
    [["--labels", "3"], /--labels goes with --task text-classification/],
  ])("treats %j as a usage error (exit 2) naming what is allowed", async (args, message) => {
    const io = capture();
    expect(await main(["model", "generate", "--out", join(root, "bad"), ...args])).toBe(2);
    expect(io.err()).toMatch(message);
  });

  it("requires --out", async () => {
    const io = capture();
    expect(await main(["model", "generate", "--size", "tiny"])).toBe(2);
    expect(io.err()).toMatch(/--out is required/);
  });
});

describe("fleet model generate-many", () => {
  it("writes one directory per model and a progress line per model", async () => {
    const io = capture();
    const repo = join(root, "repo");
    expect(await main(["model", "generate-many", "--count", "2", "--seed-base", "40", "--out", repo])).toBe(0);
    expect((await readdir(repo)).sort()).toEqual(["model0", "model1"]);
    expect(io.out()).toMatch(/Generated 2\/2 models \(model1\)/);
    expect(io.out()).toMatch(/Wrote 2 tiny models to/);
  });

  it("rejects a zero count", async () => {
    const io = capture();
    expect(await main(["model", "generate-many", "--count", "0", "--out", join(root, "none")])).toBe(2);
    expect(io.err()).toMatch(/--count must be a whole number from 1/);
  });
});

describe("fleet model convert", () => {
  it("writes model.ort beside each model.onnx of a repository, then skips them while up to date", async () => {
    const io = capture();
    const repo = join(root, "to-convert");
    expect(await main(["model", "generate-many", "--count", "2", "--seed-base", "3", "--out", repo])).toBe(0);
    expect(await main(["model", "convert", "--dir", repo])).toBe(0);
    for (const name of ["model0", "model1"]) expect(await readdir(join(repo, name))).toContain("model.ort");
    expect(io.out()).toMatch(/Wrote model\.ort for 2 models \(0 already up to date\)/);
    expect(await main(["model", "convert", "--dir", repo])).toBe(0);
    expect(io.out()).toMatch(/Wrote model\.ort for 0 models \(2 already up to date\)/);
  });

  it("says what it needs when the dir holds no model", async () => {
    const io = capture();
    const empty = await mkdtemp(join(root, "empty-"));
    expect(await main(["model", "convert", "--dir", empty])).toBe(1);
    expect(io.err()).toMatch(/has no model\.onnx, and no subdirectory with one/);
    expect(await main(["model", "convert"])).toBe(2);
    expect(io.err()).toMatch(/--dir is required/);
  });
});
