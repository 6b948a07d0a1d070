// The local autoscaling loop: every interval it reads each server's metric, asks the rule (fleet-config's
// desiredReplicas, the HPA's formula, with stabilizeReplicas for scale-down) how many servers the load needs, and
// starts or drains servers to match. A new server takes load once it is ready; a server leaves by draining (no new
// requests, in-flight ones finish) before it is stopped, so scaling down loses no request. Clock, metric source and
// servers are injected: tests drive the decisions with fakes, `fleet local --autoscale` with real servers.
import { setTimeout as sleep } from "node:timers/promises";
import { desiredReplicas, stabilizeReplicas, type Recommendation } from "@inference-fleet/fleet-config";
import type { AutoscaleRecord, LoadTargets } from "@inference-fleet/load-test";

export interface AutoscaleRule {
  /** The per-server metric's name, for the record (e.g. model_server_requests_in_flight). */
  readonly metric: string;
  readonly target: number;
  readonly min: number;
  readonly max: number;
  readonly tolerance: number;
  readonly scaleDownWindowSeconds: number;
  readonly intervalSeconds: number;
}

/** Each server's metric over the last interval; undefined for a server that did not answer. */
export interface MetricSource {
  read(targets: readonly string[]): Promise<(number | undefined)[]>;
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
    const perPodMetric = readings.filter((value): value is number => value !== undefined);
    const now = clock.now();
    const { target, min, max, tolerance } = this.rule;
    // Servers still starting count as replicas (as pods do in the HPA): the rule is not asked twice for the same load.
    const raw = desiredReplicas({ current: Math.max(1, this.spec), metricPerPod: perPodMetric, target, min, max, tolerance });
    const stabilized = stabilizeReplicas({ nowMs: now, recommendation: raw, history: this.history, scaleDownWindowSeconds: this.rule.scaleDownWindowSeconds });
    this.history = stabilized.history;
    const windowed = stabilized.replicas;
    const next = raw > this.spec ? raw : Math.min(this.spec, windowed);
    const mean = perPodMetric.length > 0 ? perPodMetric.reduce((a, b) => a + b, 0) / perPodMetric.length : undefined;
    this.points.push({ atMs: now, replicas: targets.length, ...(mean === undefined ? {} : { metric: mean }), desired: next });
    if (next > this.spec) this.scaleUp(next - this.spec, mean);
    else if (next < this.spec) this.scaleDown(this.spec - next, mean);
  }

  private track(work: Promise<void>): void {
    const done = work.finally(() => this.pending.delete(done));
    this.pending.add(done);
  }

  private scaleUp(count: number, mean: number | undefined): void {
    this.spec += count;
    this.deps.log?.(`autoscale: ${this.describe(mean)}: starting ${count} server(s) (${this.spec} wanted)`);
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

  private scaleDown(count: number, mean: number | undefined): void {
    // The newest servers leave first; never the last one taking load.
    const leaving = [...this.deps.loadTargets.current()].reverse().slice(0, Math.min(count, this.replicas - 1));
    if (leaving.length === 0) return;
    this.spec -= leaving.length;
    this.deps.log?.(`autoscale: ${this.describe(mean)}: draining ${leaving.length} server(s) (${this.spec} wanted)`);
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

  private describe(mean: number | undefined): string {
    return `${this.rule.metric} ${mean === undefined ? "unknown" : mean.toFixed(2)} per server against a target of ${this.rule.target}`;
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
    const { metric, target, min, max, tolerance, scaleDownWindowSeconds, intervalSeconds } = this.rule;
    return {
      rule: { metric, target, min, max, tolerance, scaleDownWindowSeconds, intervalSeconds },
      points: [...this.points],
      events: [...this.events],
    };
  }
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
