// One row per result for reports: the figures people compare across stacks and instance types.
import { getInstanceType, PRICE_SOURCE, usdPerMillionInferences } from "@inference-fleet/fleet-config";
import { LatencyHistogram } from "../histogram.js";
import { totalErrors, type LoadTestResult } from "../results.js";

export interface RunSummary {
  name: string;
  instanceType: string | undefined;
  /** Servers (instances) behind the targets, from the `servers` label; 1 when absent. */
  servers: number;
  result: LoadTestResult;
  errorRate: number;
  throughputPerInstance: number;
  usdPerHour: number | undefined;
  /** USD per million successful inferences at the measured throughput; undefined without a known instance type. */
  usdPerMillion: number | undefined;
}

export interface SeriesRow {
  t: number;
  throughput: number;
  p50?: number;
  p90?: number;
  p99?: number;
}

export function runName(result: LoadTestResult, index: number): string {
  const l = result.labels;
  const parts = [l.stack, l.instanceType && l.instanceType !== l.stack ? l.instanceType : undefined, l.name].filter(Boolean);
  return parts.length ? parts.join(" / ") : `run ${index + 1} (${result.mode})`;
}

export function summarizeRun(result: LoadTestResult, index: number): RunSummary {
  const servers = Number(result.labels.servers ?? 1);
  if (!(Number.isInteger(servers) && servers > 0)) throw new Error(`Label servers="${result.labels.servers}" must be a whole number of instances.`);
  const instanceType = result.labels.instanceType;
  const usdPerHour = instanceType ? getInstanceType(instanceType).onDemandUsdPerHour * servers : undefined;
  return {
    name: runName(result, index),
    instanceType,
    servers,
    result,
    errorRate: result.requests > 0 ? totalErrors(result.errors) / result.requests : 0,
    throughputPerInstance: result.throughput / servers,
    usdPerHour,
    usdPerMillion: instanceType ? usdPerMillionInferences(instanceType, result.throughput, servers) : undefined,
  };
}

/** A first or last second the run covered less of than this is left out of the charts (too few requests to mean anything). */
const MIN_COVERED_SECONDS = 0.25;

/**
 * Per-second throughput and latency percentiles, time from the first second of the run. The first
 * and last seconds are partial: their throughput is per second of the part the run covered, so a
 * run that ends 0.1 s into a second does not show a collapse there.
 */
export function seriesRows(result: LoadTestResult): SeriesRow[] {
  const first = result.series[0]?.second ?? 0;
  const start = Date.parse(result.startTime) / 1000;
  const end = Date.parse(result.endTime) / 1000;
  const covered = (second: number) => Math.min(second + 1, end) - Math.max(second, start);
  return result.series
    .filter((point) => covered(point.second) >= MIN_COVERED_SECONDS)
    .map((point) => {
      const row: SeriesRow = { t: point.second - first, throughput: (point.requests - point.errors) / Math.min(1, covered(point.second)) };
      if (point.latency && point.latency.count > 0) {
        const h = LatencyHistogram.from(point.latency);
        Object.assign(row, { p50: h.percentile(50), p90: h.percentile(90), p99: h.percentile(99) });
      }
      return row;
    });
}

export function priceNote(): string {
  return `Prices: on-demand Linux in ${PRICE_SOURCE.region} as of ${PRICE_SOURCE.date} (${PRICE_SOURCE.source}).`;
}
