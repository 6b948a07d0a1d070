// `fleet model import --hf` end to end against a loopback hub, then `fleet serve` on the imported cased multilingual
// directory: its logits against a PyTorch BERT run from the same safetensors, and its text answers against that reference.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bestAnswerSpan, startServerProcess } from "@inference-fleet/model-server";
import { Tokenizer } from "@huggingface/tokenizers";
import {
  FakeHub,
  pytorchMissing,
  runPytorchReference,
  TINY_CASED_QA_REPO,
  TINY_UNCASED_CLASSIFIER_REPO,
  tinyCasedMultilingualQaCheckpoint,
  tinyUncasedClassifierCheckpoint,
  writeCheckpointFiles,
} from "@inference-fleet/model-zoo/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../cli.js";
import { captureConsole } from "../testing/capture-console.js";

const FLEET_BIN = fileURLToPath(new URL("../../bin/fleet.js", import.meta.url));
const torchMissing = pytorchMissing();

let hub: FakeHub;
let work: string;
let qaCommit: string;
const qaFiles = tinyCasedMultilingualQaCheckpoint();

beforeAll(async () => {
  hub = await FakeHub.start();
  qaCommit = hub.addCommit(TINY_CASED_QA_REPO, qaFiles);
  hub.addCommit(TINY_UNCASED_CLASSIFIER_REPO, tinyUncasedClassifierCheckpoint());
  const { "model.safetensors": _weights, ...rest } = qaFiles;
  hub.addCommit("test-org/pickle-only", { ...rest, "pytorch_model.bin": Buffer.alloc(64) });
  work = await mkdtemp(path.join(tmpdir(), "model-import-e2e-"));
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await hub.close();
});
beforeEach(async () => {
  vi.stubEnv("HF_ENDPOINT", hub.url);
  vi.stubEnv("HF_HOME", await mkdtemp(path.join(work, "hf-home-")));
  vi.stubEnv("HF_TOKEN", "");
  vi.stubEnv("HF_HUB_OFFLINE", "");
  hub.requests.length = 0;
});

async function fleet(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const printed = captureConsole();
  try {
    const code = await main(args);
    return { code, out: printed.out(), err: printed.err() };
  } finally {
    vi.restoreAllMocks();
  }
}

describe("fleet model import --hf", { timeout: 60_000 }, () => {
  it("imports the tiny cased multilingual BERT-QA into --out and prints what it did", async () => {
    const out = path.join(work, "cased-qa");
    const { code, out: printed } = await fleet("model", "import", "--hf", TINY_CASED_QA_REPO, "--out", out);
    expect(code).toBe(0);
    expect(readdirSync(out).sort()).toEqual([".inference-fleet-model", "config.json", "model.json", "model.onnx", "tokenizer.json"]);
    expect(readFileSync(path.join(out, "tokenizer.json"))).toEqual(qaFiles["tokenizer.json"]);
    expect(JSON.parse(readFileSync(path.join(out, "tokenizer.json"), "utf8")).normalizer).toMatchObject({ lowercase: false, strip_accents: false });
    expect(JSON.parse(readFileSync(path.join(out, "model.json"), "utf8"))).toMatchObject({ source: `hf://${TINY_CASED_QA_REPO}`, commit: qaCommit });
    expect(printed).toMatch(/import: weights [\d.]+ kB \(model\.safetensors\)/);
    expect(printed).toMatch(new RegExp(`Wrote hf://${TINY_CASED_QA_REPO}@${qaCommit} \\(BertForQuestionAnswering, question-answering\\)`));
    expect(printed).toMatch(/parameters, in [\d.]+ s \(\d+ requests to http:\/\/127\.0\.0\.1:\d+\)/);
  });

  it("imports ORG/NAME@COMMIT without a request that asks for main", async () => {
    const { code } = await fleet("model", "import", "--hf", `${TINY_CASED_QA_REPO}@${qaCommit}`, "--out", path.join(work, "pinned"));
    expect(code).toBe(0);
    expect(hub.requests.length).toBeGreaterThan(0);
    expect(hub.requests.filter((r) => /\/main(\/|\?|$)/.test(r.url))).toEqual([]);
  });

  it("imports a BertForSequenceClassification checkpoint with its labels", async () => {
    const out = path.join(work, "classifier");
    const { code, out: printed } = await fleet("model", "import", "--hf", TINY_UNCASED_CLASSIFIER_REPO, "--out", out);
    expect(code).toBe(0);
    expect(printed).toContain("(BertForSequenceClassification, text-classification, labels NEGATIVE, POSITIVE)");
    expect(JSON.parse(readFileSync(path.join(out, "model.json"), "utf8"))).toMatchObject({
      task: "text-classification",
      id2label: { 0: "NEGATIVE", 1: "POSITIVE" },
    });
  });

  it.each([
    ["an unknown repo", "test-org/does-not-exist", /Repository test-org\/does-not-exist not found on http:\/\/127\.0\.0\.1:\d+ \(401 RepositoryNotFound\)/],
    ["an unknown revision", `${TINY_CASED_QA_REPO}@v9`, new RegExp(`${TINY_CASED_QA_REPO} has no revision "v9"`)],
    ["a repo with only pytorch_model.bin", "test-org/pickle-only", /has only pytorch_model\.bin weights .*safe_serialization=True/],
  ])("exits non-zero for %s, naming it", async (_what, id, message) => {
    const out = path.join(work, `refused-${hub.requests.length}-${Date.now()}`);
    const { code, err } = await fleet("model", "import", "--hf", id, "--out", out);
    expect(code).toBe(1);
    expect(err).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  it("refuses to write into a folder holding a user's model, leaving it as it was", async () => {
    const users = path.join(work, "users-model");
    mkdirSync(users, { recursive: true });
    writeFileSync(path.join(users, "model.onnx"), "the user's weights");
    const { code, err } = await fleet("model", "import", "--hf", TINY_CASED_QA_REPO, "--out", users);
    expect(code).toBe(1);
    expect(err).toMatch(/Not writing the model into .*users-model: it holds files the project did not write \(model\.onnx\)/);
    expect(readFileSync(path.join(users, "model.onnx"), "utf8")).toBe("the user's weights");
    expect(readdirSync(users)).toEqual(["model.onnx"]);
  });

  describe.skipIf(torchMissing)("fleet serve --model-dir on the cased multilingual import", () => {
    let checkpoint: string;
    let server: Awaited<ReturnType<typeof startServerProcess>>;
    let reference: Tokenizer;
    let sep: number;
    const pieceOf: string[] = [];
    beforeAll(async () => {
      const out = path.join(work, "servable");
      vi.stubEnv("HF_ENDPOINT", hub.url);
      vi.stubEnv("HF_HOME", await mkdtemp(path.join(work, "hf-home-")));
      expect((await fleet("model", "import", "--hf", TINY_CASED_QA_REPO, "--out", out)).code).toBe(0);
      checkpoint = path.join(work, "cased-checkpoint");
      await writeCheckpointFiles(checkpoint, qaFiles);
      const tokenizerJson = JSON.parse(readFileSync(path.join(out, "tokenizer.json"), "utf8")) as { model: { vocab: Record<string, number> } };
      reference = new Tokenizer(tokenizerJson as object, {});
      sep = tokenizerJson.model.vocab["[SEP]"]!;
      for (const [piece, id] of Object.entries(tokenizerJson.model.vocab)) pieceOf[id] = piece;
      server = await startServerProcess(
        { MAX_BATCH: "1" },
        {
          name: "fleet serve",
          launch: (env) => ({ command: process.execPath, args: [FLEET_BIN, "serve", "--model-dir", out], env: { ...process.env, ...env } }),
        },
      );
    });
    afterAll(async () => {
      await server?.stop();
    });
    const post = async (route: string, body: unknown) =>
      fetch(`${server.url}${route}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

    it("answers v2 INT64 requests with the PyTorch reference's logits (within 1e-4)", async () => {
      const ids = [101, 104, 180, 222, 130, 260, 119, 102, 150, 151, 102];
      const tensors = { input_ids: [ids], attention_mask: [ids.map(() => 1)], token_type_ids: [ids.map((_, i) => (i < 8 ? 0 : 1))] };
      const response = await post("/v2/models/model0/infer", {
        inputs: Object.entries(tensors).map(([name, rows]) => ({ name, datatype: "INT64", shape: [1, ids.length], data: rows.flat() })),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { outputs: { name: string; data: number[] }[] };
      const expected = runPytorchReference(checkpoint, tensors);
      for (const name of ["start_logits", "end_logits"]) {
        const served = body.outputs.find((o) => o.name === name)!.data;
        expect(served).toHaveLength(expected[name]![0]!.length);
        expect(Math.max(...served.map((v, i) => Math.abs(v - expected[name]![0]![i]!)))).toBeLessThan(1e-4);
      }
    });

    // Accents, CJK, Greek/Cyrillic and mixed case: the answer is the context's own text under the span the PyTorch
    // reference picks from the official JS port's ids (the property test shows the servers' ids equal the port's);
    // the span may start inside a word (a ## piece), so the answer is checked piece by piece, not re-tokenized.
    const PAIRS: [string, string][] = [
      ["Where is the café?", "The café is in Zürich, not in São Paulo or München."],
      ["中国的首都是?", "中国的首都是北京。東京是日本的首都。"],
      ["Αθήνα?", "Η Αθήνα είναι πρωτεύουσα. Москва столица России."],
      ["Who makes the iPhone?", "Apple makes the iPhone, NASA lives in PARIS and paris."],
    ];
    it("answers text pairs on the seed route and v2 (BYTES) with the reference span's substring of the context", async () => {
      const encoded: number[][] = PAIRS.map(([question, context]) => [...reference.encode(question, { text_pair: context }).ids]);
      const width = Math.max(...encoded.map((ids) => ids.length));
      const pad = (row: number[], value: number) => [...row, ...Array<number>(width - row.length).fill(value)];
      const logits = runPytorchReference(checkpoint, {
        input_ids: encoded.map((ids) => pad(ids, 0)),
        attention_mask: encoded.map((ids) =>
          pad(
            ids.map(() => 1),
            0,
          ),
        ),
        token_type_ids: encoded.map((ids) =>
          pad(
            ids.map((_, i) => (i > ids.indexOf(sep) ? 1 : 0)),
            0,
          ),
        ),
      });
      for (const [row, [question, context]] of PAIRS.entries()) {
        const ids = encoded[row]!;
        const contextStart = ids.indexOf(sep) + 1;
        const span = bestAnswerSpan(
          Float32Array.from(logits["start_logits"]![row]!.slice(0, ids.length)),
          Float32Array.from(logits["end_logits"]![row]!.slice(0, ids.length)),
          contextStart,
          ids.length - 1,
        )!;
        const seed = (await (await post("/predictions/model0", { seq_0: question, seq_1: context })).json()) as { detail: string };
        const v2 = (await (
          await post("/v2/models/model0/infer", {
            inputs: [
              { name: "seq_0", shape: [1], datatype: "BYTES", data: [question] },
              { name: "seq_1", shape: [1], datatype: "BYTES", data: [context] },
            ],
          })
        ).json()) as { outputs: { data: string[] }[] };
        expect(v2.outputs[0]!.data).toEqual([seed.detail]);
        expect(context.includes(seed.detail), `${JSON.stringify(seed.detail)} is not in ${JSON.stringify(context)}`).toBe(true);
        // The cased tokenizer keeps every character as written, so the span's pieces (## stripped) spell the answer.
        const pieces = ids.slice(span.start, span.end + 1).map((id) => pieceOf[id]!);
        if (!pieces.includes("[UNK]")) expect(seed.detail.replace(/\s+/g, ""), question).toBe(pieces.map((p) => p.replace(/^##/, "")).join(""));
      }
    });
  });
});
