import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateManyModels } from "@inference-fleet/model-zoo";
import { createApp } from "../http/app.js";
import { ServerMetrics } from "../http/server-metrics.js";
import { ModelRepository, SESSION_OVERHEAD_BYTES, type ModelRepositoryOptions } from "../model/repository/model-repository.js";
import { repositorySource } from "../model/repository/repository-source.js";
import { silentLogger } from "./tiny-model.js";

/** Generates `count` distinct tiny models (model0..) into a temp repository; call once per test file. */
export async function generateTinyRepository(count: number): Promise<{ root: string; modelBytes: number; names: string[]; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), "model-repo-test-"));
  const models = await generateManyModels({ count, size: "tiny", seedBase: 100, outDir: root });
  // What the repository counts per resident model.
  return {
    root,
    modelBytes: models[0]!.bytes + SESSION_OVERHEAD_BYTES,
    names: models.map((model) => model.name),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** A repository over real ORT sessions with a counter of each event, and a Hono app in front of it. */
export function repositoryApp(root: string, overrides: Partial<ModelRepositoryOptions> = {}) {
  const metrics = new ServerMetrics();
  const loads: string[] = [];
  const failures: string[] = [];
  const evictions: string[] = [];
  const source = repositorySource(root, join(root, ".cache"), () => {});
  const repository = new ModelRepository({
    source,
    names: [],
    maxResidentBytes: 1024 * 1024 * 1024,
    padding: "dynamic",
    threads: 1,
    executionProviders: ["cpu"],
    queue: { maxBatch: 1, maxQueueDelayMs: 0, maxQueue: 64, requestTimeoutMs: 10_000 },
    releaseGraceMs: 0,
    events: {
      onLoad: (model, seconds) => {
        loads.push(model);
        metrics.observeRepositoryLoad(seconds);
      },
      onLoadFailed: (model) => failures.push(model),
      onEvict: (model) => {
        evictions.push(model);
        metrics.countEviction();
      },
    },
    warn: () => {},
    ...overrides,
  });
  const app = createApp({
    registry: repository,
    metrics,
    state: { draining: false },
    postprocess: true,
    maxBodyBytes: 64 * 1024,
    exposeMetrics: true,
    errorLog: silentLogger,
  });
  return { app, repository, metrics, loads, failures, evictions };
}
