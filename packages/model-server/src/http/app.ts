import { Hono, type Context, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Logger } from "pino";
import type { ModelRegistry } from "../model/model-registry.js";
import { refuseBodyOnBodilessMethods } from "./bodiless-methods.js";
import { reserveBody, type BodyBudget } from "./body-budget.js";
import { errorJson, errorResponse } from "./error-response.js";
import { createInferenceHandlers, createMetadataHandlers } from "./handlers.js";
import { live, readyHandler } from "./health-app.js";
import { InputError } from "./input-error.js";
import { requestMetrics } from "./request-metrics.js";
import type { RequestTrace } from "./request-trace.js";
import { registerRoutes, type Route } from "./route-table.js";
import type { ServerMetrics } from "./server-metrics.js";

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

/**
 * What a request carries between the middleware and its handler: its route and model labels, whether it waited for a
 * load, and its trace (told which batch it joined).
 */
export type AppEnv = { Variables: { route: string; model: string; cold: boolean | undefined; trace: RequestTrace } };

/**
 * The body limit (413) and, when the server has one, its body budget (503): asked before bodyLimit, which reads a
 * chunked body whole before it calls next. A declared length over the limit asks for nothing and gets bodyLimit's
 * 413; one that fits the limit but not the budget is 503.
 */
function guardBody(deps: Pick<AppDeps, "maxBodyBytes" | "bodyBudget">): MiddlewareHandler<AppEnv> {
  const limitBody = bodyLimit({
    maxSize: deps.maxBodyBytes,
    onError: () => {
      // The rest of the body is not read, so the connection closes after the answer (nothing of it is taken for a request).
      throw new InputError(`The body is larger than ${deps.maxBodyBytes} bytes; send less text or fewer sequences per request.`, 413);
    },
  });
  const reserve = deps.bodyBudget === undefined ? undefined : reserveBody(deps.bodyBudget, deps.maxBodyBytes);
  if (reserve === undefined) return limitBody;
  return (c, next) =>
    reserve(c, async () => {
      await limitBody(c, next);
    });
}

/**
 * The model server's HTTP API as one Hono app: the AWS sample's routes, the Open Inference Protocol v2
 * routes and /metrics. Every error is JSON; nothing loads a model from a path or URL in a request.
 */
export function createApp(deps: AppDeps) {
  const guard = guardBody(deps);
  const { predict, infer } = createInferenceHandlers(deps);
  const { describeModel, modelReady, repositoryIndex, serverMetadata } = createMetadataHandlers(deps);
  const serverReady = readyHandler(deps.registry, deps.state);
  const app = new Hono<AppEnv>();
  app.use(requestMetrics(deps));
  app.use(refuseBodyOnBodilessMethods(errorJson));

  // The one list of routes: registration, each path's 405 Allow header and the 404 text all come from it.
  const routes: Route<AppEnv>[] = [
    { method: "GET", path: "/", handler: (c) => c.json({ Status: "Healthy" }) },
    { method: "GET", path: "/predictions/:model", handler: (c) => predict(c, false) },
    { method: "POST", path: "/predictions/:model", middleware: guard, handler: (c) => predict(c, true) },
    { method: "GET", path: "/v2/health/live", handler: live },
    { method: "GET", path: "/v2/health/ready", handler: serverReady },
    { method: "GET", path: "/v2", handler: serverMetadata },
    { method: "GET", path: "/v2/models/:model", handler: describeModel },
    { method: "GET", path: "/v2/models/:model/ready", handler: modelReady },
    { method: "POST", path: "/v2/models/:model/infer", middleware: guard, handler: infer },
    { method: "POST", path: "/v2/repository/index", middleware: guard, handler: repositoryIndex },
    ...(deps.exposeMetrics ? [{ method: "GET", path: "/metrics", listed: false, handler: metricsHandler(deps.metrics) } as const] : []),
  ];
  registerRoutes(app, routes, errorJson);
  app.onError(errorResponse(deps));
  return app;
}

export function metricsHandler(metrics: ServerMetrics) {
  return async (c: Context) => c.body(await metrics.text(), 200, { "Content-Type": metrics.contentType });
}
