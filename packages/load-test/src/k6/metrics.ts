// Names of the custom metrics the k6 script defines. handleSummary reads them back by these
// names, so both sides share this one list.
import { ANSWER_ERROR_KINDS, answerError } from "../answer.js";
import { HISTOGRAM_BUCKETS } from "../histogram.js";
import { errorKind } from "../request.js";

/** Error kinds with their own k6 counter; any other HTTP error status counts as http_other. */
export const K6_ERROR_KINDS = [
  "http_400",
  "http_404",
  "http_408",
  "http_413",
  "http_429",
  "http_500",
  "http_502",
  "http_503",
  "http_504",
  "http_other",
  "timeout",
  "connection",
  ...ANSWER_ERROR_KINDS,
] as const;
export type K6ErrorKind = (typeof K6_ERROR_KINDS)[number];

/** k6 reports a request timeout with this error code (https://grafana.com/docs/k6/latest/javascript-api/error-codes/). */
const K6_TIMEOUT_ERROR_CODE = 1050;

/** Responses per latency bucket: counters add up across VUs, so the histogram survives k6's aggregation. */
export function latencyBucketMetric(index: number): string {
  return `fleet_latency_bucket_${String(index).padStart(3, "0")}`;
}
/** Sum of response latencies in whole microseconds, for an exact mean. */
export const LATENCY_SUM_METRIC = "fleet_latency_sum_us";
/** Measured requests (after the warm-up), failed ones included: k6's http_reqs also counts warm-up and setup() requests. */
export const REQUESTS_METRIC = "fleet_requests";
/** Trend of measured response latencies, for the latency threshold: http_req_duration would include the warm-up. */
export const SLO_LATENCY_METRIC = "fleet_req_duration";
/** Rate of measured requests that failed, for the error threshold: http_req_failed would include the warm-up. */
export const SLO_FAILED_METRIC = "fleet_req_failed";
/** The scenario that runs the warm-up before a request-capped scenario, so the cap counts measured requests. */
export const WARMUP_SCENARIO = "warmup";

export function errorMetric(kind: K6ErrorKind): string {
  return `fleet_errors_${kind}`;
}

/**
 * The tags each measured sample carries for the target and the model it went to: their indexes in TARGETS and
 * MODELS, known at init, so the submetrics per target and per model are bounded and no URL lands in a metric name.
 */
export const TARGET_TAG = "target";
export const MODEL_TAG = "model";

/** The submetric of `metric` holding the samples that carry all these tags, as thresholds and k6's summary name it. */
export function submetric(metric: string, tags: Readonly<Record<string, string | number>>): string {
  return `${metric}{${Object.entries(tags)
    .map(([tag, value]) => `${tag}:${value}`)
    .join(",")}}`;
}

/** The counters handleSummary rebuilds counts from (histogram buckets, latency sum, requests, errors by kind): they add up across VUs and pods. */
export function countedMetricNames(): string[] {
  const buckets = Array.from({ length: HISTOGRAM_BUCKETS }, (_, i) => latencyBucketMetric(i));
  return [...buckets, LATENCY_SUM_METRIC, REQUESTS_METRIC, ...K6_ERROR_KINDS.map(errorMetric)];
}

/** The counter a finished k6 request counts in, or null when it succeeded. */
function k6ErrorKind(status: number, errorCode: number): K6ErrorKind | null {
  const kind = errorKind(status, errorCode === K6_TIMEOUT_ERROR_CODE);
  if (kind === null) return null;
  return (K6_ERROR_KINDS as readonly string[]).includes(kind) ? (kind as K6ErrorKind) : "http_other";
}

/** What the script reads of a k6 response to judge it. */
export interface K6Response {
  status: number;
  error_code: number;
  body: string | null | ArrayBuffer;
  headers: Record<string, string>;
}

/** Bytes of a string in UTF-8 (k6 has no Buffer), to compare with Content-Length. */
function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code < 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** The counter a k6 response counts in, body included: a 2xx succeeds only with the whole JSON answer (see answer.ts). */
export function k6ResponseErrorKind(response: K6Response): K6ErrorKind | null {
  const kind = k6ErrorKind(response.status, response.error_code);
  if (kind !== null) return kind;
  const body = typeof response.body === "string" ? response.body : "";
  return answerError(body, utf8Bytes(body), response.headers["Content-Length"] ?? response.headers["content-length"]);
}

/** Every custom metric name the script defines. */
export function scriptMetricNames(): string[] {
  return [...countedMetricNames(), SLO_LATENCY_METRIC, SLO_FAILED_METRIC];
}
