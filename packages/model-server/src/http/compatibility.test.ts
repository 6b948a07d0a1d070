// Drop-in compatibility: the AWS sample's benchmark client in --post mode, and Open Inference Protocol
// v2 clients that build requests from metadata alone (as KServe's and Triton's generic clients do).
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

const question = "Where was she born?";
const context = "Marie Curie was born in Warsaw and studied physics in Paris.";

describe("POST /predictions/{model} with form bodies (the sample's client in --post mode)", () => {
  it("answers application/x-www-form-urlencoded seq_0/seq_1 as it answers the same JSON", async () => {
    const fromJson = await api.app.request("/predictions/model0", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ seq_0: question, seq_1: context }),
    });
    const form = new URLSearchParams({ seq_0: question, seq_1: context });
    const fromForm = await api.app.request("/predictions/model0", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
    });
    expect(fromForm.status).toBe(200);
    expect(await fromForm.json()).toEqual(await fromJson.json());
  });

  it("answers multipart/form-data seq_0/seq_1, and the defaults for missing fields", async () => {
    const form = new FormData();
    form.set("seq_0", DEFAULT_QUESTION);
    form.set("seq_1", new Blob([DEFAULT_CONTEXT], { type: "text/plain" }));
    const multipart = await api.app.request("/predictions/model0", { method: "POST", body: form });
    expect(multipart.status).toBe(200);
    const defaults = await (await api.app.request("/predictions/model0")).json();
    expect(await multipart.json()).toEqual(defaults);
    const urlencoded = { "content-type": "application/x-www-form-urlencoded" };
    const empty = await api.app.request("/predictions/model0", { method: "POST", headers: urlencoded, body: "other=1" });
    expect(await empty.json()).toEqual(defaults);
  });

  it("answers a broken multipart body with 400 and what to send", async () => {
    const response = await api.app.request("/predictions/model0", {
      method: "POST",
      headers: { "content-type": "multipart/form-data; boundary=xyz" },
      body: "not multipart at all",
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/multipart\/form-data body could not be read; send fields seq_0 and seq_1/);
  });
});

type Tensor = { name: string; datatype: string; shape: number[] };
type Metadata = { inputs: Tensor[]; outputs: Tensor[] };

describe("Open Inference Protocol v2 clients", () => {
  it("a client built from the metadata alone gets every output it was told of", async () => {
    const metadata = (await (await api.app.request("/v2/models/model0")).json()) as Metadata;
    // What a generic client does: one tensor per listed input, dynamic dimensions set to its own choice, zeros.
    const shapeOf = (tensor: Tensor) => tensor.shape.map((dim, axis) => (dim >= 0 ? dim : axis === 0 ? 2 : 8));
    const inputs = metadata.inputs.map((tensor) => {
      const shape = shapeOf(tensor);
      return { name: tensor.name, datatype: tensor.datatype, shape, data: new Array(shape.reduce((a, b) => a * b, 1)).fill(0) };
    });
    const outputs = metadata.outputs.map((tensor) => ({ name: tensor.name }));
    const response = await api.app.request("/v2/models/model0/infer", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ inputs, outputs }),
    });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { outputs: Tensor[] };
    expect(answer.outputs.map((tensor) => `${tensor.name}:${tensor.datatype}:${tensor.shape.length}`)).toEqual(
      metadata.outputs.map((tensor) => `${tensor.name}:${tensor.datatype}:${tensor.shape.length}`),
    );
    expect(answer.outputs[0]!.shape).toEqual([2, 8]);
  });

  it("returns only the outputs the request lists, in its order", async () => {
    const ids = { name: "input_ids", shape: [1, 5], datatype: "INT64", data: [101, 2054, 102, 2023, 102] };
    const ask = async (outputs: unknown) => {
      const response = await api.app.request("/v2/models/model0/infer", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ inputs: [ids], outputs }),
      });
      return { status: response.status, body: (await response.json()) as { outputs?: Tensor[]; error?: string } };
    };
    expect((await ask([{ name: "start_logits" }])).body.outputs!.map((tensor) => tensor.name)).toEqual(["start_logits"]);
    expect((await ask([{ name: "end_logits" }, { name: "start_logits" }])).body.outputs!.map((tensor) => tensor.name)).toEqual(["end_logits", "start_logits"]);
    const unknown = await ask([{ name: "answer" }]);
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatch(/Unknown output answer: token requests give start_logits and end_logits/);
    expect((await ask("start_logits")).body.error).toMatch(/"outputs" must be an array of objects with a name/);
  });
});
