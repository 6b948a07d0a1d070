import { INFERENCE_ROUTES, SERVER_METRIC_NAMES } from "./metric-names.js";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, Summary } from "prom-client";
import type { SessionProvider } from "../model/model-registry.js";

const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1, 2, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];
/** Inference requests in flight (queued or running) when scraped. */
const IN_FLIGHT_METRIC = "model_server_requests_in_flight";

/**
 * The server's Prometheus metrics in a registry of its own (so several servers in one test process
 * do not collide). Labelled children are cached: the hot path pays one Map lookup per request.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  /** Inference requests between arrival and answer now; the app counts them (see IN_FLIGHT_METRIC). */
  inFlight = 0;
  private readonly requests: Counter<"route" | "model" | "status">;
  private readonly latency: Histogram<"route">;
  private readonly inferenceLatency: Summary;
  private readonly batchSize: Histogram<"session">;
  private readonly inference: Histogram<"session">;
  private readonly modelLoad: Gauge<"model">;
  private readonly repositoryLoads: Counter<"result">;
  private readonly evictions: Counter;
  private readonly loadDuration: Histogram;
  private readonly residencyLatency: Histogram<"residency">;
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
    this.requests = new Counter({
      name: SERVER_METRIC_NAMES.requests,
      help: "Requests answered, by route, model and HTTP status.",
      labelNames: ["route", "model", "status"],
      registers,
    });
    // CloudWatch's agent drops Prometheus histograms but keeps summaries: the SLO alarms read these quantiles.
    this.inferenceLatency = new Summary({
      name: SERVER_METRIC_NAMES.latency,
      help: "Time from request to answer of inference routes (/predictions/{model}, /v2/models/{model}/infer), quantiles over the last minute.",
      percentiles: [0.5, 0.9, 0.95, 0.99],
      maxAgeSeconds: 60,
      ageBuckets: 6,
      registers,
    });
    this.latency = new Histogram({
      name: "model_server_request_duration_seconds",
      help: "Time from request to answer, by route.",
      labelNames: ["route"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.batchSize = new Histogram({
      name: "model_server_batch_size",
      help: "Requests per ONNX Runtime run, by session.",
      labelNames: ["session"],
      buckets: BATCH_BUCKETS,
      registers,
    });
    this.inference = new Histogram({
      name: "model_server_inference_duration_seconds",
      help: "Duration of one ONNX Runtime run (one batch), by session.",
      labelNames: ["session"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.modelLoad = new Gauge({ name: SERVER_METRIC_NAMES.modelLoad, help: "Time to load each model at start-up.", labelNames: ["model"], registers });
    new Gauge({
      name: SERVER_METRIC_NAMES.queueDepth,
      help: "Requests waiting for a run, by session (read when scraped, so the hot path pays nothing).",
      labelNames: ["session"],
      registers,
      collect() {
        this.reset();
        for (const [session, depth] of queueDepths()) this.set({ session }, depth);
      },
    });
    this.repositoryLoads = new Counter({
      name: SERVER_METRIC_NAMES.repositoryLoads,
      help: "Repository model loads, by result (success or failure).",
      labelNames: ["result"],
      registers,
    });
    this.evictions = new Counter({
      name: "model_server_repository_evictions_total",
      help: "Repository models unloaded to stay under the resident budget.",
      registers,
    });
    this.loadDuration = new Histogram({
      name: "model_server_repository_load_duration_seconds",
      help: "Time to load one repository model (fetch, read, create the session).",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.residencyLatency = new Histogram({
      name: "model_server_repository_request_duration_seconds",
      help: "Request latency in repository mode: cold (the model loaded first) or warm (resident).",
      labelNames: ["residency"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    const inFlight: Gauge = new Gauge({
      name: IN_FLIGHT_METRIC,
      help: "Inference requests in the server now, queued or running (read when scraped): what local autoscaling scales on.",
      registers,
      collect: () => inFlight.set(this.inFlight),
    });
    new Gauge({
      name: "model_server_resident_models",
      help: "Repository models resident now.",
      registers,
      collect() {
        this.set(resident().models);
      },
    });
    new Gauge({
      name: "model_server_resident_bytes",
      help: "Bytes counted for resident (and loading) repository models: model.onnx size plus a fixed per-session overhead.",
      registers,
      collect() {
        this.set(resident().bytes);
      },
    });
    new Gauge({
      name: "model_server_session_info",
      help:
        "1 per ONNX Runtime session, labelled with the execution provider it really got (cpu after a fallback); " +
        "in repository mode, resident sessions per provider.",
      labelNames: ["session", "execution_provider"],
      registers,
      collect() {
        this.reset();
        for (const { session, executionProvider, sessions } of sessionProviders()) this.set({ session, execution_provider: executionProvider }, sessions);
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: "model_server_" });
  }

  /** Counts one answered request; `model` must be a served model's name (or "-"), never raw client input. */
  observeRequest(route: string, model: string, status: number, seconds: number): void {
    const key = `${route}\u0000${model}\u0000${status}`;
    let counter = this.requestChildren.get(key);
    if (counter === undefined) {
      counter = this.requests.labels(route, model, String(status));
      this.requestChildren.set(key, counter);
    }
    counter.inc();
    let histogram = this.latencyChildren.get(route);
    if (histogram === undefined) {
      histogram = this.latency.labels(route);
      this.latencyChildren.set(route, histogram);
    }
    histogram.observe(seconds);
    if (INFERENCE_ROUTES.has(route)) this.inferenceLatency.observe(seconds);
  }

  observeBatch(session: string, size: number, seconds: number): void {
    this.batchSize.observe({ session }, size);
    this.inference.observe({ session }, seconds);
  }

  observeModelLoad(model: string, seconds: number): void {
    this.modelLoad.set({ model }, seconds);
  }

  observeRepositoryLoad(seconds: number | undefined): void {
    if (seconds === undefined) this.repositoryLoads.inc({ result: "failure" });
    else {
      this.repositoryLoads.inc({ result: "success" });
      this.loadDuration.observe(seconds);
    }
  }

  countEviction(): void {
    this.evictions.inc();
  }

  observeResidency(cold: boolean, seconds: number): void {
    this.residencyLatency.observe({ residency: cold ? "cold" : "warm" }, seconds);
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
