// Counts rebuilt from k6's end-of-test summary: the script's counters (one per histogram bucket, the
// latency sum, requests, errors by kind) add up across VUs and pods, so the histogram comes back
// exact. Read for the whole run or for one submetric (a step, a target, a model).
import { bucketValueMs, HISTOGRAM_BUCKETS, HISTOGRAM_GROWTH, HISTOGRAM_HIGHEST_MS, HISTOGRAM_LOWEST_MS, type HistogramData } from "../histogram.js";
import type { MergedCounts } from "../merge-counts.js";
import { errorMetric, K6_ERROR_KINDS, LATENCY_SUM_METRIC, latencyBucketMetric, REQUESTS_METRIC } from "./metrics.js";

/** The part of k6's handleSummary argument these read (https://grafana.com/docs/k6/latest/results-output/end-of-test/custom-summary/). */
export interface K6SummaryMetrics {
  metrics: Record<string, { type?: string; values: Record<string, number> } | undefined>;
}

/** A metric's name, or the name of one of its submetrics (see submetric and stepMetric). */
type MetricName = (metric: string) => string;
const whole: MetricName = (metric) => metric;

function counter(data: K6SummaryMetrics, name: string): number {
  return Math.round(data.metrics[name]?.values.count ?? 0);
}

/** The histogram from the per-bucket counters (of one submetric with `named`); min and max are the outermost buckets' values (within 1%). */
function histogramFromCounters(data: K6SummaryMetrics, named: MetricName = whole): HistogramData {
  const buckets: Record<string, number> = {};
  let count = 0;
  let lowest = -1;
  let highest = -1;
  for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
    const n = counter(data, named(latencyBucketMetric(i)));
    if (n === 0) continue;
    buckets[String(i)] = n;
    count += n;
    if (lowest < 0) lowest = i;
    highest = i;
  }
  return {
    lowestMs: HISTOGRAM_LOWEST_MS,
    highestMs: HISTOGRAM_HIGHEST_MS,
    growth: HISTOGRAM_GROWTH,
    count,
    minMs: count > 0 ? bucketValueMs(lowest) : 0,
    maxMs: count > 0 ? bucketValueMs(highest) : 0,
    sumUs: counter(data, named(LATENCY_SUM_METRIC)),
    buckets,
  };
}

function errorsFromCounters(data: K6SummaryMetrics, named: MetricName = whole): Record<string, number> {
  const errors: Record<string, number> = {};
  for (const kind of K6_ERROR_KINDS) {
    const n = counter(data, named(errorMetric(kind)));
    if (n > 0) errors[kind] = n;
  }
  return errors;
}

/** Requests, errors by kind and the histogram (of one submetric with `named`). */
export function countsFromCounters(data: K6SummaryMetrics, named: MetricName = whole): MergedCounts {
  return { requests: counter(data, named(REQUESTS_METRIC)), errors: errorsFromCounters(data, named), histogram: histogramFromCounters(data, named) };
}
