export { normalizeBertText } from "./tokenizer/bert-text.js";
export { parseTokenizerJson, type NormalizerSpec, type WordPieceSpec } from "./tokenizer/tokenizer-json.js";
export { QuestionTooLongError, WordPieceTokenizer, type EncodedPair, type EncodedText } from "./tokenizer/wordpiece-tokenizer.js";
export { DEFAULT_CONTEXT, DEFAULT_QUESTION } from "./sample-defaults.js";
// Settings, CPU budget and the fleet -> environment mapping: the light ./settings entry, listed once.
export * from "./settings-entry.js";
export { type SettingsFlagNames } from "./config/settings.js";
export { createApp, type AppDeps, type ServerState } from "./http/app.js";
export { ServerMetrics } from "./http/server-metrics.js";
export {
  loadModelCopies,
  StaticModelRegistry,
  type LoadedModel,
  type ModelDescription,
  type ModelRegistry,
  type ModelState,
  type ModelStatus,
  type SessionProvider,
} from "./model/model-registry.js";
export { ModelRepository, ModelUnavailableError, SESSION_OVERHEAD_BYTES, type ModelRepositoryOptions } from "./model/model-repository.js";
export { isValidModelName, repositorySource, type RepositorySource } from "./model/repository-source.js";
export { ModelLoadError, type ExecutionProvider } from "./model/load-model.js";
export { resolveModelSource } from "./model/model-source.js";
export { BatchQueue, QueueFullError, RequestTimeoutError } from "./inference/batch-queue.js";
export { startServer, type EffectiveSettings, type RunningServer } from "./server.js";
export { main as serveFromEnvironment, serveProcess } from "./serve-process.js";
export { inThreadSessions, type ModelSession, type SessionFactory } from "./inference/model-session.js";
export { WorkerSessions, sessionFactory } from "./inference/worker-sessions.js";
export { convertModelDirs, convertToOrtFormat, ORT_MODEL_FILE } from "./inference/ort-format-cache.js";
export { freePort } from "./process/free-port.js";
export { hasMallocTunables, MALLOC_TUNABLES, rerunWithMallocTunables, withMallocTunables } from "./process/malloc-tunables.js";
export {
  modelServerLaunch,
  ServerProcess,
  spawnServerProcess,
  startServerProcess,
  type ExitStatus,
  type ServerLaunch,
  type StartServerProcessOptions,
} from "./process/server-process.js";
export { SERVER_METRIC_NAMES } from "./http/metric-names.js";
export { bestAnswerSpan, MAX_ANSWER_TOKENS, type AnswerSpan } from "./inference/answer-span.js";
export { spanLogits, type ClassLogits, type RowLogits, type SpanLogits } from "./inference/session-runner.js";
export { labelOf, type Classification } from "./inference/text-classification.js";
export { taskOf, type ModelTask, type TaskInfo } from "./model/model-task.js";
