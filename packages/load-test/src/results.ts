// Building results: pure and free of zod, so the k6 script can bundle it.
import { percentilesFromHistogram, type HistogramData } from "./histogram.js";
import type { LoadTestResult, ResultPart, SeriesPoint, ServerInfo, ServerTimes, SlowRequest } from "./results-schema.js";

export type { LoadTestResult, ResultPart, SeriesPoint, ServerInfo, ServerTimes, SlowRequest };

export const LOAD_MODES = ["seq", "rnd", "bmk", "rate", "ramp"] as const;
export type LoadMode = (typeof LOAD_MODES)[number];

export function totalErrors(errors: Record<string, number>): number {
  let total = 0;
  for (const kind in errors) total += errors[kind]!;
  return total;
}

export interface ResultParts {
  generator: LoadTestResult["generator"];
  mode: LoadMode;
  targets: string[];
  models: string[];
  labels: Record<string, string>;
  /** Start of the measured window (after the warm-up), Unix ms. */
  startMs: number;
  endMs: number;
  requests: number;
  errors: Record<string, number>;
  histogram: HistogramData;
  series: SeriesPoint[];
  sources?: number;
  /** Seconds of load before startMs left out of every figure (default 0). */
  warmupSeconds?: number;
  servers?: ServerInfo[];
  byTarget?: ResultPart[];
  byModel?: ResultPart[];
  serverTimes?: ServerTimes[];
  interrupted?: boolean;
  slowest?: SlowRequest[];
}

/** Assembles a result and derives its totals (duration, throughput, percentiles) the one way every writer uses. */
export function buildResult(parts: ResultParts): LoadTestResult {
  const startMs = Math.round(parts.startMs);
  const endMs = Math.max(startMs, Math.round(parts.endMs));
  const durationSeconds = (endMs - startMs) / 1000;
  const successes = parts.requests - totalErrors(parts.errors);
  return {
    schemaVersion: 1,
    generator: parts.generator,
    mode: parts.mode,
    targets: parts.targets,
    models: parts.models,
    labels: parts.labels,
    startTime: new Date(startMs).toISOString(),
    endTime: new Date(endMs).toISOString(),
    durationSeconds,
    warmupSeconds: parts.warmupSeconds ?? 0,
    requests: parts.requests,
    errors: parts.errors,
    throughput: durationSeconds > 0 ? Math.max(0, successes) / durationSeconds : 0,
    latencyMs: percentilesFromHistogram(parts.histogram),
    histogram: parts.histogram,
    series: [...parts.series].sort((a, b) => a.second - b.second),
    sources: parts.sources ?? 1,
    servers: parts.servers ?? [],
    ...(parts.byTarget ? { byTarget: parts.byTarget } : {}),
    ...(parts.byModel ? { byModel: parts.byModel } : {}),
    ...(parts.serverTimes ? { serverTimes: parts.serverTimes } : {}),
    ...(parts.interrupted ? { interrupted: true } : {}),
    ...(parts.slowest && parts.slowest.length > 0 ? { slowest: parts.slowest } : {}),
  };
}
