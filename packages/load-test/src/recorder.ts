import { bucketIndex, LatencyHistogram } from "./histogram.js";
import { errorKind } from "./request.js";
import type { LoadMode, LoadTestResult, ResultPart, SeriesPoint, ServerInfo, ServerTimes, SlowRequest } from "./results.js";
import { buildResult } from "./results.js";

/** Kinds of failure without an HTTP status. */
export type FailureKind = "timeout" | "connection";

interface SecondBucket {
  requests: number;
  errors: number;
  latency: LatencyHistogram;
}

/** The counts of one server (target) or one model: indexed by number, so the hot path does no string lookups. */
class PartCounter {
  requests = 0;
  readonly errors: Record<string, number> = {};
  readonly histogram = new LatencyHistogram();

  toJSON(name: string): ResultPart {
    return { name, requests: this.requests, errors: { ...this.errors }, histogram: this.histogram.toJSON() };
  }
}

export interface ResultMeta {
  generator: LoadTestResult["generator"];
  mode: LoadMode;
  targets: string[];
  models: string[];
  labels: Record<string, string>;
  servers?: ServerInfo[];
  /** Server-side time per target from its /metrics, over the run (see serverTimesBetween). */
  serverTimes?: ServerTimes[];
  /** The slowest successes, slowest first (see SlowestRequests). */
  slowest?: SlowRequest[];
}

/**
 * Collects outcomes of requests as they finish (cheap per call) and turns them into a result.
 * Outcomes that arrive during the warm-up (the first `warmupSeconds` after `startMs`) count nowhere:
 * connections, caches and JIT are still settling then, and would skew the figures.
 * Latencies are those of successes only; errors are counted by kind beside them. Each outcome also
 * counts for its target and its model (by index into ResultMeta's targets and models).
 */
export class ResultRecorder {
  readonly histogram = new LatencyHistogram();
  readonly errors: Record<string, number> = {};
  requests = 0;
  errorCount = 0;
  private readonly seconds = new Map<number, SecondBucket>();
  private current: SecondBucket | undefined;
  private currentSecond = Number.NaN;
  private readonly byTarget: PartCounter[];
  private readonly byModel: PartCounter[];

  /** Unix ms from which outcomes count. */
  readonly measuredFromMs: number;

  constructor(
    readonly startMs: number,
    readonly warmupSeconds = 0,
    parts: { targets: number; models: number } = { targets: 1, models: 1 },
  ) {
    if (!(warmupSeconds >= 0)) throw new Error(`The warm-up must be 0 or more seconds, got ${warmupSeconds}.`);
    this.measuredFromMs = startMs + warmupSeconds * 1000;
    this.byTarget = Array.from({ length: parts.targets }, () => new PartCounter());
    this.byModel = Array.from({ length: parts.models }, () => new PartCounter());
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

  /** A whole answer arrived at `atMs` (Unix ms) after `latencyMs`. False when it came during the warm-up. */
  recordSuccess(latencyMs: number, atMs: number, target = 0, model = 0): boolean {
    if (atMs < this.measuredFromMs) return false;
    const bucket = this.secondOf(atMs);
    const index = bucketIndex(latencyMs);
    this.requests += 1;
    bucket.requests += 1;
    this.histogram.recordIn(index, latencyMs);
    bucket.latency.recordIn(index, latencyMs);
    // Servers may join during a run (autoscaling): a new target's counter is made when its first answer counts.
    const byTarget = (this.byTarget[target] ??= new PartCounter());
    const byModel = this.byModel[model]!;
    byTarget.requests += 1;
    byModel.requests += 1;
    byTarget.histogram.recordIn(index, latencyMs);
    byModel.histogram.recordIn(index, latencyMs);
    return true;
  }

  /** A request failed with an error of `kind` (http_503, timeout, truncated_body, ...). False when it ended during the warm-up. */
  recordError(kind: string, atMs: number, target = 0, model = 0): boolean {
    if (atMs < this.measuredFromMs) return false;
    const bucket = this.secondOf(atMs);
    this.requests += 1;
    bucket.requests += 1;
    bucket.errors += 1;
    this.errorCount += 1;
    this.errors[kind] = (this.errors[kind] ?? 0) + 1;
    for (const part of [(this.byTarget[target] ??= new PartCounter()), this.byModel[model]!]) {
      part.requests += 1;
      part.errors[kind] = (part.errors[kind] ?? 0) + 1;
    }
    return true;
  }

  /** A response with a whole body: 4xx and 5xx count as errors (their latency nowhere), anything else as a success. */
  recordResponse(latencyMs: number, status: number, atMs: number, target = 0, model = 0): boolean {
    const kind = errorKind(status, false);
    return kind ? this.recordError(kind, atMs, target, model) : this.recordSuccess(latencyMs, atMs, target, model);
  }

  /** A request ended without a response. False when it ended during the warm-up. */
  recordFailure(kind: FailureKind, atMs: number, target = 0, model = 0): boolean {
    return this.recordError(kind, atMs, target, model);
  }

  series(): SeriesPoint[] {
    return [...this.seconds].map(([second, b]) => ({ second, requests: b.requests, errors: b.errors, latency: b.latency.toJSON() }));
  }

  finish(meta: ResultMeta, endMs: number): LoadTestResult {
    // The figures cover the measured window only: it starts when the warm-up ends.
    for (let i = 0; i < meta.targets.length; i++) this.byTarget[i] ??= new PartCounter();
    return buildResult({
      ...meta,
      startMs: this.measuredFromMs,
      warmupSeconds: this.warmupSeconds,
      endMs,
      requests: this.requests,
      errors: { ...this.errors },
      histogram: this.histogram.toJSON(),
      series: this.series(),
      byTarget: meta.targets.length === this.byTarget.length ? this.byTarget.map((part, i) => part.toJSON(meta.targets[i]!)) : undefined,
      byModel: meta.models.length === this.byModel.length ? this.byModel.map((part, i) => part.toJSON(meta.models[i]!)) : undefined,
    });
  }
}
