import { modelsForShard } from "@inference-fleet/fleet-config";
import type { Logger } from "pino";
import type { Concurrency } from "../../config/concurrency.js";
import type { ServerSettings } from "../../config/settings.js";
import { batchQueueOptions, fetchTimeouts } from "../../config/settings-options.js";
import type { ServerMetrics } from "../../http/server-metrics.js";
import type { SessionFactory } from "../../inference/model-session.js";
import { ortFormatApplies } from "../../inference/ort-format-cache.js";
import { ModelRepository } from "./model-repository.js";
import { repositorySource } from "./repository-source.js";

/**
 * Repository mode: lists MODEL_REPO, keeps this server's shard (SERVER_INDEX of NUM_SERVERS, by the
 * fleet's shared hash) and serves it lazily under MAX_RESIDENT_MB, with loads and evictions in the metrics.
 */
export async function openModelRepository(
  settings: ServerSettings & Pick<Concurrency, "threads"> & { modelRepo: string },
  metrics: ServerMetrics,
  logger: Logger,
  sessions?: SessionFactory,
): Promise<ModelRepository> {
  const source = repositorySource(settings.modelRepo, settings.cacheDir, (message) => logger.info(message), fetchTimeouts(settings));
  const all = await source.list();
  const names = modelsForShard(all, settings.serverIndex, settings.numServers);
  if (names.length === 0)
    logger.warn(
      `Shard ${settings.serverIndex} of ${settings.numServers} owns none of the ${all.length} models in ${source.location}; this server will answer 404 to ` +
        `every model.`,
    );
  logger.info(
    {
      repository: source.location,
      models: all.length,
      shard: `${settings.serverIndex}/${settings.numServers}`,
      served: names.length,
      maxResidentMb: settings.maxResidentMb,
    },
    "model repository listed",
  );
  return new ModelRepository({
    source,
    names,
    maxResidentBytes: settings.maxResidentMb * 1024 * 1024,
    padding: settings.padding,
    ...(settings.maxSeqLength !== undefined ? { maxSeqLength: settings.maxSeqLength } : {}),
    threads: settings.threads,
    executionProviders: settings.executionProviders,
    queue: batchQueueOptions(settings),
    // One label for all models: per-model series would grow with the repository.
    onBatch: (_model, size, seconds) => metrics.observeBatch("repository", size, seconds),
    events: {
      onLoad: (_model, seconds) => metrics.observeRepositoryLoad(seconds),
      onLoadFailed: (model, error) => {
        metrics.observeRepositoryLoad(undefined);
        logger.error({ model, err: error }, "model load failed");
      },
      onEvict: () => metrics.countEviction(),
    },
    warn: (message) => logger.warn(message),
    // Loading model.onnx leaves memory in glibc's arenas that a file-size sum misses: calibrate what a
    // resident model costs from the RSS. ORT-format loads use the file's bytes in place (buffers reused,
    // see model-bytes.ts), so there the sum is what a model holds, and RSS also carries fixed costs (the
    // converting worker, spare buffers) that must not be charged per model.
    ...(ortFormatApplies(settings) ? {} : { measureRssBytes: () => process.memoryUsage.rss() }),
    ...(sessions ? { sessions } : {}),
  });
}
