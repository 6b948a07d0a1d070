import { mkdtemp, rm, writeFile, cp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateModel, quantizeModelDir } from "@inference-fleet/model-zoo";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../cli.js";
import { compareModels, type CompareReport } from "../model-tools/compare-models.js";
import { commands } from "./index.js";
import { modelCompare } from "./model-compare.js";
import { captureConsole } from "../testing/capture-console.js";

const withCompare = commands.some((c) => c.path.join(" ") === "model compare") ? commands : [...commands, modelCompare];

let root: string;
let fp32: string;
let int8: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "fleet-compare-"));
  fp32 = (await generateModel({ size: "tiny", seed: 21, outDir: join(root, "fp32") })).dir;
  int8 = (await quantizeModelDir({ dir: fp32, outDir: join(root, "int8") })).dir;
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
afterEach(() => vi.restoreAllMocks());

const capture = captureConsole;

async function compare(a: string, b: string, ...args: string[]): Promise<CompareReport> {
  const io = capture();
  expect(await main(["model", "compare", a, b, "--json", ...args], withCompare)).toBe(0);
  return JSON.parse(io.out()) as CompareReport;
}

describe("fleet model compare", () => {
  it("finds a model identical to itself", async () => {
    const report = await compare(fp32, fp32, "--pairs", "20");
    expect(report).toMatchObject({ pairs: 20, answerAgreement: 1, answerF1: 1, meanCosine: expect.closeTo(1, 6), maxAbsError: 0 });
  });

  it("measures int8 against fp32 with the real ONNX Runtime: logits close, answers mostly the same", async () => {
    const report = await compare(fp32, int8, "--pairs", "60", "--seed", "3");
    expect(report.a.precision).toBe("fp32");
    expect(report.b).toMatchObject({ precision: "int8", name: "bert-qa-tiny-seed21-int8" });
    expect(report.meanCosine).toBeGreaterThan(0.99);
    expect(report.minCosine).toBeLessThanOrEqual(report.meanCosine);
    expect(report.maxAbsError).toBeGreaterThan(0);
    expect(report.maxAbsError).toBeLessThan(report.maxAbsLogit);
    expect(report.answerAgreement).toBeGreaterThan(0.5);
    expect(report.answerF1).toBeGreaterThanOrEqual(report.answerAgreement);
    expect(report.meanTokens).toBeGreaterThan(20);
    expect(report.meanTokens).toBeLessThanOrEqual(128);
  });

  it("stops starting pairs when its time budget is spent, and reports the pairs it ran", async () => {
    let clock = 0;
    const estimates: number[] = [];
    // Each pair reads the clock twice after the start (loop test, progress): 250 ms a read = 0.5 s a pair, so 4 pairs in 2 s.
    const report = await compareModels({ a: fp32, b: fp32, seconds: 2, now: () => (clock += 250), onPair: (_d, _m, estimate) => estimates.push(estimate) });
    expect(report.pairs).toBe(4);
    expect(estimates.at(-1)).toBe(4);
  });

  it("runs about 30 s by default, and exactly --pairs when only that is given", async () => {
    const io = capture();
    expect(await main(["model", "compare", fp32, fp32, "--seconds", "1"], withCompare)).toBe(0);
    expect(io.out()).toMatch(/Compared \d+ pairs of about \d+ \(1 s budget\)/);
    expect(modelCompare.options["seconds"]!.description).toMatch(/default 30/);
  });

  it("prints a readable report", async () => {
    const io = capture();
    expect(await main(["model", "compare", fp32, int8, "--pairs", "10"], withCompare)).toBe(0);
    expect(io.out()).toMatch(/10 pairs \(seed 1, \d+ tokens on average, at most 128\) in \d+\.\d\d s:/);
    expect(io.out()).toMatch(/answer span agreement +\d+\.\d% \(token F1 \d+\.\d%\)/);
    expect(io.out()).toMatch(/logits cosine +mean 0\.9\d{4}, lowest/);
  });

  it("refuses models with different tokenizers, and needs exactly two dirs", async () => {
    const other = join(root, "other-tokenizer");
    await cp(int8, other, { recursive: true });
    await writeFile(join(other, "tokenizer.json"), "{}");
    let io = capture();
    expect(await main(["model", "compare", fp32, other, "--pairs", "1"], withCompare)).toBe(1);
    expect(io.err()).toMatch(/different tokenizer\.json files/);
    vi.restoreAllMocks();
    io = capture();
    expect(await main(["model", "compare", fp32], withCompare)).toBe(2);
    expect(io.err()).toMatch(/needs two model dirs, A \(the reference\) and B, got 1/);
  });
});
