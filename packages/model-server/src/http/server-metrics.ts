import { collectDefaultMetrics, Registry } from "prom-client";
import type { SessionProvider } from "../model/model-registry.js";
import { INFERENCE_ROUTES } from "@inference-fleet/fleet-config";
import { modelRunMetrics, registerScrapedGauges, repositoryMetrics, trafficMetrics } from "./server-metric-families.js";

/**
 * The server's Prometheus metrics in a registry of its own (so several servers in one test process
 * do not collide). Labelled children are cached: the hot path pays one Map lookup per request.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  /** Inference requests between arrival and answer now; the app counts them (see IN_FLIGHT_METRIC in server-metric-families.ts). */
  inFlight = 0;
  private readonly traffic: ReturnType<typeof trafficMetrics>;
  private readonly runs: ReturnType<typeof modelRunMetrics>;
  private readonly repository: ReturnType<typeof repositoryMetrics>;
  private readonly requestChildren = new Map<string, { inc(): void }>();
  private readonly latencyChildren = new Map<string, { observe(value: number): void }>();

  /**
   * `resident` reports a lazy model repository's resident models and bytes (absent: the gauges read 0);
   * `sessionProviders` the execution provider each session really got.
   */
  constructor(
    queueDepths: () => Iterable<readonly [string, number]> = () => [],
    resident: () => { models: number; bytes: number } = () => ({ models: 0, bytes: 0 }),
    sessionProviders: () => Iterable<SessionProvider> = () => [],
  ) {
    const registers = [this.registry];
    this.traffic = trafficMetrics(registers);
    this.runs = modelRunMetrics(registers, queueDepths);
    this.repository = repositoryMetrics(registers);
    registerScrapedGauges(registers, { inFlight: () => this.inFlight, resident, sessionProviders });
    collectDefaultMetrics({ register: this.registry, prefix: "model_server_" });
  }

  /** Counts one answered request; `model` must be a served model's name (or "-"), never raw client input. */
  observeRequest(route: string, model: string, status: number, seconds: number): void {
    const key = `${route}\u0000${model}\u0000${status}`;
    let counter = this.requestChildren.get(key);
    if (counter === undefined) {
      counter = this.traffic.requests.labels(route, model, String(status));
      this.requestChildren.set(key, counter);
    }
    counter.inc();
    let histogram = this.latencyChildren.get(route);
    if (histogram === undefined) {
      histogram = this.traffic.latency.labels(route);
      this.latencyChildren.set(route, histogram);
    }
    histogram.observe(seconds);
    if (INFERENCE_ROUTES.has(route)) this.traffic.inferenceLatency.observe(seconds);
  }

  observeBatch(session: string, size: number, seconds: number): void {
    this.runs.batchSize.observe({ session }, size);
    this.runs.inference.observe({ session }, seconds);
  }

  observeModelLoad(model: string, seconds: number): void {
    this.runs.modelLoad.set({ model }, seconds);
  }

  observeRepositoryLoad(seconds: number | undefined): void {
    if (seconds === undefined) this.repository.repositoryLoads.inc({ result: "failure" });
    else {
      this.repository.repositoryLoads.inc({ result: "success" });
      this.repository.loadDuration.observe(seconds);
    }
  }

  countEviction(): void {
    this.repository.evictions.inc();
  }

  observeResidency(cold: boolean, seconds: number): void {
    this.repository.residencyLatency.observe({ residency: cold ? "cold" : "warm" }, seconds);
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
