// The local autoscaling loop: every interval it reads each server's metrics, asks the rule (fleet-config's
// desiredReplicasOfMetrics, the HPA's formula over several metrics, with stabilizeReplicas for scale-down) how many
// servers the load needs, and starts or drains servers to match. A new server takes load once it is ready; a server leaves by draining (no new
// requests, in-flight ones finish) before it is stopped, so scaling down loses no request. Clock, metric source and
// servers are injected: tests drive the decisions with fakes, `fleet local --autoscale` with real servers.
import { setTimeout as sleep } from "node:timers/promises";
import { desiredReplicasOfMetrics, stabilizeReplicas, type Recommendation } from "@inference-fleet/fleet-config";
import type { AutoscaleRecord, LoadTargets } from "@inference-fleet/load-test";

/** One metric the rule reads and the per-server value it holds it at. */
export interface AutoscaleTrigger {
  /** The per-server metric's name, as the MetricSource keys it (e.g. model_server_queue_depth). */
  readonly metric: string;
  readonly target: number;
}

export interface AutoscaleRule {
  /** The metrics the rule reads; the highest of their recommendations wins (the HPA's rule with several metrics). */
  readonly triggers: readonly [AutoscaleTrigger, ...AutoscaleTrigger[]];
  readonly min: number;
  readonly max: number;
  readonly tolerance: number;
  readonly scaleDownWindowSeconds: number;
  readonly intervalSeconds: number;
}

/** Each server's metrics over the last interval, by metric name, in the order of `targets`; undefined for a server without one. */
export interface MetricSource {
  read(targets: readonly string[]): Promise<Readonly<Record<string, readonly (number | undefined)[]>>>;
}

/** Starts a server and resolves with its URL once it is ready; stops one (after it was drained). */
export interface ServerLauncher {
  start(): Promise<string>;
  stop(target: string): Promise<void>;
}

interface Clock {
  /** Milliseconds (Unix time, or any origin the caller keeps). */
  now(): number;
}

export interface AutoscalerDeps {
  readonly metrics: MetricSource;
  readonly servers: ServerLauncher;
  /** The servers taking load: the load generator reads it, the autoscaler changes it. */
  readonly loadTargets: LoadTargets;
  readonly clock: Clock;
  readonly log?: (line: string) => void;
}

type Point = AutoscaleRecord["points"][number];
type Event = AutoscaleRecord["events"][number];

export class Autoscaler {
  /** Servers asked for: ready ones, plus those starting, minus those draining. */
  private spec: number;
  private starting = 0;
  private history: Recommendation[] = [];
  private readonly points: Point[] = [];
  private readonly events: Event[] = [];
  private readonly pending = new Set<Promise<void>>();
  private readonly failures: string[] = [];

  constructor(
    private readonly rule: AutoscaleRule,
    private readonly deps: AutoscalerDeps,
  ) {
    this.spec = deps.loadTargets.current().length;
  }

  /** Servers taking load now. */
  get replicas(): number {
    return this.deps.loadTargets.current().length;
  }

  /** Servers asked for (ready, starting, not draining). */
  get desired(): number {
    return this.spec;
  }

  /** One decision: read the metric of the servers taking load, apply the rule, start or drain servers. */
  async step(): Promise<void> {
    const { loadTargets, clock } = this.deps;
    const targets = [...loadTargets.current()];
    const readings = await this.deps.metrics.read(targets);
    const now = clock.now();
    const { triggers, min, max, tolerance } = this.rule;
    const metrics = triggers.map(({ metric, target }) => ({
      metric,
      target,
      metricPerPod: (readings[metric] ?? []).filter((value): value is number => value !== undefined),
    }));
    // Servers still starting count as replicas without a sample (as pods do in the HPA): the load is not asked for twice.
    const raw = desiredReplicasOfMetrics({ current: Math.max(1, this.spec), metrics, min, max, tolerance });
    const stabilized = stabilizeReplicas({ nowMs: now, recommendation: raw, history: this.history, scaleDownWindowSeconds: this.rule.scaleDownWindowSeconds });
    this.history = stabilized.history;
    const windowed = stabilized.replicas;
    const next = raw > this.spec ? raw : Math.min(this.spec, windowed);
    const means = Object.fromEntries(metrics.filter((m) => m.metricPerPod.length > 0).map((m) => [m.metric, meanOf(m.metricPerPod)]));
    const first = means[triggers[0].metric];
    this.points.push({ atMs: now, replicas: targets.length, ...(first === undefined ? {} : { metric: first }), metrics: means, desired: next });
    if (next > this.spec) this.scaleUp(next - this.spec, means);
    else if (next < this.spec) this.scaleDown(this.spec - next, means);
  }

  private track(work: Promise<void>): void {
    const done = work.finally(() => this.pending.delete(done));
    this.pending.add(done);
  }

  private scaleUp(count: number, means: Record<string, number>): void {
    this.spec += count;
    this.deps.log?.(`autoscale: ${this.describe(means)}: starting ${count} server(s) (${this.spec} wanted)`);
    for (let i = 0; i < count; i++) {
      this.starting += 1;
      this.track(
        this.deps.servers.start().then(
          (url) => {
            this.starting -= 1;
            this.deps.loadTargets.add(url);
            this.events.push({ atMs: this.deps.clock.now(), action: "added", target: url });
            this.deps.log?.(`autoscale: ${url} is ready and takes load (${this.replicas} serving)`);
          },
          (error: unknown) => {
            this.starting -= 1;
            this.spec -= 1;
            const message = `A server the autoscaler started did not become ready: ${error instanceof Error ? error.message : String(error)}`;
            this.failures.push(message);
            this.deps.log?.(`autoscale: ${message}`);
          },
        ),
      );
    }
  }

  private scaleDown(count: number, means: Record<string, number>): void {
    // The newest servers leave first; never the last one taking load.
    const leaving = [...this.deps.loadTargets.current()].reverse().slice(0, Math.min(count, this.replicas - 1));
    if (leaving.length === 0) return;
    this.spec -= leaving.length;
    this.deps.log?.(`autoscale: ${this.describe(means)}: draining ${leaving.length} server(s) (${this.spec} wanted)`);
    for (const url of leaving) {
      this.track(
        this.deps.loadTargets.drain(url).then(async () => {
          this.events.push({ atMs: this.deps.clock.now(), action: "drained", target: url });
          await this.deps.servers.stop(url);
          this.deps.log?.(`autoscale: ${url} drained and stopped (${this.replicas} serving)`);
        }),
      );
    }
  }

  private describe(means: Record<string, number>): string {
    const each = this.rule.triggers.map(({ metric, target }) => `${metric} ${means[metric]?.toFixed(2) ?? "unknown"} (target ${target.toFixed(2)})`);
    return `per server ${each.join(", ")}`;
  }

  /** Records the servers taking load now without deciding (the end of a run: the record ends at rest). */
  markEnd(): void {
    this.points.push({ atMs: this.deps.clock.now(), replicas: this.replicas, desired: this.spec });
  }

  /** Whether servers are being started or drained now. */
  get busy(): boolean {
    return this.pending.size > 0;
  }

  /** Waits for servers being started or drained. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Servers that failed to start, as sentences (the run reports them). */
  get startFailures(): readonly string[] {
    return this.failures;
  }

  record(): AutoscaleRecord {
    const { triggers, min, max, tolerance, scaleDownWindowSeconds, intervalSeconds } = this.rule;
    const { metric, target } = triggers[0];
    return {
      rule: { metric, target, triggers: [...triggers], min, max, tolerance, scaleDownWindowSeconds, intervalSeconds },
      points: [...this.points],
      events: [...this.events],
    };
  }
}

function meanOf(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/**
 * Runs `step` every rule interval until `signal` aborts; a step that throws ends the loop with that error. Ticks do
 * not pile up: the next waits for the last to finish.
 */
export async function runAutoscaler(autoscaler: Autoscaler, intervalSeconds: number, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    await autoscaler.step();
    await sleep(intervalSeconds * 1000, undefined, { signal }).catch(() => {});
  }
}
