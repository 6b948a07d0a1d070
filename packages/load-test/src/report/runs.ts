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

/** Per-second throughput and latency percentiles, time from the first second of the run. */
export function seriesRows(result: LoadTestResult): SeriesRow[] {
  const first = result.series[0]?.second ?? 0;
  return result.series.map((point) => {
    const row: SeriesRow = { t: point.second - first, throughput: point.requests - point.errors };
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
