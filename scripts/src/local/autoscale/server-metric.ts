// The autoscaler's metric from each server's own /metrics: the requests waiting in its queues
// (model_server_queue_depth), the metric the cluster's KEDA scalers read, so a local run decides as the cluster would.
// A gauge read once a second is a coin toss at these time scales (a request lasts a millisecond or two), so it is sampled
// several times per interval and averaged, as a Prometheus query over a window would be.
import { queueDepthOf, scrapeMetrics } from "@inference-fleet/load-test";
import type { MetricSource } from "./autoscaler.js";

export const QUEUE_DEPTH_METRIC = "model_server_queue_depth";

/** A server's load as the autoscaler reads it from its /metrics text: load-test's queue-depth reading (summed over its models). */
export const loadMetricOf = queueDepthOf;

/** Samples every server taking load every `sampleMs`; `read` gives each server's mean since the last read. */
export class SampledServerMetric implements MetricSource {
  private readonly sums = new Map<string, { total: number; samples: number }>();
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;

  constructor(
    private readonly targets: () => readonly string[],
    private readonly sampleMs = 200,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => {
      if (this.sampling) return;
      this.sampling = this.sample().finally(() => (this.sampling = undefined));
    }, this.sampleMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async sample(): Promise<void> {
    const targets = [...this.targets()];
    const values = await scrapeMetrics(targets, loadMetricOf);
    targets.forEach((target, i) => {
      const value = values[i];
      if (value === undefined) return;
      const sum = this.sums.get(target) ?? { total: 0, samples: 0 };
      sum.total += value;
      sum.samples += 1;
      this.sums.set(target, sum);
    });
  }

  async read(targets: readonly string[]): Promise<(number | undefined)[]> {
    // Nothing sampled yet for a server (it just joined, or sampling lags): read it once now.
    const missing = targets.filter((t) => !this.sums.get(t)?.samples);
    if (missing.length > 0) await this.sample();
    const means = targets.map((target) => {
      const sum = this.sums.get(target);
      return sum && sum.samples > 0 ? sum.total / sum.samples : undefined;
    });
    this.sums.clear();
    return means;
  }
}
