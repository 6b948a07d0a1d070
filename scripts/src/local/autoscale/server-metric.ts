// The autoscaler's metrics from each server's own /metrics, the series the cluster's KEDA scalers read:
// - the served request rate: model_server_requests_total on the inference routes, diffed between two reads and divided
//   by the time between them (a counter, so nothing between reads is missed);
// - the queue depth (model_server_queue_depth): a gauge read once a second is a coin toss at these time scales (a request
//   lasts a millisecond or two), so it is sampled several times per interval and averaged, as a Prometheus query over a
//   window would be.
import { SERVER_METRIC_NAMES } from "@inference-fleet/fleet-config";
import { inferenceRequestsOf, queueDepthOf, scrapeMetrics } from "@inference-fleet/load-test";
import type { MetricSource } from "./autoscaler.js";

export const QUEUE_DEPTH_METRIC = SERVER_METRIC_NAMES.queueDepth;
/** Inference requests per second per server, PromQL's name for the counter's rate. */
export const REQUEST_RATE_METRIC = `rate(${SERVER_METRIC_NAMES.requests})`;

/** What one scrape of a server gives the autoscaler; undefined fields: the server does not export that series. */
interface Scrape {
  readonly queueDepth: number | undefined;
  readonly requests: number | undefined;
}

/** A server's load as the autoscaler reads it from its /metrics text. */
export function loadMetricsOf(text: string): Scrape {
  return { queueDepth: queueDepthOf(text), requests: inferenceRequestsOf(text) };
}

/**
 * Per-second rates of a counter per server, from its value at successive reads. A server's first read, or a counter
 * that went down (the process restarted), only sets the baseline: no rate until the next read.
 */
export class CounterRates {
  private readonly last = new Map<string, { count: number; atMs: number }>();

  /** The rate since `target`'s previous reading, or undefined; records this reading as the next baseline. */
  update(target: string, count: number, atMs: number): number | undefined {
    const previous = this.last.get(target);
    this.last.set(target, { count, atMs });
    if (!previous || count < previous.count || atMs <= previous.atMs) return undefined;
    return (count - previous.count) / ((atMs - previous.atMs) / 1000);
  }

  /** Drops the baselines of servers no longer read (a server that leaves and a new one on its port start afresh). */
  keepOnly(targets: readonly string[]): void {
    for (const target of this.last.keys()) if (!targets.includes(target)) this.last.delete(target);
  }
}

/** Samples every server taking load every `sampleMs`; `read` gives each server's mean queue depth and request rate since the last read. */
export class SampledServerMetric implements MetricSource {
  private readonly sums = new Map<string, { total: number; samples: number }>();
  private readonly counts = new Map<string, { count: number; atMs: number }>();
  private readonly rates = new CounterRates();
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;

  constructor(
    private readonly targets: () => readonly string[],
    private readonly now: () => number = Date.now,
    private readonly sampleMs = 200,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.sampleOnce(), this.sampleMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One sample of every server, unless one is under way (then that one). */
  private sampleOnce(): Promise<void> {
    this.sampling ??= this.sample(this.targets()).finally(() => (this.sampling = undefined));
    return this.sampling;
  }

  private async sample(targets: readonly string[]): Promise<void> {
    const scrapes = await scrapeMetrics(targets, loadMetricsOf);
    const atMs = this.now();
    targets.forEach((target, i) => {
      const { queueDepth, requests } = scrapes[i] ?? {};
      if (requests !== undefined) this.counts.set(target, { count: requests, atMs });
      if (queueDepth === undefined) return;
      const sum = this.sums.get(target) ?? { total: 0, samples: 0 };
      sum.total += queueDepth;
      sum.samples += 1;
      this.sums.set(target, sum);
    });
  }

  async read(targets: readonly string[]): Promise<Record<string, (number | undefined)[]>> {
    // The counter is read now, so the rate covers the time up to this decision.
    await this.sampling;
    await this.sample(targets);
    const queueDepths = targets.map((target) => {
      const sum = this.sums.get(target);
      return sum && sum.samples > 0 ? sum.total / sum.samples : undefined;
    });
    const rates = targets.map((target) => {
      const latest = this.counts.get(target);
      return latest && this.rates.update(target, latest.count, latest.atMs);
    });
    this.rates.keepOnly(targets);
    this.sums.clear();
    this.counts.clear();
    return { [QUEUE_DEPTH_METRIC]: queueDepths, [REQUEST_RATE_METRIC]: rates };
  }
}
