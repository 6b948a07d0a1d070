// One summary per result for reports: the figures people compare across stacks and instance types,
// the rate a run is judged and priced at, and its SLO.
import { stepAtCapacity } from "@inference-fleet/load-test";
import { capacityFromSteps, type CapacityVerdict } from "@inference-fleet/load-test";
import { LatencyHistogram, type HistogramData } from "@inference-fleet/load-test";
import { totalErrors, type LoadTestResult } from "@inference-fleet/load-test";
import { usdPerMillionAt, usdPerMonth, type Slo } from "@inference-fleet/fleet-config";
import { priceFromLabels, type RunPrice } from "./pricing.js";
import { sloOf } from "./slo.js";

export interface RunSummary {
  name: string;
  instanceType: string | undefined;
  /** Instances (nodes) behind the targets, from the `servers` label; 1 when absent. */
  servers: number;
  result: LoadTestResult;
  errorRate: number;
  throughputPerInstance: number;
  /** The SLO the run is judged against, when it carries one. */
  slo: Slo | undefined;
  /** A capacity search's answer and curve, computed again from its steps. */
  capacity: CapacityVerdict | undefined;
  /** Requests per second the run is judged and priced at: the capacity at the SLO, else the measured throughput. */
  rate: number;
  ratePerInstance: number;
  /** A search in which no step broke the SLO (it ran out of budget first): its capacity is a lower bound. */
  capacityIsLowerBound: boolean;
  /** Which percentile the run is judged by: its SLO's, else 90. */
  percentile: number;
  /** That percentile's latency at `rate`: at the capacity step for a search, else over the whole run. */
  latencyAtRateMs: number;
  /** Whether the run holds its SLO at `rate` (undefined: no SLO recorded). */
  meetsSlo: boolean | undefined;
  price: RunPrice | undefined;
  /** Why the run has no cost, when it has none. */
  costAbsent: string | undefined;
  usdPerHour: number | undefined;
  /** USD per million successful inferences at `rate`. */
  usdPerMillion: number | undefined;
  /** USD per 730-hour month for the run's nodes. */
  usdPerMonth: number | undefined;
  /** The spread of `usdPerMillion` over the run's seconds (10th to 90th percentile of per-second throughput); undefined with under 3 whole seconds. */
  usdPerMillionSpread: [number, number] | undefined;
  /** Stopped before its planned end: partial figures, no verdict. */
  interrupted: boolean;
}

/** Fewer whole seconds than this give no spread worth judging noise by. */
const MIN_SPREAD_SECONDS = 3;

export interface SeriesRow {
  t: number;
  throughput: number;
  p50?: number;
  p90?: number;
  p99?: number;
}

function runName(result: LoadTestResult, index: number): string {
  const l = result.labels;
  const parts = [l.stack, l.instanceType && l.instanceType !== l.stack ? l.instanceType : undefined, l.name].filter(Boolean);
  return parts.length ? parts.join(" / ") : `run ${index + 1} (${result.mode})`;
}

function meets(result: LoadTestResult, slo: Slo | undefined, errorRate: number): boolean | undefined {
  if (!slo) return undefined;
  return result.throughput > 0 && percentileMs(result.histogram, slo.percentile) <= slo.latencyMs && errorRate <= slo.maxErrorRate;
}

const percentileMs = (histogram: HistogramData, percentile: number) => LatencyHistogram.from(histogram).percentile(percentile);

/** The latency a run is judged by at the rate it is judged at: a search's step at its capacity (its lowest step when none held). */
function latencyAtRate(result: LoadTestResult, capacity: CapacityVerdict | undefined, percentile: number): number {
  // A confirmed capacity is read from the confirmation's sustained hold at it.
  const at = capacity && stepAtCapacity([...(result.capacity?.confirmations ?? []), ...(result.capacity?.steps ?? [])], capacity.capacityAtSlo);
  return percentileMs(at ? at.histogram : result.histogram, percentile);
}

export function summarizeRun(result: LoadTestResult, index: number): RunSummary {
  const servers = Number(result.labels.servers ?? 1);
  if (!(Number.isInteger(servers) && servers > 0)) throw new Error(`Label servers="${result.labels.servers}" must be a whole number of instances.`);
  const errorRate = result.requests > 0 ? totalErrors(result.errors) / result.requests : 0;
  const slo = sloOf(result);
  const capacity = result.capacity ? capacityFromSteps(result.capacity.steps, result.capacity.slo, result.capacity.confirmations) : undefined;
  const rate = capacity ? capacity.capacityAtSlo : result.throughput;
  const percentile = slo?.percentile ?? 90;
  const priced = priceFromLabels(result.labels, servers);
  const price = "price" in priced ? priced.price : undefined;
  const usdPerMillion = price ? usdPerMillionAt(price.usdPerHour, rate) : undefined;
  const spread = throughputSpread(result);
  const unservable = capacity ? "no step held the SLO, so there is no capacity to price" : "nothing was served, so there is nothing to price";
  return {
    name: runName(result, index),
    instanceType: result.labels.instanceType,
    servers,
    result,
    errorRate,
    throughputPerInstance: result.throughput / servers,
    slo,
    capacity,
    rate,
    ratePerInstance: rate / servers,
    capacityIsLowerBound: capacity !== undefined && capacity.curve.length > 0 && capacity.curve.every((p) => p.holds),
    percentile,
    latencyAtRateMs: latencyAtRate(result, capacity, percentile),
    meetsSlo: capacity ? capacity.capacityAtSlo > 0 : meets(result, slo, errorRate),
    price,
    costAbsent: "absent" in priced ? priced.absent : usdPerMillion === undefined ? unservable : undefined,
    usdPerHour: price?.usdPerHour,
    usdPerMillion,
    usdPerMonth: price ? usdPerMonth(price.usdPerHour) : undefined,
    // A higher throughput is a lower cost: the spread's ends swap.
    usdPerMillionSpread: usdPerMillion !== undefined && spread ? [usdPerMillion / spread[1], usdPerMillion / spread[0]] : undefined,
    interrupted: result.interrupted === true,
  };
}

/**
 * How much the run's throughput moved from second to second, as factors of its mean: the 10th and 90th
 * percentile of the whole seconds' throughput over their mean. Undefined without enough whole seconds.
 */
function throughputSpread(result: LoadTestResult): [number, number] | undefined {
  const start = Date.parse(result.startTime) / 1000;
  const end = Date.parse(result.endTime) / 1000;
  const whole = result.series.filter((p) => p.second >= start && p.second + 1 <= end).map((p) => p.requests - p.errors);
  if (whole.length < MIN_SPREAD_SECONDS) return undefined;
  const mean = whole.reduce((a, b) => a + b, 0) / whole.length;
  if (!(mean > 0)) return undefined;
  const sorted = [...whole].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  return [Math.max(at(0.1), 1e-9) / mean, at(0.9) / mean];
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
