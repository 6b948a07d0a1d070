// The route handlers of the model server's HTTP API: what each route answers. app.ts lists the routes and wires
// the middleware; errors thrown here are HttpErrors that error-response.ts answers.
import type { Context } from "hono";
import { answerQuestion } from "../inference/question-answering.js";
import { classifyText } from "../inference/text-classification.js";
import type { LoadedModel, ModelRegistry } from "../model/model-registry.js";
import { DEFAULT_CONTEXT, DEFAULT_QUESTION } from "../sample-defaults.js";
import type { AppDeps, AppEnv as Env } from "./app.js";
import { errorJson } from "./error-response.js";
import { InputError } from "./input-error.js";
import { modelMetadata } from "./model-metadata.js";
import { readJsonBody, readPredictionBody } from "./request-body.js";
import { parseInferInputs, parseRequestedOutputs, runInfer } from "./v2-infer.js";

function unknownModel(c: Context<Env>, registry: ModelRegistry, name: string): Response {
  const names = registry.names();
  const listed = names.length > 12 ? `${names.slice(0, 12).join(", ")} and ${names.length - 12} more` : names.join(", ");
  return errorJson(c, 404, `Model ${name} does not exist. Try one of: ${listed}.`);
}

function textField(body: unknown, query: string | undefined, key: "seq_0" | "seq_1"): string | undefined {
  if (body !== undefined) {
    if (typeof body !== "object" || body === null || Array.isArray(body))
      throw new InputError('The body must be a JSON object such as {"seq_0": "question", "seq_1": "context"}.');
    const value = (body as Record<string, unknown>)[key];
    if (value !== undefined && value !== null) {
      if (typeof value !== "string") throw new InputError(`${key} must be a string, got ${typeof value}.`);
      return value;
    }
  }
  return query;
}

/** The handlers of the routes that run models: the seed's predictions and the v2 infer. */
export function createInferenceHandlers(deps: Pick<AppDeps, "registry" | "postprocess">) {
  const { registry, postprocess } = deps;
  const lookup = (c: Context<Env>, name: string): Promise<LoadedModel | undefined> => {
    // A lazy registry: note whether this request waits for a load (cold) or finds the model resident (warm).
    if (registry.isResident !== undefined) c.set("cold", !registry.isResident(name));
    return registry.get(name);
  };

  /** Rejects before any tokenizing or parsing when the model's queue is full: a rejection costs microseconds. */
  const admit = (model: LoadedModel) => {
    if (model.queue.full) throw model.queue.fullError();
  };

  const predict = async (c: Context<Env>, readBody: boolean) => {
    const name = c.req.param("model") ?? "";
    const model = await lookup(c, name);
    if (model === undefined) return unknownModel(c, registry, name);
    c.set("model", name);
    admit(model);
    const body = readBody ? await readPredictionBody(c) : undefined;
    // The common benchmark request has no query string at all: skip parsing it.
    const query = c.req.url.includes("?") ? c.req.query() : undefined;
    const first = textField(body, query?.["seq_0"], "seq_0") ?? DEFAULT_QUESTION;
    const second = textField(body, query?.["seq_1"], "seq_1");
    // The request's signal drops it from the queue if its client leaves; its trace hears of the batch it joins.
    const { signal } = c.req.raw;
    const { batch } = c.get("trace");
    if (model.task === "text-classification") {
      // seq_0 alone, or the pair seq_0 + seq_1; detail repeats the label for clients of the seed's {"detail": ...} shape.
      const { label, score } = await classifyText(model, first, second, signal, batch);
      return c.json({ label, score, detail: label });
    }
    return c.json({ detail: await answerQuestion(model, first, second ?? DEFAULT_CONTEXT, postprocess, signal, batch) });
  };

  const infer = async (c: Context<Env>) => {
    const name = c.req.param("model") ?? "";
    const model = await lookup(c, name);
    if (model === undefined) return unknownModel(c, registry, name);
    c.set("model", name);
    admit(model);
    const body = await readJsonBody(c);
    const tensors = parseInferInputs(body);
    const outputs = await runInfer(model, tensors, postprocess, parseRequestedOutputs(body), c.req.raw.signal, c.get("trace").batch);
    const id = typeof body === "object" && body !== null && typeof (body as { id?: unknown }).id === "string" ? (body as { id: string }).id : undefined;
    return c.json({ model_name: name, model_version: "1", ...(id !== undefined ? { id } : {}), outputs });
  };
  return { predict, infer };
}

/** The handlers of the routes that describe models and the server: metadata, readiness, the repository index. */
export function createMetadataHandlers(deps: Pick<AppDeps, "registry" | "state" | "serverVersion">) {
  const { registry, state } = deps;
  const describeModel = (c: Context<Env>) => {
    const name = c.req.param("model") ?? "";
    const model = registry.describe(name);
    if (model === undefined) return unknownModel(c, registry, name);
    c.set("model", name);
    return c.json(modelMetadata(model));
  };
  const modelReady = (c: Context<Env>) => {
    const name = c.req.param("model") ?? "";
    const status = registry.status(name);
    if (status === undefined) return unknownModel(c, registry, name);
    c.set("model", name);
    // Ready only while resident: a repository model that is not loaded yet answers 503 until a request loads it.
    const ready = status.state === "READY" && !state.draining;
    return c.json({ name, ready, ...(status.reason ? { reason: status.reason } : {}) }, ready ? 200 : 503);
  };
  const repositoryIndex = async (c: Context<Env>) => {
    const body = await readJsonBody(c);
    const onlyReady = typeof body === "object" && body !== null && (body as { ready?: unknown }).ready === true;
    return c.json(registry.index().filter((model) => !onlyReady || model.state === "READY"));
  };
  const serverMetadata = (c: Context<Env>) => c.json({ name: "inference-fleet-model-server", version: deps.serverVersion ?? "0.1.0", extensions: [] });
  return { describeModel, modelReady, repositoryIndex, serverMetadata };
}
