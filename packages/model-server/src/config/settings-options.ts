// Options of the server's parts taken from its settings. Kept out of settings.ts, which the settings entry
// (@inference-fleet/model-server/settings) must import without reaching the inference or model code.
import type { BatchQueueOptions } from "../inference/batch-queue.js";
import type { FetchTimeouts } from "../model/fetch/fetch-deadlines.js";
import type { ServerSettings } from "./settings.js";

/** The batch queue's options from the settings (the same in single-model and repository mode). */
export function batchQueueOptions(settings: ServerSettings): Omit<BatchQueueOptions, "onBatch"> {
  const { maxBatch, maxQueueDelayMs, maxQueue, requestTimeoutMs, testHoldInferenceFile } = settings;
  return { maxBatch, maxQueueDelayMs, maxQueue, requestTimeoutMs, ...(testHoldInferenceFile !== undefined ? { holdFile: testHoldInferenceFile } : {}) };
}

/** The remote model fetch's deadlines from the settings. */
export function fetchTimeouts(settings: ServerSettings): FetchTimeouts {
  return { connectTimeoutMs: settings.modelFetchConnectTimeoutMs, readTimeoutMs: settings.modelFetchReadTimeoutMs };
}
