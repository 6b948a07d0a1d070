import { Hono, type Context, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { Logger } from "pino";
import { ClientClosedError, QueueFullError, RequestTimeoutError } from "../inference/batch-queue.js";
import { answerQuestion } from "../inference/question-answering.js";
import { classifyText } from "../inference/text-classification.js";
import type { LoadedModel, ModelRegistry } from "../model/model-registry.js";
import { ModelUnavailableError } from "../model/model-repository.js";
import { DEFAULT_CONTEXT, DEFAULT_QUESTION } from "../sample-defaults.js";
import { QuestionTooLongError } from "../tokenizer/wordpiece-tokenizer.js";
import { BodyBudgetError, reserveBody, type BodyBudget } from "./body-budget.js";
import { refuseBodyOnBodilessMethods } from "./bodiless-methods.js";
import { bytesRead, clientClosed, clientGone, pauseReading } from "./connection.js";
import { live, readyHandler } from "./health-app.js";
import { InputError } from "./input-error.js";
import { modelMetadata } from "./model-metadata.js";
import { readJsonBody, readPredictionBody } from "./request-body.js";
import { requestTrace, serverTimingHeader, type RequestTrace } from "./request-trace.js";
import { registerRoutes, type Route } from "./route-table.js";
import type { ServerMetrics } from "./server-metrics.js";
import { parseInferInputs, parseRequestedOutputs, runInfer } from "./v2-infer.js";

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
  /** Bytes of bodies all requests together may hold while read (MAX_BODY_BYTES_IN_FLIGHT); none when undefined. */
  readonly bodyBudget?: BodyBudget;
  /** Serve GET /metrics on this app (false when it has a port of its own). */
  readonly exposeMetrics: boolean;
  /** Per-request log lines; undefined when QUIET. Errors go to errorLog either way. */
  readonly requestLog?: Logger;
  readonly errorLog: Logger;
  readonly serverVersion?: string;
  /** Hears of each body the server will not finish reading (its client left, or it was refused room), with about the bytes read of it. */
  readonly onBodyAbandoned?: (bytesRead: number) => void;
}

type Env = { Variables: { route: string; model: string; cold: boolean | undefined; trace: RequestTrace } };

/** nginx's "client closed request": counted apart from the 5xx an SLO alarm watches. */
export const CLIENT_CLOSED = 499;

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
  // The budget is asked before bodyLimit, which reads a chunked body whole before it calls next. A declared
  // length over the limit asks for nothing and gets bodyLimit's 413; one that fits the limit but not the budget is 503.
  const reserve = deps.bodyBudget === undefined ? undefined : reserveBody(deps.bodyBudget, deps.maxBodyBytes);
  const guardBody: MiddlewareHandler<Env> =
    reserve === undefined
      ? limitBody
      : (c, next) =>
          reserve(c, async () => {
            await limitBody(c, next);
          });
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
    const { signal } = c.req.raw;
    if (model.task === "text-classification") {
      // seq_0 alone, or the pair seq_0 + seq_1; detail repeats the label for clients of the seed's {"detail": ...} shape.
      const { label, score } = await classifyText(model, first, second, signal, c.get("trace").batch);
      return c.json({ label, score, detail: label });
    }
    return c.json({ detail: await answerQuestion(model, first, second ?? DEFAULT_CONTEXT, postprocess, signal, c.get("trace").batch) });
  };

  const app = new Hono<Env>();

  app.use(async (c, next) => {
    const started = performance.now();
    c.set("route", "unmatched");
    c.set("model", "-");
    const trace = requestTrace(c.req.header("traceparent"), c.req.header("x-request-id"));
    c.set("trace", trace);
    // Inference requests in the server now (read by autoscaling): health, metadata and /metrics are not load.
    const inference = c.req.path.startsWith("/predictions/") || c.req.path.endsWith("/infer");
    if (inference) metrics.inFlight += 1;
    try {
      await next();
    } finally {
      if (inference) metrics.inFlight -= 1;
    }
    if (state.draining) c.header("Connection", "close");
    c.header("traceparent", trace.traceparent);
    c.header("X-Request-Id", trace.requestId);
    const timing = serverTimingHeader(trace.batch);
    if (timing !== undefined) c.header("Server-Timing", timing);
    const seconds = (performance.now() - started) / 1000;
    const route = c.get("route");
    // A client that left while its request ran (in a batch already running, say) gets nothing: 499, not the 200 written to nobody.
    const status = c.res.status !== CLIENT_CLOSED && clientGone(c) ? CLIENT_CLOSED : c.res.status;
    metrics.observeRequest(route, c.get("model"), status, seconds);
    const cold = c.get("cold");
    if (cold !== undefined && c.get("model") !== "-") {
      metrics.observeResidency(cold, seconds);
      // Tells clients (and the many-models bench) which answers waited for a model load.
      if (cold) c.header("X-Model-Load", "cold");
    }
    const { batch } = trace;
    const ms3 = (value: number | undefined) => Math.round((value ?? 0) * 1e3) / 1e3;
    deps.requestLog?.info({
      method: c.req.method,
      route,
      model: c.get("model"),
      status,
      ms: Math.round(seconds * 1e6) / 1e3,
      traceId: trace.traceId,
      requestId: trace.requestId,
      ...(batch.batchId === undefined
        ? {}
        : { batchId: batch.batchId, batchSize: batch.batchSize, queueMs: ms3(batch.queueMs), inferenceMs: ms3(batch.inferenceMs) }),
    });
  });
  app.use(refuseBodyOnBodilessMethods(errorJson));

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
  const serverMetadata = (c: Context<Env>) => c.json({ name: "inference-fleet-model-server", version: deps.serverVersion ?? "0.1.0", extensions: [] });
  const serverReady = readyHandler(registry, state);

  // The one list of routes: registration, each path's 405 Allow header and the 404 text all come from it.
  const routes: Route<Env>[] = [
    { method: "GET", path: "/", handler: (c) => c.json({ Status: "Healthy" }) },
    { method: "GET", path: "/predictions/:model", handler: (c) => predict(c, false) },
    { method: "POST", path: "/predictions/:model", middleware: guardBody, handler: (c) => predict(c, true) },
    { method: "GET", path: "/v2/health/live", handler: live },
    { method: "GET", path: "/v2/health/ready", handler: serverReady },
    { method: "GET", path: "/v2", handler: serverMetadata },
    { method: "GET", path: "/v2/models/:model", handler: describeModel },
    { method: "GET", path: "/v2/models/:model/ready", handler: modelReady },
    { method: "POST", path: "/v2/models/:model/infer", middleware: guardBody, handler: infer },
    { method: "POST", path: "/v2/repository/index", middleware: guardBody, handler: repositoryIndex },
    ...(deps.exposeMetrics ? [{ method: "GET", path: "/metrics", listed: false, handler: metricsHandler(metrics) } as const] : []),
  ];
  registerRoutes(app, routes, errorJson);

  app.onError((error, c) => {
    if (clientClosed(c)) {
      deps.onBodyAbandoned?.(bytesRead(c));
      // The client hung up (or a read timeout cut it) before sending its whole request: its own outcome, not a server error.
      deps.errorLog.info({ method: c.req.method, path: c.req.path }, "client closed the connection before its request was complete");
      return new Response(null, { status: CLIENT_CLOSED });
    }
    // Dropped from the batch queue uncomputed: nobody is there to read an answer.
    if (error instanceof ClientClosedError) return new Response(null, { status: CLIENT_CLOSED });
    // 413: the rest of the body is not read, so the connection closes after the answer (nothing of it is taken for a request).
    if (error instanceof InputError) return errorJson(c, error.status, error.message, error.status === 413 ? { Connection: "close" } : undefined);
    if (error instanceof QuestionTooLongError) return errorJson(c, 400, error.message);
    if (error instanceof QueueFullError) {
      pauseReading(c, error.retryAfterSeconds * 1000);
      return errorJson(c, 503, error.message, { "Retry-After": String(error.retryAfterSeconds) });
    }
    // Connection: close, so Node does not read the body it was refused room for.
    if (error instanceof BodyBudgetError) {
      // What Node read of it before the refusal (up to ~64 KB a connection) is garbage now: after a burst, collected at once.
      deps.onBodyAbandoned?.(bytesRead(c));
      return errorJson(c, 503, error.message, { "Retry-After": String(error.retryAfterSeconds), Connection: "close" });
    }
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
