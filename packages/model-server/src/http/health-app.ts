import { Hono, type Context } from "hono";
import type { ModelRegistry } from "../model/model-registry.js";
import type { ServerState } from "./app.js";
import { refuseBodyOnBodilessMethods } from "./bodiless-methods.js";

/** GET /v2/health/live: 200 while the process answers at all. */
export const live = (c: Context) => c.json({ live: true });

/** GET /v2/health/ready: 200 once the models are loaded and while the server is not draining. */
export function readyHandler(registry: Pick<ModelRegistry, "ready">, state: ServerState) {
  return (c: Context) => {
    const ready = registry.ready() && !state.draining;
    return c.json({ ready }, ready ? 200 : 503);
  };
}

/**
 * The probes alone, for a listener of their own (HEALTH_PORT): kubelet's probes then never wait behind
 * the public port's connection cap, accept queue or slow clients, and no inference is reachable there.
 * It listens from process start: liveness answers while the models load, readiness is false until they are.
 */
export function createHealthApp(registry: Pick<ModelRegistry, "ready">, state: ServerState) {
  return new Hono()
    .use(refuseBodyOnBodilessMethods())
    .get("/v2/health/live", live)
    .get("/v2/health/ready", readyHandler(registry, state))
    .get("/", (c) => c.json({ Status: "Healthy" }));
}
