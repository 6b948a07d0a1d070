import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { buildTokenizerJson } from "@inference-fleet/model-zoo";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveServerSettings } from "./config/settings.js";
import { freePort } from "./process/free-port.js";
import { startServer, type RunningServer } from "./server.js";
import { classifierLogits, writeClassificationModel, type ClassifierWeights } from "./testing/classification-model.js";
import { silentLogger } from "./testing/tiny-model.js";

/**
 * A text-classification model (task and id2label in model.json, output logits [batch, labels]) served
 * over real HTTP: labels, scores and logits match the reference computed from the model's weights
 * on the JS port's ids, for single sentences and pairs, on the seed route and on v2 (text and tokens).
 */
let root: string;
let weights: ClassifierWeights;
let server: RunningServer;
const reference = new Tokenizer(JSON.parse(buildTokenizerJson()) as object, {});
const LABELS = ["negative", "neutral", "positive"];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "classification-"));
  weights = await writeClassificationModel(join(root, "classifier"), LABELS);
  server = await startServer(
    resolveServerSettings({ flags: { modelSource: join(root, "classifier"), port: await freePort(), host: "127.0.0.1", quiet: true, inferenceWorkers: 0 } }),
    silentLogger,
  );
});
afterAll(async () => {
  await server?.drain(1000);
  await rm(root, { recursive: true, force: true });
});

/** The reference: logits from the weights over the port's ids ([CLS] a [SEP] (b [SEP])), softmax, argmax. */
function expected(first: string, second?: string) {
  const encoded = reference.encode(first, { text_pair: second ?? null, return_token_type_ids: true });
  const logits = classifierLogits(weights, encoded.ids, encoded.token_type_ids);
  const best = logits.indexOf(Math.max(...logits));
  const score = 1 / logits.reduce((sum, value) => sum + Math.exp(value - logits[best]!), 0);
  return { label: LABELS[best]!, score, logits };
}

const post = async (path: string, body: unknown) => {
  const response = await fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
};

const TEXTS: [string, string | undefined][] = [
  ["The movie was wonderful!", undefined],
  ["Terrible service, never again.", undefined],
  ["The company said profits rose.", "Profits went up, the company said."],
  ["Héllo Wörld, ça va?", "Привет, Αθήνα, 中国"],
];

describe.each(TEXTS)("classifying %j (pair: %j)", (first, second) => {
  it("answers the seed route with the reference label and score, detail repeating the label", async () => {
    const body = await post("/predictions/model0", second === undefined ? { seq_0: first } : { seq_0: first, seq_1: second });
    const { label, score } = expected(first, second);
    expect(body).toEqual({ label, score: expect.closeTo(score, 5), detail: label });
  });

  it("answers v2 text requests with the reference logits and label", async () => {
    const inputs = [{ name: "seq_0", shape: [1], datatype: "BYTES", data: [first] }];
    if (second !== undefined) inputs.push({ name: "seq_1", shape: [1], datatype: "BYTES", data: [second] });
    const { outputs } = (await post("/v2/models/model0/infer", { inputs })) as { outputs: { name: string; shape: number[]; data: unknown[] }[] };
    const { label, logits } = expected(first, second);
    expect(outputs.map((output) => [output.name, output.shape])).toEqual([
      ["logits", [1, 3]],
      ["label", [1]],
    ]);
    (outputs[0]!.data as number[]).forEach((value, i) => expect(value).toBeCloseTo(logits[i]!, 4));
    expect(outputs[1]!.data).toEqual([label]);
  });
});

describe("the v2 metadata", () => {
  it("names the task, the labels and the text form a classifier takes", async () => {
    const metadata = (await (await fetch(`${server.url}/v2/models/model0`)).json()) as { outputs: { name: string }[]; parameters: Record<string, unknown> };
    expect(metadata.outputs.map((output) => output.name)).toEqual(["logits"]);
    expect(metadata.parameters).toMatchObject({ task: "text-classification", labels: LABELS });
    expect((metadata.parameters["text_outputs"] as { name: string }[]).map((output) => output.name)).toEqual(["logits", "label"]);
  });
});

describe("the v2 token form", () => {
  it("gives logits [batch, labels] and labels for INT64 rows", async () => {
    const rows = TEXTS.slice(0, 2).map(([first]) => reference.encode(first, { return_token_type_ids: true }));
    const seq = Math.max(...rows.map((row) => row.ids.length));
    const pad = (values: number[]) => [...values, ...Array<number>(seq - values.length).fill(0)];
    const shape = [rows.length, seq];
    const { outputs } = (await post("/v2/models/model0/infer", {
      inputs: [
        { name: "input_ids", shape, datatype: "INT64", data: rows.flatMap((row) => pad(row.ids)) },
        { name: "attention_mask", shape, datatype: "INT64", data: rows.flatMap((row) => pad(row.ids.map(() => 1))) },
        { name: "token_type_ids", shape, datatype: "INT64", data: rows.flatMap((row) => pad(row.token_type_ids)) },
      ],
      outputs: [{ name: "label" }, { name: "logits" }],
    })) as { outputs: { name: string; data: unknown[] }[] };
    expect(outputs[0]).toMatchObject({ name: "label", data: TEXTS.slice(0, 2).map(([first]) => expected(first).label) });
    const want = TEXTS.slice(0, 2).flatMap(([first]) => expected(first).logits);
    (outputs[1]!.data as number[]).forEach((value, i) => expect(value).toBeCloseTo(want[i]!, 4));
  });

  it("refuses an output a classifier does not give, naming the ones it does", async () => {
    const response = await fetch(`${server.url}/v2/models/model0/infer`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ inputs: [{ name: "seq_0", shape: [1], datatype: "BYTES", data: ["x"] }], outputs: [{ name: "answer" }] }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'Unknown output answer: text requests give logits and label; ask for those or leave "outputs" out.' });
  });
});
