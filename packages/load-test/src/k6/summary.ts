// Turns k6's end-of-test summary into the shared results format. Pure: the k6 script's
// handleSummary is a thin call of this.
import { bucketValueMs, HISTOGRAM_BUCKETS, HISTOGRAM_GROWTH, HISTOGRAM_HIGHEST_MS, HISTOGRAM_LOWEST_MS, type HistogramData } from "../histogram.js";
import { buildResult, type LoadTestResult, type ServerInfo } from "../results.js";
import type { K6RunConfig } from "./config.js";
import { errorMetric, K6_ERROR_KINDS, LATENCY_SUM_METRIC, latencyBucketMetric, REQUESTS_METRIC } from "./metrics.js";

/** What the script's setup() hands every VU and handleSummary. */
export interface K6SetupData {
  /** When the load started (setup() finished), Unix ms; the warm-up runs from here. */
  startMs: number;
  /** What each target said it runs on. */
  servers?: ServerInfo[];
}

/** The part of k6's handleSummary argument this reads (https://grafana.com/docs/k6/latest/results-output/end-of-test/custom-summary/). */
export interface K6SummaryData {
  metrics: Record<string, { type?: string; values: Record<string, number> } | undefined>;
  setup_data?: Partial<K6SetupData> | null;
}

function counter(data: K6SummaryData, name: string): number {
  return Math.round(data.metrics[name]?.values.count ?? 0);
}

/** The histogram from the per-bucket counters; min and max are the outermost buckets' values (within 1%). */
export function histogramFromCounters(data: K6SummaryData): HistogramData {
  const buckets: Record<string, number> = {};
  let count = 0;
  let lowest = -1;
  let highest = -1;
  for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
    const n = counter(data, latencyBucketMetric(i));
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
    sumUs: counter(data, LATENCY_SUM_METRIC),
    buckets,
  };
}

export function resultFromK6Summary(data: K6SummaryData, config: K6RunConfig, endMs: number): LoadTestResult {
  const errors: Record<string, number> = {};
  for (const kind of K6_ERROR_KINDS) {
    const n = counter(data, errorMetric(kind));
    if (n > 0) errors[kind] = n;
  }
  const startMs = data.setup_data?.startMs;
  return buildResult({
    generator: "k6",
    mode: config.mode,
    targets: config.targets,
    models: config.models,
    labels: config.labels,
    // The figures cover what came after the warm-up.
    startMs: startMs === undefined ? endMs : startMs + config.warmupSeconds * 1000,
    warmupSeconds: config.warmupSeconds,
    endMs,
    requests: counter(data, REQUESTS_METRIC),
    errors,
    histogram: histogramFromCounters(data),
    // k6 keeps no per-second data in its summary; merged k6 results have totals only.
    series: [],
    servers: data.setup_data?.servers ?? [],
  });
}

/** One line for the pod log, next to the JSON. */
export function summaryLine(result: LoadTestResult): string {
  const errors =
    Object.entries(result.errors)
      .map(([k, n]) => `${k}=${n}`)
      .join(" ") || "none";
  const l = result.latencyMs;
  return (
    `requests=${result.requests} throughput=${result.throughput.toFixed(1)}/s p50=${l.p50.toFixed(2)}ms p90=${l.p90.toFixed(2)}ms ` +
    `p99=${l.p99.toFixed(2)}ms errors: ${errors}`
  );
}
