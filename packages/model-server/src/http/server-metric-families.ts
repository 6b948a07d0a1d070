// The server's metric families, grouped by what they describe; ServerMetrics (server-metrics.ts) registers them in
// this order, which is the order /metrics lists them in.
import { Counter, Gauge, Histogram, Summary, type Registry } from "prom-client";
import type { SessionProvider } from "../model/model-registry.js";
import { SERVER_METRIC_NAMES } from "@inference-fleet/fleet-config";

type Registers = Registry[];

const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1, 2, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];
/** Inference requests in flight (queued or running) when scraped. */
const IN_FLIGHT_METRIC = "model_server_requests_in_flight";

/** Requests answered and their latency, by route; the inference routes' latency also as quantiles. */
export function trafficMetrics(registers: Registers) {
  return {
    requests: new Counter({
      name: SERVER_METRIC_NAMES.requests,
      help: "Requests answered, by route, model and HTTP status.",
      labelNames: ["route", "model", "status"] as const,
      registers,
    }),
    // CloudWatch's agent drops Prometheus histograms but keeps summaries: the SLO alarms read these quantiles.
    inferenceLatency: new Summary({
      name: SERVER_METRIC_NAMES.latency,
      help: "Time from request to answer of inference routes (/predictions/{model}, /v2/models/{model}/infer), quantiles over the last minute.",
      percentiles: [0.5, 0.9, 0.95, 0.99],
      maxAgeSeconds: 60,
      ageBuckets: 6,
      registers,
    }),
    latency: new Histogram({
      name: "model_server_request_duration_seconds",
      help: "Time from request to answer, by route.",
      labelNames: ["route"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
  };
}

/** ONNX Runtime runs (batch size, duration) by session, model load times, and the queues in front of the sessions. */
export function modelRunMetrics(registers: Registers, queueDepths: () => Iterable<readonly [string, number]>) {
  const metrics = {
    batchSize: new Histogram({
      name: "model_server_batch_size",
      help: "Requests per ONNX Runtime run, by session.",
      labelNames: ["session"] as const,
      buckets: BATCH_BUCKETS,
      registers,
    }),
    inference: new Histogram({
      name: "model_server_inference_duration_seconds",
      help: "Duration of one ONNX Runtime run (one batch), by session.",
      labelNames: ["session"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    modelLoad: new Gauge({ name: SERVER_METRIC_NAMES.modelLoad, help: "Time to load each model at start-up.", labelNames: ["model"] as const, registers }),
  };
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
  return metrics;
}

/** A lazy model repository's loads, evictions and cold-versus-warm latency. */
export function repositoryMetrics(registers: Registers) {
  return {
    repositoryLoads: new Counter({
      name: SERVER_METRIC_NAMES.repositoryLoads,
      help: "Repository model loads, by result (success or failure).",
      labelNames: ["result"] as const,
      registers,
    }),
    evictions: new Counter({
      name: "model_server_repository_evictions_total",
      help: "Repository models unloaded to stay under the resident budget.",
      registers,
    }),
    loadDuration: new Histogram({
      name: "model_server_repository_load_duration_seconds",
      help: "Time to load one repository model (fetch, read, create the session).",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    residencyLatency: new Histogram({
      name: "model_server_repository_request_duration_seconds",
      help: "Request latency in repository mode: cold (the model loaded first) or warm (resident).",
      labelNames: ["residency"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
  };
}

interface ScrapedSources {
  readonly inFlight: () => number;
  readonly resident: () => { models: number; bytes: number };
  readonly sessionProviders: () => Iterable<SessionProvider>;
}

/** Gauges read only when scraped: requests in flight, resident repository models and bytes, each session's provider. */
export function registerScrapedGauges(registers: Registers, sources: ScrapedSources): void {
  const inFlight: Gauge = new Gauge({
    name: IN_FLIGHT_METRIC,
    help: "Inference requests in the server now, queued or running (read when scraped): what local autoscaling scales on.",
    registers,
    collect: () => inFlight.set(sources.inFlight()),
  });
  new Gauge({
    name: "model_server_resident_models",
    help: "Repository models resident now.",
    registers,
    collect() {
      this.set(sources.resident().models);
    },
  });
  new Gauge({
    name: "model_server_resident_bytes",
    help: "Bytes counted for resident (and loading) repository models: model.onnx size plus a fixed per-session overhead.",
    registers,
    collect() {
      this.set(sources.resident().bytes);
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
      for (const { session, executionProvider, sessions } of sources.sessionProviders()) this.set({ session, execution_provider: executionProvider }, sessions);
    },
  });
}
