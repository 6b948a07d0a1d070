export { parseTokenizerJson } from "./tokenizer/tokenizer-json.js";
export { WordPieceTokenizer } from "./tokenizer/wordpiece-tokenizer.js";
export { DEFAULT_CONTEXT, DEFAULT_QUESTION } from "./sample-defaults.js";
// Settings, CPU budget and the fleet -> environment mapping: the light ./settings entry, listed once.
export * from "./settings-entry.js";
export { type SettingsFlagNames } from "./config/settings.js";
export { SESSION_OVERHEAD_BYTES } from "./model/repository/model-repository.js";
export { startServer, type RunningServer } from "./server.js";
export { main as serveFromEnvironment } from "./serve-process.js";
export { inThreadSessions, type ModelSession } from "./inference/model-session.js";
export { convertModelDirs, ORT_MODEL_FILE } from "./inference/ort-format-cache.js";
export { freePort } from "./process/free-port.js";
export { withMallocTunables } from "./process/malloc-tunables.js";
export { pinnedLaunch, ServerProcess, startServerProcess, type ServerLaunch } from "./process/server-process.js";
export { SERVER_METRIC_NAMES } from "@inference-fleet/fleet-config";
export { bestAnswerSpan } from "./inference/answer-span.js";
export { spanLogits } from "./inference/session-runner.js";
