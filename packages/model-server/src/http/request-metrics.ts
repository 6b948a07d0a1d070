// The request-metrics middleware: labels each request for metrics and logs, times it, counts cold model loads,
// and closes connections while draining.
import type { MiddlewareHandler } from "hono";
import type { AppDeps, AppEnv } from "./app.js";

/** Times every request and records it under its route and model (set by the route table and the handlers). */
export function requestMetrics(deps: Pick<AppDeps, "metrics" | "state" | "requestLog">): MiddlewareHandler<AppEnv> {
  const { metrics, state } = deps;
  return async (c, next) => {
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
  };
}
