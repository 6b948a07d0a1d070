import { LatencyHistogram } from "./histogram.js";
import { errorKind } from "./request.js";
import { buildResult, type LoadMode, type LoadTestResult, type SeriesPoint, type ServerInfo } from "./results.js";

/** Kinds of failure without an HTTP status. */
export type FailureKind = "timeout" | "connection";

interface SecondBucket {
  requests: number;
  errors: number;
  latency: LatencyHistogram;
}

export interface ResultMeta {
  generator: LoadTestResult["generator"];
  mode: LoadMode;
  targets: string[];
  models: string[];
  labels: Record<string, string>;
  servers?: ServerInfo[];
}

/**
 * Collects outcomes of requests as they finish (cheap per call) and turns them into a result.
 * Outcomes that arrive during the warm-up (the first `warmupSeconds` after `startMs`) count nowhere:
 * connections, caches and JIT are still settling then, and would skew the figures.
 */
export class ResultRecorder {
  readonly histogram = new LatencyHistogram();
  readonly errors: Record<string, number> = {};
  requests = 0;
  errorCount = 0;
  private readonly seconds = new Map<number, SecondBucket>();
  private current: SecondBucket | undefined;
  private currentSecond = Number.NaN;

  /** Unix ms from which outcomes count. */
  readonly measuredFromMs: number;

  constructor(
    readonly startMs: number,
    readonly warmupSeconds = 0,
  ) {
    if (!(warmupSeconds >= 0)) throw new Error(`The warm-up must be 0 or more seconds, got ${warmupSeconds}.`);
    this.measuredFromMs = startMs + warmupSeconds * 1000;
  }

  private secondOf(atMs: number): SecondBucket {
    const second = Math.floor(atMs / 1000);
    if (second === this.currentSecond) return this.current!;
    let bucket = this.seconds.get(second);
    if (!bucket) this.seconds.set(second, (bucket = { requests: 0, errors: 0, latency: new LatencyHistogram() }));
    this.currentSecond = second;
    this.current = bucket;
    return bucket;
  }

  /** An HTTP response arrived at `atMs` (Unix ms) after `latencyMs`; 4xx and 5xx count as errors. False when it came during the warm-up. */
  recordResponse(latencyMs: number, status: number, atMs: number): boolean {
    if (atMs < this.measuredFromMs) return false;
    const bucket = this.secondOf(atMs);
    this.requests += 1;
    bucket.requests += 1;
    this.histogram.record(latencyMs);
    bucket.latency.record(latencyMs);
    const kind = errorKind(status, false);
    if (kind) this.countError(kind, bucket);
    return true;
  }

  /** A request ended without a response. False when it ended during the warm-up. */
  recordFailure(kind: FailureKind, atMs: number): boolean {
    if (atMs < this.measuredFromMs) return false;
    const bucket = this.secondOf(atMs);
    this.requests += 1;
    bucket.requests += 1;
    this.countError(kind, bucket);
    return true;
  }

  private countError(kind: string, bucket: SecondBucket): void {
    this.errors[kind] = (this.errors[kind] ?? 0) + 1;
    this.errorCount += 1;
    bucket.errors += 1;
  }

  series(): SeriesPoint[] {
    return [...this.seconds].map(([second, b]) => ({ second, requests: b.requests, errors: b.errors, latency: b.latency.toJSON() }));
  }

  finish(meta: ResultMeta, endMs: number): LoadTestResult {
    // The figures cover the measured window only: it starts when the warm-up ends.
    return buildResult({
      ...meta,
      startMs: this.measuredFromMs,
      warmupSeconds: this.warmupSeconds,
      endMs,
      requests: this.requests,
      errors: { ...this.errors },
      histogram: this.histogram.toJSON(),
      series: this.series(),
    });
  }
}
