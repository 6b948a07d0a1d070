// The request-metrics middleware: labels each request for metrics and logs, times it, counts cold model loads,
// and closes connections while draining.
import type { Context, MiddlewareHandler } from "hono";
import type { AppDeps, AppEnv } from "./app.js";
import { clientGone } from "./connection.js";
import { CLIENT_CLOSED } from "./error-response.js";
import { requestTrace, serverTimingHeader, type RequestTrace } from "./request-trace.js";

/**
 * Times every request and records it under its route and model (set by the route table and the handlers); gives it its
 * trace (W3C traceparent, X-Request-Id) and answers with the trace and the batch it joined (Server-Timing); counts a
 * request whose client left while it ran as 499, not the 200 written to nobody.
 */
export function requestMetrics(deps: Pick<AppDeps, "metrics" | "state" | "requestLog">): MiddlewareHandler<AppEnv> {
  const { metrics, state } = deps;
  return async (c, next) => {
    const started = performance.now();
    c.set("route", "unmatched");
    c.set("model", "-");
    const trace = requestTrace(c.req.header("traceparent"), c.req.header("x-request-id"));
    c.set("trace", trace);
    // Inference requests in the server now: health, metadata and /metrics are not load.
    const inference = c.req.path.startsWith("/predictions/") || c.req.path.endsWith("/infer");
    if (inference) metrics.inFlight += 1;
    try {
      await next();
    } finally {
      if (inference) metrics.inFlight -= 1;
    }
    if (state.draining) c.header("Connection", "close");
    traceHeaders(c, trace);
    const seconds = (performance.now() - started) / 1000;
    const route = c.get("route");
    const status = c.res.status !== CLIENT_CLOSED && clientGone(c) ? CLIENT_CLOSED : c.res.status;
    metrics.observeRequest(route, c.get("model"), status, seconds);
    const cold = c.get("cold");
    if (cold !== undefined && c.get("model") !== "-") {
      metrics.observeResidency(cold, seconds);
      // Tells clients (and the many-models bench) which answers waited for a model load.
      if (cold) c.header("X-Model-Load", "cold");
    }
    deps.requestLog?.info({ method: c.req.method, route, model: c.get("model"), status, ms: Math.round(seconds * 1e6) / 1e3, ...traceFields(trace) });
  };
}

function traceHeaders(c: Context<AppEnv>, trace: RequestTrace): void {
  c.header("traceparent", trace.traceparent);
  c.header("X-Request-Id", trace.requestId);
  const timing = serverTimingHeader(trace.batch);
  if (timing !== undefined) c.header("Server-Timing", timing);
}

/** The trace and, for a request that joined a batch, the batch's id, size, queue and inference ms: the log line's fields. */
function traceFields(trace: RequestTrace): Record<string, string | number | undefined> {
  const { batch } = trace;
  const ms3 = (value: number | undefined) => Math.round((value ?? 0) * 1e3) / 1e3;
  return {
    traceId: trace.traceId,
    requestId: trace.requestId,
    ...(batch.batchId === undefined
      ? {}
      : { batchId: batch.batchId, batchSize: batch.batchSize, queueMs: ms3(batch.queueMs), inferenceMs: ms3(batch.inferenceMs) }),
  };
}
