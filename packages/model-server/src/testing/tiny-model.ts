import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateModel } from "@inference-fleet/model-zoo";
import { pino } from "pino";
import { createApp, type AppDeps } from "../http/app.js";
import { ServerMetrics } from "../http/server-metrics.js";
import { loadModelCopies, type LoadCopiesOptions } from "../model/model-registry.js";

/** Generates the tiny model into a fresh temp dir; call once per test file and remove `root` afterwards. */
export async function generateTinyModel(): Promise<{ root: string; dir: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), "model-server-test-"));
  const { dir } = await generateModel({ size: "tiny", seed: 7, outDir: join(root, "tiny") });
  return { root, dir, cleanup: () => rm(root, { recursive: true, force: true }) };
}

export const silentLogger = pino({ level: "silent" });

/** A Hono app over real ORT sessions of the model in `dir`, for app.request tests. */
export async function appFor(dir: string, overrides: Partial<LoadCopiesOptions> = {}, appOverrides: Partial<AppDeps> = {}) {
  const metrics = new ServerMetrics();
  const registry = await loadModelCopies({
    dir,
    numModels: 2,
    separateSessions: false,
    padding: "dynamic",
    threads: 1,
    executionProviders: ["cpu"],
    queue: { maxBatch: 1, maxQueueDelayMs: 0, maxQueue: 64, requestTimeoutMs: 10_000 },
    onBatch: (session, size, seconds) => metrics.observeBatch(session, size, seconds),
    warn: () => {},
    ...overrides,
  });
  const state = { draining: false };
  const app = createApp({ registry, metrics, state, postprocess: true, maxBodyBytes: 64 * 1024, exposeMetrics: true, errorLog: silentLogger, ...appOverrides });
  return { app, registry, metrics, state };
}
