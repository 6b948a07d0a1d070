// The hub import against a loopback hub that answers @huggingface/hub's requests the way huggingface.co does.
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onnx } from "../graph-builder.js";
import { MODEL_FILE, MODEL_INFO_FILE, TOKENIZER_FILE, type ImportedModelInfo } from "../model-info.js";
import {
  buildHuggingFaceStyleBert,
  FakeHub,
  TINY_CASED_QA_REPO,
  tinyCasedMultilingualQaCheckpoint,
  tinyUncasedClassifierCheckpoint,
} from "../testing/index.js";
import { HubImportError } from "./hub-errors.js";
import type { HubSettings } from "./hub-settings.js";
import { importFromHub } from "./import-from-hub.js";

let hub: FakeHub;
let mainCommit: string;
const qa = tinyCasedMultilingualQaCheckpoint();

beforeAll(async () => {
  hub = await FakeHub.start({ pageSize: 2 }); // Small pages: the listing follows the Link headers.
  // A pickle beside the safetensors, as many repos have: it must never be downloaded.
  mainCommit = hub.addCommit(TINY_CASED_QA_REPO, { ...qa, "pytorch_model.bin": Buffer.alloc(1000, 7), "README.md": Buffer.from("# tiny\n") });
});
afterAll(() => hub.close());

async function settings(overrides: Partial<HubSettings> = {}): Promise<HubSettings> {
  return { hubUrl: hub.url, offline: false, cacheDir: await mkdtemp(join(tmpdir(), "hub-cache-")), ...overrides };
}

function importing(repo: string, revision: string, hubSettings: HubSettings, lines: string[] = []) {
  return importFromHub({ repo, revision, settings: hubSettings, log: (line) => lines.push(line) });
}

describe("importFromHub", { timeout: 30_000 }, () => {
  it("resolves main to its commit, downloads config, tokenizer and safetensors at that commit, and builds the model dir", async () => {
    const hubSettings = await settings();
    const lines: string[] = [];
    hub.requests.length = 0;
    const imported = await importing(TINY_CASED_QA_REPO, "main", hubSettings, lines);

    expect(imported.commit).toBe(mainCommit);
    expect(imported.cached).toBe(false);
    const info = JSON.parse(readFileSync(join(imported.dir, MODEL_INFO_FILE), "utf8")) as ImportedModelInfo;
    expect(info).toMatchObject({
      source: `hf://${TINY_CASED_QA_REPO}`,
      revision: "main",
      commit: mainCommit,
      task: "question-answering",
      architectureName: "BertForQuestionAnswering",
      builtFrom: "safetensors",
      precision: "fp32",
      maxSequenceLength: 512,
    });
    expect(info.parameters).toBeGreaterThan(20_000);
    expect(readFileSync(join(imported.dir, TOKENIZER_FILE))).toEqual(qa["tokenizer.json"]);
    expect(existsSync(join(imported.dir, MODEL_FILE))).toBe(true);

    const urls = hub.requests.map((r) => `${r.method} ${r.url}`);
    const expand = ["pipeline_tag", "private", "gated", "downloads", "likes", "lastModified", "sha"].map((key) => `expand=${key}`).join("&");
    expect(urls.filter((u) => u.includes("/revision/"))).toEqual([`GET /api/models/${TINY_CASED_QA_REPO}/revision/main?${expand}`]);
    // After the revision, every request names the commit, and the listing was paged.
    expect(urls.filter((u) => !u.includes("/revision/") && !u.includes("/cdn/")).every((u) => u.includes(mainCommit))).toBe(true);
    expect(urls.filter((u) => u.includes("/tree/")).length).toBeGreaterThan(2);
    expect(urls.some((u) => u.includes("pytorch_model.bin"))).toBe(false);
    for (const file of ["config.json", "tokenizer.json", "model.safetensors"]) {
      expect(hub.requests.find((r) => r.url === `/${TINY_CASED_QA_REPO}/resolve/${mainCommit}/${file}`)?.range).toBe("bytes=0-0");
    }
    expect(lines.join("\n")).toMatch(/model\.safetensors: [\d.]+ kB in [\d.]+ s/);
    expect(lines.join("\n")).toMatch(
      /import: model\.onnx [\d.]+ kB, [\d,]+ parameters, BertForQuestionAnswering \(question-answering\), built from the safetensors weights/,
    );
  });

  it("a second import is served from the cache: no request for a commit, one (the revision) for a branch, none offline", async () => {
    const hubSettings = await settings();
    await importing(TINY_CASED_QA_REPO, "main", hubSettings);

    hub.requests.length = 0;
    const byCommit = await importing(TINY_CASED_QA_REPO, mainCommit, hubSettings);
    expect(byCommit).toMatchObject({ cached: true, requests: 0, commit: mainCommit });
    expect(hub.requests).toEqual([]);

    const byBranch = await importing(TINY_CASED_QA_REPO, "main", hubSettings);
    expect(byBranch).toMatchObject({ cached: true, commit: mainCommit, dir: byCommit.dir });
    expect(hub.requests.map((r) => r.url.split("?")[0])).toEqual([`/api/models/${TINY_CASED_QA_REPO}/revision/main`]);

    // A stack run takes the branch at the commit it was imported at: no request.
    hub.requests.length = 0;
    const lines: string[] = [];
    const log = (line: string) => lines.push(line);
    const reused = await importFromHub({ repo: TINY_CASED_QA_REPO, revision: "main", settings: hubSettings, reuseResolvedRevision: true, log });
    expect(reused).toMatchObject({ cached: true, commit: mainCommit, requests: 0 });
    expect(hub.requests).toEqual([]);
    expect(lines.join("\n")).toMatch(/taken at commit [0-9a-f]{40}, as imported before; `fleet model import --hf .*@main` checks for a newer one/);

    hub.requests.length = 0;
    const offline = await importing(TINY_CASED_QA_REPO, "main", { ...hubSettings, offline: true });
    expect(offline).toMatchObject({ cached: true, commit: mainCommit });
    expect(hub.requests).toEqual([]);
    await expect(importing(TINY_CASED_QA_REPO, "v2", { ...hubSettings, offline: true })).rejects.toThrow(/is not in the cache .* import it once online/);
  });

  it("falls back to the commit a branch had last time when the hub cannot be reached, and says so", async () => {
    const hubSettings = await settings();
    const away = await FakeHub.start();
    const commit = away.addCommit("test-org/on-a-train", tinyCasedMultilingualQaCheckpoint());
    await importing("test-org/on-a-train", "main", { ...hubSettings, hubUrl: away.url });
    await away.close();
    const lines: string[] = [];
    const again = await importing("test-org/on-a-train", "main", { ...hubSettings, hubUrl: away.url }, lines);
    expect(again).toMatchObject({ commit, cached: true });
    expect(lines.join("\n")).toMatch(new RegExp(`cannot reach ${away.url} .*using commit ${commit}, what main was when last imported`));
    // Never seen before: the error says what to do.
    await expect(importing("test-org/never-seen", "main", { ...hubSettings, hubUrl: away.url })).rejects.toThrow(
      /Cannot reach the hub at .*--offline or HF_HUB_OFFLINE=1/,
    );
  });

  it("imports ORG/NAME@COMMIT without any request naming a branch, and a new commit on main is fetched again", async () => {
    const hubSettings = await settings();
    const newer = hub.addCommit("test-org/moving", tinyCasedMultilingualQaCheckpoint({ seed: 1 }));
    const older = hub.addCommit("test-org/moving", tinyCasedMultilingualQaCheckpoint({ seed: 2 }), { branch: "old" });
    hub.requests.length = 0;
    const pinned = await importing("test-org/moving", older, hubSettings);
    expect(pinned.commit).toBe(older);
    expect(hub.requests.length).toBeGreaterThan(0);
    expect(hub.requests.some((r) => /\/(main|old|HEAD)(\/|\?|$)/.test(r.url))).toBe(false);

    const latest = await importing("test-org/moving", "main", hubSettings);
    expect(latest).toMatchObject({ commit: newer, cached: false });
    expect(latest.dir).not.toBe(pinned.dir);
    expect(readFileSync(join(latest.dir, MODEL_FILE))).not.toEqual(readFileSync(join(pinned.dir, MODEL_FILE)));
  });

  it("builds the same model.onnx from sharded safetensors (model.safetensors.index.json) as from one file", async () => {
    hub.addCommit("test-org/sharded", tinyCasedMultilingualQaCheckpoint({ shards: 3 }));
    hub.addCommit("test-org/single", tinyCasedMultilingualQaCheckpoint());
    const hubSettings = await settings();
    const sharded = await importing("test-org/sharded", "main", hubSettings);
    const single = await importing("test-org/single", "main", hubSettings);
    const weightsOf = (dir: string) =>
      onnx.ModelProto.decode(readFileSync(join(dir, MODEL_FILE))).graph!.initializer!.map((t) => [t.name, Buffer.from(t.rawData!)]);
    expect(weightsOf(sharded.dir)).toEqual(weightsOf(single.dir));
  });

  it("imports a BertForSequenceClassification checkpoint with its labels", async () => {
    hub.addCommit("test-org/classifier", tinyUncasedClassifierCheckpoint());
    const imported = await importing("test-org/classifier", "main", await settings());
    expect(imported.info).toMatchObject({
      task: "text-classification",
      architectureName: "BertForSequenceClassification",
      id2label: { "0": "NEGATIVE", "1": "POSITIVE" },
      outputs: [{ name: "logits", dataType: "float32", shape: ["batch", "2"] }],
    });
  });

  it("uses the repo's own ONNX export (onnx/model.onnx, optimum's layout) instead of building one, and says so", async () => {
    const exported = Buffer.from(onnx.ModelProto.encode(buildHuggingFaceStyleBert({ vocab: 200 })).finish());
    const { "model.safetensors": _weights, ...rest } = qa;
    hub.addCommit("test-org/with-onnx", { ...rest, "onnx/model.onnx": exported });
    const lines: string[] = [];
    const imported = await importing("test-org/with-onnx", "main", await settings(), lines);
    expect(readFileSync(join(imported.dir, MODEL_FILE))).toEqual(exported);
    expect(imported.info.builtFrom).toBe("onnx/model.onnx");
    expect(lines.join("\n")).toContain("the repo's own ONNX export (onnx/model.onnx), used as it is");
  });

  describe("refuses, naming the problem and what to do", () => {
    const { "model.safetensors": _weights, ...withoutWeights } = qa;
    const { "tokenizer.json": _tokenizer, ...withoutTokenizer } = qa;
    const distil = { ...qa, "config.json": Buffer.from(JSON.stringify({ architectures: ["DistilBertForQuestionAnswering"], model_type: "distilbert" })) };
    it.each([
      [
        "an unknown repo",
        "test-org/nope",
        "main",
        {},
        /Repository test-org\/nope not found on http:\/\/127\.0\.0\.1:\d+ \(401 RepositoryNotFound\).*set HF_TOKEN/,
      ],
      ["an unknown revision", TINY_CASED_QA_REPO, "no-such-branch", {}, /has no revision "no-such-branch" .*\(404\)/],
      ["an unknown commit", TINY_CASED_QA_REPO, "f".repeat(40), {}, new RegExp(`has no revision "${"f".repeat(40)}"`)],
      [
        "a repo with only pytorch_model.bin",
        "test-org/pickle-only",
        "main",
        { ...withoutWeights, "pytorch_model.bin": Buffer.alloc(100) },
        /has only pytorch_model\.bin weights .*python -c "from transformers import AutoModel; AutoModel\.from_pretrained\('test-org\/pickle-only'\)\.save_pretrained\('out', safe_serialization=True\)"/,
      ],
      ["a repo without tokenizer.json", "test-org/no-tokenizer", "main", withoutTokenizer, /has no tokenizer\.json .*AutoTokenizer/],
      [
        "an unsupported architecture",
        "test-org/distil",
        "main",
        distil,
        /DistilBertForQuestionAnswering.*only BertForQuestionAnswering and BertForSequenceClassification import/,
      ],
    ])("%s", async (_what, repo, revision, files, message) => {
      if (Object.keys(files).length > 0) hub.addCommit(repo, files);
      const error = await importing(repo, revision, await settings()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(message);
      // No weights were downloaded for a refused repo.
      expect(hub.requests.some((r) => r.url.startsWith(`/${repo}/resolve/`) && /\.(bin|safetensors)$/.test(r.url))).toBe(false);
    });

    it("a gated repo without a token (401), and imports it with HF_TOKEN", async () => {
      hub.addCommit("test-org/gated", qa, { gated: true });
      const error = (await importing("test-org/gated", "main", await settings()).catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(HubImportError);
      expect(error.message).toMatch(/test-org\/gated is gated .*\(401\): accept its terms on its page and set HF_TOKEN/);
      hub.requests.length = 0;
      const imported = await importing("test-org/gated", "main", await settings({ accessToken: hub.token }));
      expect(imported.cached).toBe(false);
      expect(hub.requests.every((r) => r.url.startsWith("/cdn/") || r.authorization === `Bearer ${hub.token}`)).toBe(true);
    });
  });
});
