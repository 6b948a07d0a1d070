export {
  bucketIndex,
  bucketValueMs,
  HISTOGRAM_BUCKETS,
  HISTOGRAM_GROWTH,
  HISTOGRAM_HIGHEST_MS,
  HISTOGRAM_LOWEST_MS,
  LatencyHistogram,
  percentilesFromHistogram,
} from "./histogram.js";
export type { HistogramData, LatencyPercentiles } from "./histogram.js";
export {
  capacitySchema,
  capacityStepSchema,
  histogramSchema,
  loadTestResultSchema,
  parseResult,
  seriesPointSchema,
  serverInfoSchema,
  resultPartSchema,
  serverTimesSchema,
} from "./results-schema.js";
export type { CapacityRecord, ServedModel } from "./results-schema.js";
export { answerError, ANSWER_ERROR_KINDS, ANSWER_ERROR_MEANINGS, MAX_ANSWER_BYTES } from "./answer.js";
export type { AnswerErrorKind } from "./answer.js";
export { commonServedModel, describeServedModel } from "./served-model.js";
export { buildResult, LOAD_MODES, totalErrors } from "./results.js";
export type { LoadMode, LoadTestResult, ResultPart, SeriesPoint, ServerInfo, ServerTimes } from "./results.js";
export {
  describeExecutionProviders,
  describePrecisions,
  executionProviderFromMetadata,
  executionProvidersOf,
  metadataModels,
  metadataUrl,
  mergeServers,
  serverInfoFromMetadata,
} from "./servers.js";
export { mergeResults } from "./merge.js";
export * from "./capacity/index.js";
export { ResultRecorder } from "./recorder.js";
export { chooseIndex, createPicker, cumulativeWeights } from "./choice.js";
export type { ModelDistribution, ModelRouting } from "./choice.js";
export { buildRequest, DEFAULT_CONTEXT, DEFAULT_QUESTION, errorKind, REQUEST_TEXTS, type RequestTexts } from "./request.js";
export { buildThresholds, evaluateThresholds, K6_BUILTIN_METRICS, THRESHOLD_METRICS } from "./thresholds.js";
export { REQUESTS_METRIC, SLO_FAILED_METRIC, SLO_LATENCY_METRIC, WARMUP_SCENARIO } from "./k6/metrics.js";
export type { Thresholds, ThresholdOutcome } from "./thresholds.js";
export { k6ConfigFromEnv } from "./k6/config.js";
export { k6EnvFromConfig, k6RunSeconds, sloOfConfig, staircaseOptionsOf, staircaseRatesOf, type K6EnvInputs } from "./k6/env.js";
export { bundleK6Script } from "./bundle.js";
export { runLoad } from "./generator/run-load.js";
export { probeServers } from "./generator/probe-servers.js";
export { queuedOnServers } from "./generator/server-times.js";
export type { ProbeOptions } from "./generator/probe-servers.js";
export type { LoadProgress, RunLoadOptions } from "./generator/run-load.js";
export { startDelayServer } from "./generator/delay-server.js";
export type { DelayServer, DelayServerOptions } from "./generator/delay-server.js";
export { renderMarkdown } from "./report/markdown.js";
export { renderHtml } from "./report/html.js";
export { writeReport } from "./report/write.js";
export type { WrittenReport } from "./report/write.js";
export { summarizeRun } from "./report/runs.js";
export type { RunSummary } from "./report/runs.js";
export { buildVerdict } from "./report/verdict.js";
export type { Verdict } from "./report/verdict.js";
export { checkInstanceType, parseUsdPerHour, pricingLabels, priceNote } from "./report/pricing.js";
export { SLO_LABEL } from "./report/slo.js";
export { sloMiss } from "./report/slo-miss.js";
export { readResultFiles, writeResultFile } from "./files.js";
