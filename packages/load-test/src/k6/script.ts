// The k6 script infra runs in-cluster (bundled into one file by bundleK6Script()). Thin on
// purpose: configuration, request choice, bucketing and the summary are pure functions tested
// with vitest; this file only wires them to k6.
import { check } from "k6";
import exec from "k6/execution";
import http from "k6/http";
import { Counter, Rate, Trend } from "k6/metrics";
import { isAnswerError } from "../answer.js";
import { createPicker } from "../choice.js";
import { bucketIndex, HISTOGRAM_BUCKETS } from "../histogram.js";
import { buildRequest } from "../request.js";
import { metadataModels, metadataUrl, serverInfoFromMetadata } from "../servers.js";
import { traceIds } from "../trace.js";
import { k6ConfigFromEnv } from "./config.js";
import {
  errorMetric,
  K6_ERROR_KINDS,
  k6ResponseErrorKind,
  LATENCY_SUM_METRIC,
  latencyBucketMetric,
  REQUESTS_METRIC,
  SLO_FAILED_METRIC,
  SLO_LATENCY_METRIC,
  WARMUP_SCENARIO,
} from "./metrics.js";
import { sampleTagsOf } from "./parts.js";
import { resultFromK6Summary, summaryLine, type K6SetupData, type K6SummaryData } from "./summary.js";

const config = k6ConfigFromEnv(__ENV);
/** @public k6 reads the script's options, setup, default function and handleSummary. */
export const options = config.options;

const latencyBuckets = Array.from({ length: HISTOGRAM_BUCKETS }, (_, i) => new Counter(latencyBucketMetric(i)));
const latencySumUs = new Counter(LATENCY_SUM_METRIC);
const measuredRequests = new Counter(REQUESTS_METRIC);
const sloLatency = new Trend(SLO_LATENCY_METRIC, true);
const sloFailed = new Rate(SLO_FAILED_METRIC);
const errorCounters = Object.fromEntries(K6_ERROR_KINDS.map((kind) => [kind, new Counter(errorMetric(kind))]));
const pick = createPicker({
  targetCount: config.targets.length,
  modelCount: config.models.length,
  sequential: config.mode === "seq",
  distribution: config.distribution,
  zipfS: config.zipfS,
  routing: config.routing,
  models: config.models,
});
const requests = config.targets.map((target) => config.models.map((model) => buildRequest(target, model, config.method, config.texts)));
const warmupMs = config.warmupSeconds * 1000;
// A request-capped run warms up in a scenario of its own: there the scenario decides, not the clock.
const warmupByScenario = WARMUP_SCENARIO in config.options.scenarios!;
// A capacity staircase: each step (scenario) warms up from its own start.
const stepWarmupMs = new Map((config.staircase?.steps ?? []).map((step) => [step.scenario, step.warmupSeconds * 1000]));
// Every measured sample carries its target and model (and in a staircase its step and rate), so each has its own counts.
const tagsOf = sampleTagsOf(config);

/** Whether a response that arrives now falls in a warm-up, whose load counts but whose figures do not. */
function warmingUp(data?: K6SetupData): boolean {
  if (config.staircase) return Date.now() < exec.scenario.startTime + (stepWarmupMs.get(exec.scenario.name) ?? 0);
  return warmupByScenario ? exec.scenario.name === WARMUP_SCENARIO : Date.now() < (data?.startMs ?? 0) + warmupMs;
}

/** @public Asks every target, at once, what it runs on; a server that does not say is "unknown", never a failure. */
export function setup(): K6SetupData {
  const models = metadataModels(config.targets, config.models, config.routing);
  const params = { timeout: "2s", responseType: "text" as const, tags: { name: "metadata" } };
  const responses = http.batch(config.targets.map((target, i) => ({ method: "GET", url: metadataUrl(target, models[i]!), params })));
  const servers = config.targets.map((target, i) => {
    const response = responses[i]!;
    return serverInfoFromMetadata(target, response.status, typeof response.body === "string" ? response.body : null);
  });
  return { startMs: Date.now(), servers };
}

/** Each VU has its own random half of the trace id (and the iteration is the other): ids never repeat across VUs or pods. */
const traceOf = traceIds();

/** @public */
export default function (data?: K6SetupData): void {
  const choice = pick(exec.scenario.iterationInTest, Math.random);
  const request = requests[choice.target]![choice.model]!;
  // The body is kept (the options discard bodies elsewhere): a 2xx counts only when it is the whole JSON answer.
  const response = http.request(request.method, request.url, request.body ?? null, {
    // The servers echo it and log it with the batch the request joined (see ../trace.ts).
    headers: { ...request.headers, traceparent: traceOf(exec.scenario.iterationInTest).traceparent },
    timeout: config.timeout,
    tags: { name: "predictions" },
    responseType: "text",
  });
  if (warmingUp(data)) return;
  // Tagged samples count in the metric and in each submetric whose tags they carry (the step's, the target's, the model's).
  const tags = tagsOf(exec.scenario.name, choice.target, choice.model);
  measuredRequests.add(1, tags);
  const kind = k6ResponseErrorKind(response);
  check(response, { "status is 2xx": (r) => r.status >= 200 && r.status < 300, "body is the whole answer": () => !isAnswerError(kind) });
  // Latencies of successes only; errors are counted by kind beside them.
  if (kind === null) {
    latencyBuckets[bucketIndex(response.timings.duration)]!.add(1, tags);
    latencySumUs.add(Math.round(response.timings.duration * 1000), tags);
    sloLatency.add(response.timings.duration, tags);
  } else errorCounters[kind]!.add(1, tags);
  sloFailed.add(kind !== null, tags);
}

/** @public */
export function handleSummary(data: K6SummaryData): Record<string, string> {
  const result = resultFromK6Summary(data, config, Date.now());
  const json = JSON.stringify(result);
  // The file is for a mounted volume; the log line lets `kubectl logs` recover results too.
  return { [config.resultsPath]: json, stdout: `${summaryLine(result)}\nFLEET_RESULTS_JSON ${json}\n` };
}
