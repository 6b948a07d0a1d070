// k6 thresholds built from the SLO, and an evaluator with k6's semantics over a results file,
// so tests can prove that every threshold trips on bad data (k6 silently passes a threshold on a
// misspelled metric) and `fleet report` can say whether a merged run met the SLO. The thresholds
// name the script's own metrics, which leave the warm-up out; k6's built-ins would not.
import type { Slo } from "@inference-fleet/fleet-config";
import { LatencyHistogram } from "./histogram.js";
import { REQUESTS_METRIC, SLO_FAILED_METRIC, SLO_LATENCY_METRIC } from "./k6/metrics.js";
import { totalErrors, type LoadTestResult } from "./results.js";

interface ThresholdObject {
  threshold: string;
  abortOnFail?: boolean;
  delayAbortEval?: string;
}
type Threshold = string | ThresholdObject;
export type Thresholds = Record<string, Threshold[]>;

/** k6's built-in HTTP metrics that thresholds may name (they include warm-up and setup() requests). */
export const K6_BUILTIN_METRICS = ["http_req_duration", "http_req_failed", "http_reqs"] as const;

/** Metrics a threshold may name, each with the built-in it measures like (over measured requests only). */
const MEASURES_LIKE: Record<string, (typeof K6_BUILTIN_METRICS)[number]> = {
  http_req_duration: "http_req_duration",
  http_req_failed: "http_req_failed",
  http_reqs: "http_reqs",
  [SLO_LATENCY_METRIC]: "http_req_duration",
  [SLO_FAILED_METRIC]: "http_req_failed",
  [REQUESTS_METRIC]: "http_reqs",
};
const THRESHOLD_METRICS: readonly string[] = Object.keys(MEASURES_LIKE);

export interface ThresholdOptions {
  /** Stop the test as soon as the latency SLO is broken: for ramp mode, where the rate at that moment is the answer. */
  abortOnLatency?: boolean;
  /** Seconds of warm-up: an abort waits for 10 s of measured requests, not 10 s of a run still warming up. */
  warmupSeconds?: number;
}

/** Thresholds that fail the k6 run (exit code 99) when the SLO is missed; runaway errors abort it after 10 measured seconds. */
export function buildThresholds(slo: Slo, options: ThresholdOptions = {}): Thresholds {
  if (!(slo.percentile > 0 && slo.percentile <= 100)) throw new Error(`SLO_PERCENTILE must be in (0, 100], got ${slo.percentile}.`);
  if (!(slo.latencyMs > 0)) throw new Error(`SLO_MS must be a positive number of milliseconds, got ${slo.latencyMs}.`);
  if (!(slo.maxErrorRate >= 0 && slo.maxErrorRate < 1)) throw new Error(`MAX_ERROR_RATE must be in [0, 1), got ${slo.maxErrorRate}.`);
  const latency = `p(${slo.percentile})<=${slo.latencyMs}`;
  const delayAbortEval = `${(options.warmupSeconds ?? 0) + 10}s`;
  return {
    [SLO_LATENCY_METRIC]: [options.abortOnLatency ? { threshold: latency, abortOnFail: true, delayAbortEval } : latency],
    [SLO_FAILED_METRIC]: [{ threshold: `rate<${slo.maxErrorRate}`, abortOnFail: true, delayAbortEval }],
  };
}

export interface ThresholdOutcome {
  metric: string;
  expression: string;
  value: number;
  passed: boolean;
}

const EXPRESSION = /^\s*(p\(\s*[\d.]+\s*\)|avg|min|max|med|rate|count)\s*(<=|>=|<|>|===|==|!=)\s*(-?[\d.]+)\s*$/;

function aggregate(named: string, aggregation: string, result: LoadTestResult): number {
  // A result holds measured requests only, so a built-in and its measured twin read the same figures.
  const metric = MEASURES_LIKE[named] ?? named;
  const histogram = metric === "http_req_duration" ? LatencyHistogram.from(result.histogram) : undefined;
  const key = `${metric} ${aggregation.startsWith("p(") ? "p()" : aggregation}`;
  switch (key) {
    case "http_req_duration p()":
      return histogram!.percentile(Number(aggregation.slice(2, -1)));
    case "http_req_duration med":
      return histogram!.percentile(50);
    case "http_req_duration avg":
      return result.latencyMs.mean;
    case "http_req_duration min":
      return result.latencyMs.min;
    case "http_req_duration max":
      return result.latencyMs.max;
    case "http_req_failed rate":
      return result.requests > 0 ? totalErrors(result.errors) / result.requests : 0;
    case "http_reqs count":
      return result.requests;
    case "http_reqs rate":
      return result.durationSeconds > 0 ? result.requests / result.durationSeconds : 0;
  }
  if (!THRESHOLD_METRICS.includes(named)) {
    throw new Error(`Threshold on unknown metric "${named}": k6 would silently pass it. Use one of ${THRESHOLD_METRICS.join(", ")}.`);
  }
  throw new Error(`Threshold "${aggregation}" does not apply to ${named}; k6 would reject or ignore it.`);
}

function compare(value: number, operator: string, bound: number): boolean {
  switch (operator) {
    case "<":
      return value < bound;
    case "<=":
      return value <= bound;
    case ">":
      return value > bound;
    case ">=":
      return value >= bound;
    case "!=":
      return value !== bound;
    default:
      return value === bound;
  }
}

/** Evaluates thresholds over a (merged) result the way k6 does at the end of a run. */
export function evaluateThresholds(thresholds: Thresholds, result: LoadTestResult): ThresholdOutcome[] {
  return Object.entries(thresholds).flatMap(([metric, list]) =>
    list.map((threshold) => {
      const expression = typeof threshold === "string" ? threshold : threshold.threshold;
      const match = EXPRESSION.exec(expression);
      if (!match) throw new Error(`Cannot read threshold "${expression}" on ${metric}: write it as e.g. "p(90)<=100" or "rate<0.01".`);
      const value = aggregate(metric, match[1]!.replace(/\s+/g, ""), result);
      return { metric, expression, value, passed: compare(value, match[2]!, Number(match[3])) };
    }),
  );
}
