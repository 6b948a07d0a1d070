// `fleet local --stack dev` with the model sources a user brings: an hf:// hub id (imported on the default path,
// once) and an optimum-style export without model.json (served as it is, never written to).
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseResult, totalErrors, type LoadTestResult } from "@inference-fleet/load-test";
import { MODEL_INFO_FILE } from "@inference-fleet/model-zoo";
import { FakeHub, tinyUncasedQaCheckpoint, writeOptimumStyleExport } from "@inference-fleet/model-zoo/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../cli.js";

const REPO = "test-org/tiny-bert-uncased-qa";
let hub: FakeHub;
let work: string;
let commit: string;

beforeAll(async () => {
  hub = await FakeHub.start();
  commit = hub.addCommit(REPO, tinyUncasedQaCheckpoint());
  work = await mkdtemp(path.join(tmpdir(), "fleet-local-sources-"));
});
afterAll(async () => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  await hub.close();
});
beforeEach(() => {
  vi.stubEnv("FLEET_LOAD_TEST_DURATION", "3s");
  vi.stubEnv("HF_ENDPOINT", hub.url);
  vi.stubEnv("HF_HOME", path.join(work, "hf-home"));
  vi.stubEnv("HF_TOKEN", "");
  vi.stubEnv("HF_HUB_OFFLINE", "");
  vi.spyOn(console, "log").mockImplementation(() => undefined);
});

async function fleetLocal(source: string, out: string): Promise<LoadTestResult> {
  vi.stubEnv("FLEET_MODEL_SOURCE", source);
  expect(await main(["local", "--stack", "dev", "--generator", "local", "--out", out])).toBe(0);
  const result = parseResult(JSON.parse(readFileSync(path.join(out, "results.json"), "utf8")), "results.json");
  expect(result.requests).toBeGreaterThan(0);
  expect(totalErrors(result.errors)).toBe(0);
  return result;
}

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

describe("fleet local with a model the user brings", { timeout: 240_000 }, () => {
  it("model.source hf://ORG/NAME is imported on the first run and taken from the cache after", async () => {
    const first = await fleetLocal(`hf://${REPO}`, path.join(work, "run1"));
    expect(hub.requests.some((r) => r.url.endsWith("/model.safetensors"))).toBe(true);
    const modelDir = path.join(work, "hf-home", "inference-fleet", REPO.replace("/", "--"), commit, "model");
    expect(first.model).toEqual({
      source: `hf://${REPO}`,
      commit,
      sha256: sha256(path.join(modelDir, "model.onnx")),
      name: "tiny-bert-uncased-qa",
      task: "question-answering",
      precision: "fp32",
      parameters: JSON.parse(readFileSync(path.join(modelDir, MODEL_INFO_FILE), "utf8")).parameters,
    });
    const summary = readFileSync(path.join(work, "run1", "summary.md"), "utf8");
    expect(summary).toContain(`Model: hf://${REPO} (commit ${commit.slice(0, 12)}, question-answering, fp32,`);

    // The second run asks the hub nothing: the branch is taken at the commit it was imported at.
    hub.requests.length = 0;
    const second = await fleetLocal(`hf://${REPO}`, path.join(work, "run2"));
    expect(hub.requests).toEqual([]);
    expect(second.model).toEqual(first.model);

    // A commit: no request at all.
    hub.requests.length = 0;
    const pinned = await fleetLocal(`hf://${REPO}@${commit}`, path.join(work, "run3"));
    expect(hub.requests).toEqual([]);
    expect(pinned.model?.sha256).toBe(first.model?.sha256);
  });

  it("serves an optimum-style export without model.json as it is: its files are byte-identical afterwards and its hash is in results.json", async () => {
    const dir = path.join(work, "optimum-export");
    writeOptimumStyleExport(dir);
    const before = Object.fromEntries(readdirSync(dir).map((file) => [file, sha256(path.join(dir, file))]));

    const result = await fleetLocal(dir, path.join(work, "run-export"));

    expect(Object.fromEntries(readdirSync(dir).map((file) => [file, sha256(path.join(dir, file))]))).toEqual(before);
    expect(result.model).toMatchObject({ source: dir, sha256: before["model.onnx"], task: "question-answering", precision: "fp32" });
    expect(result.model?.parameters).toBeGreaterThan(30522 * 32);
  });
});
