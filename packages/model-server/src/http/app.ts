import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { Logger } from "pino";
import { QueueFullError, RequestTimeoutError } from "../inference/batch-queue.js";
import { answerQuestion } from "../inference/question-answering.js";
import type { LoadedModel, ModelDescription, ModelRegistry } from "../model/model-registry.js";
import { ModelUnavailableError } from "../model/model-repository.js";
import { DEFAULT_CONTEXT, DEFAULT_QUESTION } from "../sample-defaults.js";
import { QuestionTooLongError } from "../tokenizer/wordpiece-tokenizer.js";
import { InputError } from "./input-error.js";
import type { ServerMetrics } from "./server-metrics.js";
import { parseInferInputs, runInfer } from "./v2-infer.js";

/** Whether the process is shutting down: readiness is false and responses close their connection. */
export interface ServerState {
  draining: boolean;
}

export interface AppDeps {
  readonly registry: ModelRegistry;
  readonly metrics: ServerMetrics;
  readonly state: ServerState;
  readonly postprocess: boolean;
  readonly maxBodyBytes: number;
  /** Serve GET /metrics on this app (false when it has a port of its own). */
  readonly exposeMetrics: boolean;
  /** Per-request log lines; undefined when QUIET. Errors go to errorLog either way. */
  readonly requestLog?: Logger;
  readonly errorLog: Logger;
  readonly serverVersion?: string;
}

type Env = { Variables: { route: string; model: string; cold: boolean | undefined } };

const GENERIC_500 = "The server failed to answer this request; it has been logged. Retry, and if it keeps failing check the server log.";

/** The seed-compatible routes answer errors as the AWS sample does ({"detail": ...}); the rest as the Open Inference Protocol ({"error": ...}). */
function errorJson(c: Context, status: number, message: string, headers?: Record<string, string>): Response {
  const key = c.req.path.startsWith("/predictions/") ? "detail" : "error";
  return c.json({ [key]: message }, status as 400, headers);
}

function unknownModel(c: Context<Env>, registry: ModelRegistry, name: string): Response {
  const names = registry.names();
  const listed = names.length > 12 ? `${names.slice(0, 12).join(", ")} and ${names.length - 12} more` : names.join(", ");
  return errorJson(c, 404, `Model ${name} does not exist. Try one of: ${listed}.`);
}

/** Reads a JSON body: no body is undefined; a body that is not JSON is 415; bad JSON is 400. */
async function readJsonBody(c: Context): Promise<unknown> {
  const length = c.req.header("content-length");
  if (!c.req.raw.body || (length === "0" && !c.req.header("transfer-encoding"))) return undefined;
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) throw new InputError(`Send the body as JSON with Content-Type: application/json (got ${type ? JSON.stringify(type) : "none"}).`, 415);
  const text = await c.req.text();
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`The body is not valid JSON: ${(error as Error).message}.`);
  }
}

function textField(body: unknown, query: string | undefined, key: "seq_0" | "seq_1", fallback: string): string {
  if (body !== undefined) {
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw new InputError('The body must be a JSON object such as {"seq_0": "question", "seq_1": "context"}.');
    const value = (body as Record<string, unknown>)[key];
    if (value !== undefined && value !== null) {
      if (typeof value !== "string") throw new InputError(`${key} must be a string, got ${typeof value}.`);
      return value;
    }
  }
  return query ?? fallback;
}

/**
 * The model server's HTTP API as one Hono app: the AWS sample's routes, the Open Inference Protocol v2
 * routes and /metrics. Every error is JSON; nothing loads a model from a path or URL in a request.
 */
export function createApp(deps: AppDeps) {
  const { registry, metrics, state, postprocess } = deps;
  const limitBody = bodyLimit({
    maxSize: deps.maxBodyBytes,
    onError: () => {
      throw new InputError(`The body is larger than ${deps.maxBodyBytes} bytes; send less text or fewer sequences per request.`, 413);
    },
  });
  const lookup = (c: Context<Env>, name: string): Promise<LoadedModel | undefined> => {
    // A lazy registry: note whether this request waits for a load (cold) or finds the model resident (warm).
    if (registry.isResident !== undefined) c.set("cold", !registry.isResident(name));
    return registry.get(name);
  };

  const predict = async (c: Context<Env>, body: unknown) => {
    const name = c.req.param("model") ?? "";
    const model = await lookup(c, name);
    if (model === undefined) return unknownModel(c, registry, name);
    c.set("model", name);
    // The common benchmark request has no query string at all: skip parsing it.
    const query = c.req.url.includes("?") ? c.req.query() : undefined;
    const question = textField(body, query?.["seq_0"], "seq_0", DEFAULT_QUESTION);
    const context = textField(body, query?.["seq_1"], "seq_1", DEFAULT_CONTEXT);
    return c.json({ detail: await answerQuestion(model, question, context, postprocess) });
  };

  const app = new Hono<Env>();

  app.use(async (c, next) => {
    const started = performance.now();
    c.set("route", "unmatched");
    c.set("model", "-");
    await next();
    if (state.draining) c.header("Connection", "close");
    const seconds = (performance.now() - started) / 1000;
    const route = c.get("route");
    metrics.observeRequest(route, c.get("model"), c.res.status, seconds);
    const cold = c.get("cold");
    if (cold !== undefined && c.get("model") !== "-") {
      metrics.observeResidency(cold, seconds);
      // Tells clients (and the many-models bench) which answers waited for a model load.
      if (cold) c.header("X-Model-Load", "cold");
    }
    deps.requestLog?.info({ method: c.req.method, route, model: c.get("model"), status: c.res.status, ms: Math.round(seconds * 1e6) / 1e3 });
  });

  // Labels the route for metrics and logs without another async middleware layer on the hot path.
  const route = <R>(path: string, handler: (c: Context<Env>) => R) => (c: Context<Env>) => {
    c.set("route", path);
    return handler(c);
  };

  app.get("/", route("/", (c) => c.json({ Status: "Healthy" })));
  app.get("/predictions/:model", route("/predictions/:model", (c) => predict(c, undefined)));
  app.post("/predictions/:model", limitBody, route("/predictions/:model", async (c) => predict(c, await readJsonBody(c))));

  app.get("/v2/health/live", route("/v2/health/live", (c) => c.json({ live: true })));
  app.get("/v2/health/ready", route("/v2/health/ready", (c) => {
    const ready = registry.ready() && !state.draining;
    return c.json({ ready }, ready ? 200 : 503);
  }));
  app.get("/v2", route("/v2", (c) => c.json({ name: "inference-fleet-model-server", version: deps.serverVersion ?? "0.1.0", extensions: [] })));
  app.get("/v2/models/:model", route("/v2/models/:model", async (c) => {
    const name = c.req.param("model") ?? "";
    const model = registry.describe(name);
    if (model === undefined) return unknownModel(c, registry, name);
    c.set("model", name);
    return c.json(modelMetadata(model));
  }));
  app.get("/v2/models/:model/ready", route("/v2/models/:model/ready", async (c) => {
    const name = c.req.param("model") ?? "";
    const status = registry.status(name);
    if (status === undefined) return unknownModel(c, registry, name);
    c.set("model", name);
    // Ready only while resident: a repository model that is not loaded yet answers 503 until a request loads it.
    const ready = status.state === "READY" && !state.draining;
    return c.json({ name, ready, ...(status.reason ? { reason: status.reason } : {}) }, ready ? 200 : 503);
  }));
  app.post("/v2/repository/index", limitBody, route("/v2/repository/index", async (c) => {
    const body = await readJsonBody(c);
    const onlyReady = typeof body === "object" && body !== null && (body as { ready?: unknown }).ready === true;
    return c.json(registry.index().filter((model) => !onlyReady || model.state === "READY"));
  }));
  app.post("/v2/models/:model/infer", limitBody, route("/v2/models/:model/infer", async (c) => {
    const name = c.req.param("model") ?? "";
    const model = await lookup(c, name);
    if (model === undefined) return unknownModel(c, registry, name);
    c.set("model", name);
    const body = await readJsonBody(c);
    const tensors = parseInferInputs(body);
    const outputs = await runInfer(model, tensors, postprocess);
    const id = typeof body === "object" && body !== null && typeof (body as { id?: unknown }).id === "string" ? (body as { id: string }).id : undefined;
    return c.json({ model_name: name, model_version: "1", ...(id !== undefined ? { id } : {}), outputs });
  }));
  if (deps.exposeMetrics) app.get("/metrics", route("/metrics", metricsHandler(metrics)));

  // A known path with the wrong method is 405 with Allow; anything else is 404.
  const allowed: Array<[string, string]> = [
    ["/", "GET, HEAD"], ["/predictions/:model", "GET, HEAD, POST"], ["/v2/health/live", "GET, HEAD"], ["/v2/health/ready", "GET, HEAD"],
    ["/v2", "GET, HEAD"], ["/v2/models/:model", "GET, HEAD"], ["/v2/models/:model/ready", "GET, HEAD"], ["/v2/models/:model/infer", "POST"], ["/v2/repository/index", "POST"],
    ...(deps.exposeMetrics ? [["/metrics", "GET, HEAD"] as [string, string]] : []),
  ];
  for (const [path, allow] of allowed) {
    app.all(path, route(path, (c) => errorJson(c, 405, `${c.req.method} is not allowed on ${c.req.path}; use ${allow}.`, { Allow: allow })));
  }
  app.notFound((c) => errorJson(c, 404, `There is no route ${c.req.method} ${c.req.path}. Routes: GET /, GET|POST /predictions/{model}, /v2/health/live, /v2/health/ready, /v2/models/{model}, /v2/models/{model}/ready, POST /v2/models/{model}/infer, POST /v2/repository/index.`));

  app.onError((error, c) => {
    if (error instanceof InputError) return errorJson(c, error.status, error.message);
    if (error instanceof QuestionTooLongError) return errorJson(c, 400, error.message);
    if (error instanceof QueueFullError) return errorJson(c, 503, error.message, { "Retry-After": String(error.retryAfterSeconds) });
    if (error instanceof RequestTimeoutError) return errorJson(c, 504, error.message);
    if (error instanceof ModelUnavailableError) return errorJson(c, 503, error.message, { "Retry-After": String(error.retryAfterSeconds) });
    if (error instanceof HTTPException && error.status < 500) return errorJson(c, error.status, error.message || "The request could not be read.");
    deps.errorLog.error({ err: error, method: c.req.method, path: c.req.path }, "request failed");
    return errorJson(c, 500, GENERIC_500);
  });

  return app;
}

export function metricsHandler(metrics: ServerMetrics) {
  return async (c: Context) => c.body(await metrics.text(), 200, { "Content-Type": metrics.contentType });
}

/** Open Inference Protocol model metadata: the text and token forms a request may take. */
function modelMetadata(model: ModelDescription) {
  const text = (name: string) => ({ name, datatype: "BYTES", shape: [-1] });
  const tokens = (name: string) => ({ name, datatype: "INT64", shape: [-1, model.maxSeqLength] });
  return {
    name: model.name,
    versions: ["1"],
    platform: "onnxruntime_onnx",
    inputs: [text("seq_0"), text("seq_1"), ...model.inputNames.map(tokens)],
    outputs: [text("answer"), ...model.outputNames.map((name) => ({ name, datatype: "FP32", shape: [-1, -1] }))],
    // The provider the session really runs on (cpu after a CUDA fallback): load generators record it per server.
    parameters: { max_sequence_length: model.maxSeqLength, ...(model.executionProvider ? { execution_provider: model.executionProvider } : {}) },
  };
}
