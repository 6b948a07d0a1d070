import { cp, writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CONTEXT, DEFAULT_QUESTION } from "../sample-defaults.js";
import { appFor, generateTinyModel } from "../testing/tiny-model.js";

let model: Awaited<ReturnType<typeof generateTinyModel>>;
let api: Awaited<ReturnType<typeof appFor>>;

beforeAll(async () => {
  model = await generateTinyModel();
  api = await appFor(model.dir);
});
afterAll(async () => {
  await api?.registry.close();
  await model?.cleanup();
});

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: typeof body === "string" ? body : JSON.stringify(body),
});
const query = (question: string, context: string) => `?seq_0=${encodeURIComponent(question)}&seq_1=${encodeURIComponent(context)}`;

/** Whether `answer`'s tokens appear, in order and together, in the context's tokens. */
function isSpanOfContext(answer: string, context: string): boolean {
  const words = (text: string) =>
    text
      .toLowerCase()
      .replace(/([^\w\s])/g, " $1 ")
      .split(/\s+/)
      .filter(Boolean)
      .join(" ");
  return words(context).includes(words(answer.replace(/ ##/g, "")));
}

describe("seed-compatible routes (the AWS sample's API)", () => {
  it("GET / is healthy", async () => {
    const response = await api.app.request("/");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ Status: "Healthy" });
  });

  it("GET /predictions/model0 answers the sample's default question with a span of the default context", async () => {
    const response = await api.app.request("/predictions/model0");
    expect(response.status).toBe(200);
    const { detail } = (await response.json()) as { detail: string };
    expect(detail.length).toBeGreaterThan(0);
    expect(isSpanOfContext(detail, DEFAULT_CONTEXT)).toBe(true);
  });

  it("gives the same answer for the query string, a JSON body and the defaults spelled out, on every copy", async () => {
    const fromDefaults = await (await api.app.request("/predictions/model1")).json();
    const fromQuery = await (await api.app.request(`/predictions/model0${query(DEFAULT_QUESTION, DEFAULT_CONTEXT)}`)).json();
    const fromBody = await (await api.app.request("/predictions/model0", json({ seq_0: DEFAULT_QUESTION, seq_1: DEFAULT_CONTEXT }))).json();
    expect(fromQuery).toEqual(fromDefaults);
    expect(fromBody).toEqual(fromDefaults);
  });

  it("answers other questions from their own context", async () => {
    const context = "Marie Curie was born in Warsaw and studied physics in Paris.";
    const response = await api.app.request("/predictions/model0", json({ seq_0: "Where was she born?", seq_1: context }));
    expect(response.status).toBe(200);
    expect(isSpanOfContext(((await response.json()) as { detail: string }).detail, context)).toBe(true);
  });

  it("answers 404 naming the models that exist", async () => {
    const response = await api.app.request("/predictions/model7");
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ detail: "Model model7 does not exist. Try one of: model0, model1." });
  });

  it.each([
    ["text/plain", "hello", 415, /application\/json.*application\/x-www-form-urlencoded or multipart\/form-data/],
    ["application/json", "{not json", 400, /not valid JSON/],
    ["application/json", "[1, 2]", 400, /JSON object/],
    ["application/json", '{"seq_0": 42}', 400, /seq_0 must be a string, got number/],
    ["application/json", JSON.stringify({ seq_0: "word ".repeat(200) }), 400, /question\) is too long/],
  ])("POST with %s body %j is %i", async (type, body, status, message) => {
    const response = await api.app.request("/predictions/model0", { method: "POST", headers: { "content-type": type }, body });
    expect(response.status).toBe(status);
    expect(((await response.json()) as { detail: string }).detail).toMatch(message);
  });

  it("answers 413 for a body over the limit", async () => {
    const body = JSON.stringify({ seq_1: "x".repeat(70 * 1024) });
    const response = await api.app.request("/predictions/model0", json(body, { "content-length": String(body.length) }));
    expect(response.status).toBe(413);
  });

  it("answers 405 with Allow for a wrong method and 404 JSON for an unknown path", async () => {
    const wrongMethod = await api.app.request("/predictions/model0", { method: "DELETE" });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET, HEAD, POST");
    const unknown = await api.app.request("/nothing/here");
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toMatch(/no route GET \/nothing\/here/);
    const listed = ((await (await api.app.request("/nothing/here")).json()) as { error: string }).error;
    expect(listed).toContain("GET|POST /predictions/{model}, GET /v2/health/live");
  });
});

describe("Open Inference Protocol v2", () => {
  it("reports liveness, readiness (false while draining) and model readiness", async () => {
    expect((await api.app.request("/v2/health/live")).status).toBe(200);
    expect(await (await api.app.request("/v2/health/ready")).json()).toEqual({ ready: true });
    expect(await (await api.app.request("/v2/models/model1/ready")).json()).toEqual({ name: "model1", ready: true });
    api.state.draining = true;
    try {
      expect((await api.app.request("/v2/health/ready")).status).toBe(503);
      expect((await api.app.request("/v2/health/live")).status).toBe(200);
    } finally {
      api.state.draining = false;
    }
    expect((await api.app.request("/v2/models/nope/ready")).status).toBe(404);
  });

  it("describes a model's own tensors as inputs and outputs, and the text form under parameters", async () => {
    type Tensor = { name: string; datatype: string };
    type Metadata = { name: string; inputs: Tensor[]; outputs: Tensor[]; parameters: { text_inputs: Tensor[] } };
    const metadata = (await (await api.app.request("/v2/models/model0")).json()) as Metadata;
    expect(metadata.name).toBe("model0");
    const named = (tensors: Tensor[]) => tensors.map((tensor) => `${tensor.name}:${tensor.datatype}`);
    expect(named(metadata.inputs)).toEqual(["input_ids:INT64", "attention_mask:INT64", "token_type_ids:INT64"]);
    expect(named(metadata.outputs)).toEqual(["start_logits:FP32", "end_logits:FP32"]);
    expect(named(metadata.parameters.text_inputs)).toEqual(["seq_0:BYTES", "seq_1:BYTES"]);
    const missing = await api.app.request("/v2/models/nope");
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toMatch(/model0, model1/);
  });

  it("answers BYTES inputs with the same answers as /predictions, one per row", async () => {
    const questions = [DEFAULT_QUESTION, "Who repeats it?"];
    const body = {
      id: "r1",
      inputs: [
        { name: "seq_0", shape: [2], datatype: "BYTES", data: questions },
        { name: "seq_1", shape: [2], datatype: "BYTES", data: [DEFAULT_CONTEXT, DEFAULT_CONTEXT] },
      ],
    };
    const response = await api.app.request("/v2/models/model0/infer", json(body));
    expect(response.status).toBe(200);
    const result = (await response.json()) as { id: string; outputs: { name: string; shape: number[]; data: string[] }[] };
    expect(result.id).toBe("r1");
    const expected = await Promise.all(
      questions.map(async (q) => ((await (await api.app.request(`/predictions/model0${query(q, DEFAULT_CONTEXT)}`)).json()) as { detail: string }).detail),
    );
    expect(result.outputs).toEqual([{ name: "answer", datatype: "BYTES", shape: [2], data: expected }]);
  });

  it("runs INT64 token tensors and returns start and end logits of the same shape", async () => {
    const ids = [
      [101, 7592, 102, 2088, 102],
      [101, 2054, 102, 2088, 102],
    ];
    const body = {
      inputs: [
        { name: "input_ids", shape: [2, 5], datatype: "INT64", data: ids },
        { name: "token_type_ids", shape: [2, 5], datatype: "INT64", data: [0, 0, 0, 1, 1, 0, 0, 0, 1, 1] },
      ],
    };
    const response = await api.app.request("/v2/models/model0/infer", json(body));
    expect(response.status).toBe(200);
    const { outputs } = (await response.json()) as { outputs: { name: string; shape: number[]; data: number[] }[] };
    expect(outputs.map((o) => [o.name, o.shape, o.data.length])).toEqual([
      ["start_logits", [2, 5], 10],
      ["end_logits", [2, 5], 10],
    ]);
    expect(outputs[0]!.data.every(Number.isFinite)).toBe(true);
  });

  it.each([
    [{ inputs: [] }, /non-empty "inputs"/],
    [{ inputs: [{ name: "input_ids", shape: [1, 3], datatype: "FP32", data: [1, 2, 3] }] }, /must have datatype INT64, got FP32/],
    [{ inputs: [{ name: "input_ids", shape: [1, 3], datatype: "INT64", data: [1, 2] }] }, /needs 3 values, but data has 2/],
    [{ inputs: [{ name: "input_ids", shape: [1, 2], datatype: "INT64", data: [1, "NaN"] }] }, /"NaN" at position 1 is not a token id/],
    [{ inputs: [{ name: "input_ids", shape: [1, 2], datatype: "INT64", data: [1, 1.5] }] }, /1\.5 at position 1/],
    [{ inputs: [{ name: "input_ids", shape: [1, 2], datatype: "INT64", data: [1, 1e300] }] }, /is not a token id from 0 to 30521/],
    [
      {
        inputs: [
          { name: "input_ids", shape: [1, 2], datatype: "INT64", data: [1, 2] },
          { name: "attention_mask", shape: [2, 1], datatype: "INT64", data: [1, 1] },
        ],
      },
      /attention_mask must have the shape of input_ids/,
    ],
    [{ inputs: [{ name: "input_ids", shape: [1, 200], datatype: "INT64", data: Array(200).fill(1) }] }, /at most 128 tokens/],
    [{ inputs: [{ name: "pixels", shape: [1], datatype: "INT64", data: [1] }] }, /Unknown input pixels/],
    [{ inputs: [{ name: "seq_0", shape: [1], datatype: "BYTES", data: [7] }] }, /must be a string/],
    [
      {
        inputs: [
          { name: "seq_0", shape: [2], datatype: "BYTES", data: ["a", "b"] },
          { name: "seq_1", shape: [1], datatype: "BYTES", data: ["c"] },
        ],
      },
      /same count/,
    ],
  ])("rejects a bad tensor with 400 saying what was expected (%#)", async (body, message) => {
    const response = await api.app.request("/v2/models/model0/infer", json(body));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(message);
  });

  it("answers 415 for a non-JSON body and 405 for GET on infer", async () => {
    expect((await api.app.request("/v2/models/model0/infer", { method: "POST", headers: { "content-type": "text/csv" }, body: "1,2" })).status).toBe(415);
    const get = await api.app.request("/v2/models/model0/infer");
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
  });
});

describe("metrics", () => {
  it("serves Prometheus text with requests by route, model and status", async () => {
    await api.app.request("/predictions/model1");
    const response = await api.app.request("/metrics");
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/model_server_requests_total\{route="\/predictions\/:model",model="model1",status="200"\} \d+/);
    for (const name of [
      "model_server_request_duration_seconds_bucket",
      "model_server_batch_size_bucket",
      "model_server_inference_duration_seconds_bucket",
      "model_server_queue_depth",
      "model_server_process_resident_memory_bytes",
    ]) {
      expect(text).toContain(name);
    }
  });

  it("never uses client input as a label value", async () => {
    await api.app.request("/predictions/made-up-name");
    expect(await (await api.app.request("/metrics")).text()).not.toContain("made-up-name");
  });
});

describe("padding and batching", () => {
  const questions = ["What does the little engine say?", "What is steep?", "Who is pulled up?", "What is hard?", "What repeats?", "Where is the engine?"];
  const answersOf = async (app: typeof api.app) =>
    Promise.all(
      questions.map(async (q) => ((await (await app.request(`/predictions/model0${query(q, DEFAULT_CONTEXT)}`)).json()) as { detail: string }).detail),
    );

  it("gives the same answers with fixed padding as with dynamic padding", async () => {
    const fixed = await appFor(model.dir, { padding: "fixed" });
    try {
      expect(await answersOf(fixed.app)).toEqual(await answersOf(api.app));
    } finally {
      await fixed.registry.close();
    }
  });

  it("merges concurrent requests into one run and still answers each caller with its own answer", async () => {
    const batched = await appFor(model.dir, { queue: { maxBatch: 8, maxQueueDelayMs: 50, maxQueue: 64, requestTimeoutMs: 10_000 } });
    try {
      const unbatched = await answersOf(api.app);
      expect(await answersOf(batched.app)).toEqual(unbatched);
      const text = await batched.metrics.text();
      const sum = Number(/model_server_batch_size_sum\{session="shared"\} (\d+)/.exec(text)![1]);
      const count = Number(/model_server_batch_size_count\{session="shared"\} (\d+)/.exec(text)![1]);
      expect(sum).toBe(questions.length);
      expect(count).toBeLessThan(questions.length);
    } finally {
      await batched.registry.close();
    }
  });
});

describe("failures", () => {
  it("answers 500 with a generic message when ONNX Runtime throws, and the next request succeeds", async () => {
    // model.json claims more positions than the model has: a long context makes ONNX Runtime fail in Gather.
    const lying = join(model.root, "lying");
    await cp(model.dir, lying, { recursive: true });
    await writeFile(join(lying, "model.json"), JSON.stringify({ maxSequenceLength: 1024 }));
    const broken = await appFor(lying, { maxSeqLength: 1024 });
    try {
      const failed = await broken.app.request("/predictions/model0", json({ seq_1: "word ".repeat(700) }));
      expect(failed.status).toBe(500);
      const body = (await failed.json()) as { detail: string };
      expect(body.detail).toMatch(/^The server failed to answer this request/);
      expect(JSON.stringify(body)).not.toMatch(/at |\.ts|Gather/);
      expect((await broken.app.request("/predictions/model0")).status).toBe(200);
    } finally {
      await broken.registry.close();
    }
  });

  it("never answers 5xx to random paths, queries and bodies (property)", async () => {
    const text = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.constant(""), fc.string({ minLength: 3000, maxLength: 6000 }));
    await fc.assert(
      fc.asyncProperty(
        text,
        text,
        fc.uint8Array({ maxLength: 2000 }),
        fc.constantFrom("model0", "model1", "x", "%zz", ""),
        async (question, context, bytes, name) => {
          const responses = await Promise.all([
            api.app.request(`/predictions/${name}${query(question, context)}`),
            api.app.request(`/predictions/${name}`, json({ seq_0: question, seq_1: context })),
            api.app.request(`/predictions/${name}`, { method: "POST", headers: { "content-type": "application/json" }, body: bytes }),
            api.app.request(`/v2/models/${name}/infer`, { method: "POST", headers: { "content-type": "application/json" }, body: bytes }),
            api.app.request(
              `/v2/models/model0/infer`,
              json({
                inputs: [
                  { name: "seq_0", shape: [1], datatype: "BYTES", data: [question] },
                  { name: "seq_1", shape: [1], datatype: "BYTES", data: [context] },
                ],
              }),
            ),
          ]);
          for (const response of responses) {
            expect(response.status).toBeLessThan(500);
            expect(response.headers.get("content-type")).toMatch(/application\/json/);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
