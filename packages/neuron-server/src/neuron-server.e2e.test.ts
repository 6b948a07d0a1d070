import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DEFAULT_CONTEXT,
  DEFAULT_QUESTION,
  freePort,
  resolveServerSettings,
  SERVER_METRIC_NAMES,
  startServer,
  WordPieceTokenizer,
  type RunningServer,
  type ServerProcess,
} from "@inference-fleet/model-server";
import { generateModel } from "@inference-fleet/model-zoo";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PACKAGE_DIR, PYTHON, pythonMissing, startPythonServer } from "./python-server.js";

const missing = pythonMissing();
// In CI a skipped Python suite would pass silently: .ci/run installs the packages, so a missing one is a failure there.
if (missing !== undefined && process.env["CI"]) throw new Error(`neuron-server: the Python suite cannot run in CI: ${missing}.`);
if (missing !== undefined) {
  console.warn(
    `neuron-server: skipping the Python server's tests: ${missing}. Install them with: apt-get install -y python3-torch python3-onnx python3-fastapi ` +
      `python3-uvicorn python3-pytest python3-httpx python3-multipart python3-prometheus-client`,
  );
}

/** Seeded PRNG (mulberry32), so a failing input can be found again. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const silentLogger = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  flush() {},
  child() {
    return silentLogger;
  },
} as unknown as NonNullable<Parameters<typeof startServer>[1]>;

describe.skipIf(missing !== undefined)("neuron-server (Python, CPU mode)", () => {
  let root: string;
  let dir: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "neuron-server-test-"));
    ({ dir } = await generateModel({ size: "tiny", seed: 7, outDir: join(root, "tiny") }));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("passes its pytest suite", async () => {
    const child = spawn(PYTHON, ["-m", "pytest", "-q", "tests"], {
      cwd: PACKAGE_DIR,
      env: { ...process.env, NEURON_SERVER_TEST_MODEL_DIR: dir, PYTHONDONTWRITEBYTECODE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    if (code !== 0) console.error(output);
    expect(code, `pytest failed:\n${output.slice(-6000)}`).toBe(0);
    console.log(`neuron-server pytest: ${output.trim().split("\n").at(-1)}`);
  });

  describe("served next to the ONNX Runtime server", () => {
    let python: ServerProcess;
    let onnx: RunningServer;
    let session: ort.InferenceSession;

    beforeAll(async () => {
      [python, onnx, session] = await Promise.all([
        startPythonServer({ MODEL_DIR: dir, MAX_BATCH: "4", CACHE_DIR: join(root, "cache") }),
        freePort().then((port) =>
          startServer(
            resolveServerSettings({ env: { MODEL_DIR: dir, PORT: String(port), HOST: "127.0.0.1", QUIET: "true", INFERENCE_WORKERS: "0" } }),
            silentLogger,
          ),
        ),
        ort.InferenceSession.create(join(dir, "model.onnx")),
      ]);
    });
    afterAll(async () => {
      await Promise.all([python?.stop(), onnx?.drain(2000), session?.release()]);
    });

    it("exports on /metrics every series the fleet's alarms and dashboard read (inf2's latency alarm needs the summary too)", async () => {
      for (const url of [python.url, onnx.url]) {
        expect((await fetch(`${url}/predictions/model0`)).status).toBe(200);
        const text = await (await fetch(`${url}/metrics`)).text();
        for (const name of Object.values(SERVER_METRIC_NAMES))
          expect(text, `${url} lacks ${name}`).toMatch(new RegExp(`^# TYPE ${name.replace(/_total$/, "(_total)?")} `, "m"));
        expect(text).toMatch(/^# TYPE model_server_request_latency_seconds summary$/m);
        // The autoscalers' request rate: the counter by route label, the inference routes named alike in both servers.
        expect(text, url).toMatch(/^model_server_requests_total\{[^}]*route="\/predictions\/:model"[^}]*status="200"[^}]*\} [1-9]/m);
        expect(text, url).toMatch(/^model_server_request_latency_seconds\{quantile="0\.9"\} \d/m);
      }
    });

    it("gives ONNX Runtime's start and end logits within 1e-3 for 50 random inputs (batched together, mixed lengths)", async () => {
      const next = random(7);
      const inputs = Array.from({ length: 50 }, () => {
        const seq = 8 + Math.floor(next() * 121);
        const ids = Array.from({ length: seq }, (_, i) => (i === 0 ? 101 : i === seq - 1 ? 102 : 999 + Math.floor(next() * 29_000)));
        const split = 2 + Math.floor(next() * (seq - 3));
        const types = ids.map((_, i) => (i >= split ? 1 : 0));
        const padded = next() < 0.3 ? Math.floor(next() * (seq / 2)) : 0;
        const mask = ids.map((_, i) => (i < seq - padded ? 1 : 0));
        return { ids, types, mask };
      });
      // All at once, so the server batches rows of different lengths together (dynamic padding) as it would under load.
      const answers = await Promise.all(
        inputs.map(async ({ ids, types, mask }) => {
          const shape = [1, ids.length];
          const body = {
            inputs: [
              { name: "input_ids", shape, datatype: "INT64", data: ids },
              { name: "attention_mask", shape, datatype: "INT64", data: mask },
              { name: "token_type_ids", shape, datatype: "INT64", data: types },
            ],
          };
          const response = await fetch(`${python.url}/v2/models/model0/infer`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(body),
          });
          expect(response.status).toBe(200);
          return ((await response.json()) as { outputs: Array<{ name: string; data: number[] }> }).outputs;
        }),
      );
      let maxDiff = 0;
      for (const [index, { ids, types, mask }] of inputs.entries()) {
        const tensor = (values: number[]) => new ort.Tensor("int64", BigInt64Array.from(values.map(BigInt)), [1, values.length]);
        const reference = await session.run({ input_ids: tensor(ids), attention_mask: tensor(mask), token_type_ids: tensor(types) });
        for (const name of ["start_logits", "end_logits"]) {
          const expected = reference[name]!.data as Float32Array;
          const actual = answers[index]!.find((output) => output.name === name)!.data;
          expect(actual.length).toBe(expected.length);
          expected.forEach((value, i) => (maxDiff = Math.max(maxDiff, Math.abs(value - actual[i]!))));
        }
      }
      console.log(`neuron-server parity: max |PyTorch (TorchScript, CPU) - ONNX Runtime| over 50 inputs = ${maxDiff.toExponential(2)}`);
      expect(maxDiff).toBeLessThan(1e-3);
    });

    const questions: Array<[string, string]> = [
      [DEFAULT_QUESTION, DEFAULT_CONTEXT],
      ["What color is the sky?", "The sky is blue and the grass is green, as everyone knows."],
      ["Who wrote it?", "It was written by Ada Lovelace in 1843, long before computers."],
      ["Wo ist das Café?", "Das Café liegt am Marktplatz, gleich neben der Kirche."],
      ["What is 中国?", "中国 is a country in East Asia with a long history."],
      ["¿Dónde?", "Cafe\u0301 noir à São Paulo, ÀÉÎÕÜ ñandú; \u{20000}\u{20001} Straße."],
      ["Πού είναι;", "Η Αθήνα είναι στην Ελλάδα. Москва — столица России. ΟΔΟΣ Σοφία."],
      ["MiXeD CaSe?", "iPhone and McDonald and PARIS and paris, 東京は日本の首都です。"],
    ];

    it.each(questions)("answers %j as the ONNX Runtime server does, with the context's own text", async (question, context) => {
      const query = `?seq_0=${encodeURIComponent(question)}&seq_1=${encodeURIComponent(context)}`;
      const [ours, theirs] = await Promise.all([python.url, onnx.url].map((url) => fetch(`${url}/predictions/model0${query}`).then((r) => r.json())));
      expect(ours).toEqual(theirs);
      expect(context).toContain((ours as { detail: string }).detail);
    });

    const json = (body: unknown): RequestInit => ({
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    const tokens = (data: unknown[], shape = [1, 2]) => ({ inputs: [{ name: "input_ids", shape, datatype: "INT64", data }] });
    // [what, path, request, status, exact body (or a prefix of its one message), Allow]. Run against both servers: one contract.
    const contract: Array<[string, string, RequestInit | undefined, number, Record<string, unknown> | [string, string], string | null]> = [
      ["health", "/", undefined, 200, { Status: "Healthy" }, null],
      ["liveness", "/v2/health/live", undefined, 200, { live: true }, null],
      ["readiness", "/v2/health/ready", undefined, 200, { ready: true }, null],
      ["model readiness", "/v2/models/model0/ready", undefined, 200, { name: "model0", ready: true }, null],
      ["unknown model", "/predictions/nope", undefined, 404, { detail: "Model nope does not exist. Try one of: model0." }, null],
      ["unknown v2 model", "/v2/models/nope", undefined, 404, { error: "Model nope does not exist. Try one of: model0." }, null],
      ["unknown route", "/nothing", undefined, 404, ["error", "There is no route GET /nothing. Routes: GET /, GET|POST /predictions/{model}"], null],
      ["wrong method", "/v2/health/ready", { method: "POST" }, 405, { error: "POST is not allowed on /v2/health/ready; use GET, HEAD." }, "GET, HEAD"],
      [
        "JSON body not an object",
        "/predictions/model0",
        json([1]),
        400,
        { detail: 'The body must be a JSON object such as {"seq_0": "question", "seq_1": "context"}.' },
        null,
      ],
      ["seq_0 not a string", "/predictions/model0", json({ seq_0: 5 }), 400, { detail: "seq_0 must be a string, got number." }, null],
      [
        "question too long",
        "/predictions/model0",
        json({ seq_0: "word ".repeat(200) }),
        400,
        { detail: "seq_0 (the question) is too long: with [CLS] and two [SEP] it must leave room for the context within 128 tokens; shorten the question." },
        null,
      ],
      [
        "wrong content type",
        "/v2/models/model0/infer",
        { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" },
        415,
        { error: 'Send the body as JSON with Content-Type: application/json (got "text/plain").' },
        null,
      ],
      ["bad JSON", "/v2/models/model0/infer", json("{"), 400, ["error", "The body is not valid JSON"], null],
      [
        "no inputs",
        "/v2/models/model0/infer",
        json({}),
        400,
        { error: 'The body must be a JSON object with a non-empty "inputs" array of tensors (name, shape, datatype, data).' },
        null,
      ],
      [
        "data short of the shape",
        "/v2/models/model0/infer",
        json(tokens([1])),
        400,
        { error: "Input input_ids: shape [1,2] needs 2 values, but data has 1." },
        null,
      ],
      [
        "id out of range",
        "/v2/models/model0/infer",
        json(tokens([1, 99_999])),
        400,
        { error: "Input input_ids: value 99999 at position 1 is not a token id from 0 to 30521." },
        null,
      ],
      [
        "too many sequences",
        "/v2/models/model0/infer",
        json(tokens(Array(65).fill(1), [65, 1])),
        400,
        { error: "At most 64 sequences per request, got 65; split the request." },
        null,
      ],
      [
        "sequence too long",
        "/v2/models/model0/infer",
        json(tokens(Array(200).fill(1), [1, 200])),
        400,
        { error: "Sequences may be at most 128 tokens, got 200." },
        null,
      ],
      // Last: the ONNX Runtime server answers 413 with keep-alive and then closes the socket, so a request after it on the
      // same pooled connection fails ("other side closed"); this server sends Connection: close with its 413.
      [
        "too big",
        "/v2/models/model0/infer",
        json("x".repeat(300_000)),
        413,
        { error: "The body is larger than 262144 bytes; send less text or fewer sequences per request." },
        null,
      ],
    ];

    describe.each([
      ["ONNX Runtime", () => onnx.url],
      ["Neuron (CPU mode)", () => python.url],
    ] as const)("the %s server", (_, url) => {
      it.each(contract)("answers %s as the contract says", async (_what, path, init, status, body, allow) => {
        const response = await fetch(`${url()}${path}`, init);
        const answer = (await response.json()) as Record<string, unknown>;
        expect(response.status).toBe(status);
        expect(response.headers.get("allow")).toBe(allow);
        if (Array.isArray(body)) {
          expect(Object.keys(answer)).toEqual([body[0]]);
          expect(String(answer[body[0]])).toMatch(new RegExp(`^${body[1].replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
        } else {
          expect(answer).toEqual(body);
        }
      });
    });
  });

  describe("a text-classification model, served by both servers", () => {
    let classifierDir: string;
    let labels: string[];
    let python: ServerProcess;
    let onnx: RunningServer;
    let session: ort.InferenceSession;
    const tokenizer = () => WordPieceTokenizer.fromFile(join(dir, "tokenizer.json"));

    beforeAll(async () => {
      // The model-zoo's BertForSequenceClassification graph (what `fleet model import` builds from a checkpoint).
      classifierDir = join(root, "classifier");
      await generateModel({ size: "tiny", seed: 7, outDir: classifierDir, task: "text-classification", numLabels: 3 });
      const info = JSON.parse(readFileSync(join(classifierDir, "model.json"), "utf8")) as { id2label: Record<string, string> };
      labels = Object.keys(info.id2label).map((i) => info.id2label[i]!);
      [python, onnx, session] = await Promise.all([
        startPythonServer({ MODEL_DIR: classifierDir, CACHE_DIR: join(root, "classifier-cache") }),
        freePort().then((port) =>
          startServer(
            resolveServerSettings({ env: { MODEL_DIR: classifierDir, PORT: String(port), HOST: "127.0.0.1", QUIET: "true", INFERENCE_WORKERS: "0" } }),
            silentLogger,
          ),
        ),
        ort.InferenceSession.create(join(classifierDir, "model.onnx")),
      ]);
    });
    afterAll(async () => {
      await Promise.all([python?.stop(), onnx?.drain(2000), session?.release()]);
    });

    it.each([
      ["The movie was wonderful!", undefined],
      ["The company said profits rose.", "Profits went up, the company said."],
      ["Héllo Wörld, ça va?", "Привет, Αθήνα, 中国"],
    ])("labels %j (pair: %j) as ONNX Runtime's logits say, on both servers", async (first, second) => {
      const encoded = (await tokenizer()).encodeForClassification(first, second, 128);
      const ids = [...encoded.ids];
      const tensor = (values: number[]) => new ort.Tensor("int64", BigInt64Array.from(values.map(BigInt)), [1, values.length]);
      const types = ids.map((_, i) => (i < encoded.secondStart ? 0 : 1));
      const reference = (await session.run({ input_ids: tensor(ids), attention_mask: tensor(ids.map(() => 1)), token_type_ids: tensor(types) }))["logits"]!
        .data as Float32Array;
      const best = reference.indexOf(Math.max(...reference));
      const fields = second === undefined ? { seq_0: first } : { seq_0: first, seq_1: second };
      const inputs = Object.entries(fields).map(([name, value]) => ({ name, shape: [1], datatype: "BYTES", data: [value] }));
      for (const url of [python.url, onnx.url]) {
        const seed = (await (await fetch(`${url}/predictions/model0`, json(fields))).json()) as { label: string; score: number; detail: string };
        expect(seed.label).toBe(labels[best]);
        expect(seed.detail).toBe(seed.label);
        const v2 = (await (await fetch(`${url}/v2/models/model0/infer`, json({ inputs }))).json()) as { outputs: { name: string; data: unknown[] }[] };
        expect(v2.outputs.map((output) => output.name)).toEqual(["logits", "label"]);
        (v2.outputs[0]!.data as number[]).forEach((value, i) => expect(Math.abs(value - reference[i]!)).toBeLessThan(1e-3));
        expect(v2.outputs[1]!.data).toEqual([seed.label]);
      }
    });

    const json = (body: unknown): RequestInit => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  });
});
