// Latency histogram with fixed log-spaced buckets (HDR style): every generator uses the same
// buckets, so histograms from any number of k6 pods or local runs add up exactly, and
// percentiles are read from the merged counts instead of being averaged.
// This module is pure (no Node APIs): the k6 script bundles it.

/** Lower edge of bucket 0; faster responses are counted in bucket 0. */
export const HISTOGRAM_LOWEST_MS = 0.05;
/** Upper edge of the last bucket; slower responses are counted in the last bucket. */
export const HISTOGRAM_HIGHEST_MS = 60_000;
/** Each bucket is 2% wider than the one before; reading the geometric midpoint keeps the error under 1%. */
export const HISTOGRAM_GROWTH = 1.02;
const LOG_GROWTH = Math.log(HISTOGRAM_GROWTH);
export const HISTOGRAM_BUCKETS = Math.ceil(Math.log(HISTOGRAM_HIGHEST_MS / HISTOGRAM_LOWEST_MS) / LOG_GROWTH);

/** The JSON form of a histogram: sparse counts (bucket index -> count) plus exact count, min, max and sum. */
export interface HistogramData {
  lowestMs: number;
  highestMs: number;
  growth: number;
  count: number;
  minMs: number;
  maxMs: number;
  /** Sum of all latencies in whole microseconds, an integer so that merging is exact in any order. */
  sumUs: number;
  buckets: Record<string, number>;
}

export interface LatencyPercentiles {
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/** The bucket a latency in milliseconds falls into. */
export function bucketIndex(ms: number): number {
  if (!(ms > HISTOGRAM_LOWEST_MS)) return 0;
  const index = Math.floor(Math.log(ms / HISTOGRAM_LOWEST_MS) / LOG_GROWTH);
  return index < HISTOGRAM_BUCKETS ? index : HISTOGRAM_BUCKETS - 1;
}

/** The value reported for a bucket: its geometric midpoint, within 1% of anything inside it. */
export function bucketValueMs(index: number): number {
  return HISTOGRAM_LOWEST_MS * Math.pow(HISTOGRAM_GROWTH, index + 0.5);
}

export class LatencyHistogram {
  readonly counts = new Float64Array(HISTOGRAM_BUCKETS);
  count = 0;
  minMs = Infinity;
  maxMs = 0;
  sumUs = 0;

  record(ms: number): void {
    this.recordIn(bucketIndex(ms), ms);
  }

  /** record() with the bucket already known: one log per latency however many histograms count it. */
  recordIn(bucket: number, ms: number): void {
    this.counts[bucket]! += 1;
    this.count += 1;
    if (ms < this.minMs) this.minMs = ms;
    if (ms > this.maxMs) this.maxMs = ms;
    this.sumUs += Math.round(ms * 1000);
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.minMs = Infinity;
    this.maxMs = 0;
    this.sumUs = 0;
  }

  /** Adds every count of `other` into this histogram. */
  merge(other: LatencyHistogram | HistogramData): this {
    const data = other instanceof LatencyHistogram ? other.toJSON() : checkCompatible(other);
    for (const key in data.buckets) this.counts[Number(key)]! += data.buckets[key]!;
    this.count += data.count;
    if (data.count > 0) {
      this.minMs = Math.min(this.minMs, data.minMs);
      this.maxMs = Math.max(this.maxMs, data.maxMs);
    }
    this.sumUs += data.sumUs;
    return this;
  }

  /** The nearest-rank percentile (0 < q <= 100) read from the buckets, clamped to the exact min and max; 0 when empty. */
  percentile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((q / 100) * this.count));
    if (rank >= this.count) return this.maxMs;
    let seen = 0;
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.maxMs, Math.max(this.minMs, bucketValueMs(i)));
    }
    return this.maxMs;
  }

  summary(): LatencyPercentiles {
    if (this.count === 0) return { min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 };
    return {
      min: this.minMs,
      mean: this.sumUs / 1000 / this.count,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p95: this.percentile(95),
      p99: this.percentile(99),
      max: this.maxMs,
    };
  }

  toJSON(): HistogramData {
    const buckets: Record<string, number> = {};
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) if (this.counts[i]! > 0) buckets[String(i)] = this.counts[i]!;
    return {
      lowestMs: HISTOGRAM_LOWEST_MS,
      highestMs: HISTOGRAM_HIGHEST_MS,
      growth: HISTOGRAM_GROWTH,
      count: this.count,
      minMs: this.count > 0 ? this.minMs : 0,
      maxMs: this.maxMs,
      sumUs: this.sumUs,
      buckets,
    };
  }

  static from(data: HistogramData): LatencyHistogram {
    return new LatencyHistogram().merge(data);
  }
}

function checkCompatible(data: HistogramData): HistogramData {
  if (data.lowestMs !== HISTOGRAM_LOWEST_MS || data.highestMs !== HISTOGRAM_HIGHEST_MS || data.growth !== HISTOGRAM_GROWTH) {
    throw new Error(
      `This histogram uses buckets from ${data.lowestMs} ms to ${data.highestMs} ms growing by ${data.growth}, but this version of ` +
        `@inference-fleet/load-test uses ${HISTOGRAM_LOWEST_MS} ms to ${HISTOGRAM_HIGHEST_MS} ms growing by ${HISTOGRAM_GROWTH}. ` +
        `Re-run the load test with the same version, or merge with the version that wrote it.`,
    );
  }
  for (const key in data.buckets) {
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index >= HISTOGRAM_BUCKETS) {
      throw new Error(`Histogram bucket "${key}" is not an index between 0 and ${HISTOGRAM_BUCKETS - 1}; the results file is damaged.`);
    }
  }
  return data;
}

/** min, mean, p50, p90, p95, p99 and max of a histogram in its JSON form. */
export function percentilesFromHistogram(data: HistogramData): LatencyPercentiles {
  return LatencyHistogram.from(data).summary();
}
