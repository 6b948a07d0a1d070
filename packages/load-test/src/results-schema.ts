// The one results format every generator writes (k6 pods and the local generator alike), as a zod
// schema. Kept apart from results.ts so the k6 bundle does not carry zod.
import { z } from "zod";
import { HISTOGRAM_BUCKETS, type HistogramData, type LatencyPercentiles } from "./histogram.js";
import type { CapacityStep } from "./capacity/step.js";
import { LOAD_MODES } from "./results.js";
import type { Slo } from "@inference-fleet/fleet-config";

const count = z.number().int().nonnegative();

const histogramSchema = z.object({
  lowestMs: z.number().positive(),
  highestMs: z.number().positive(),
  growth: z.number().gt(1),
  count,
  minMs: z.number().nonnegative(),
  maxMs: z.number().nonnegative(),
  sumUs: count,
  buckets: z.record(z.string().regex(/^\d+$/), count).refine((b) => Object.keys(b).every((k) => Number(k) < HISTOGRAM_BUCKETS), {
    message: `bucket indexes must be below ${HISTOGRAM_BUCKETS}`,
  }),
}) satisfies z.ZodType<HistogramData>;

const latencySummarySchema = z.object({
  min: z.number(),
  mean: z.number(),
  p50: z.number(),
  p90: z.number(),
  p95: z.number(),
  p99: z.number(),
  max: z.number(),
}) satisfies z.ZodType<LatencyPercentiles>;

const seriesPointSchema = z.object({
  /** Unix time in whole seconds: points from different generators line up by this key. */
  second: z.number().int(),
  /** Requests that finished in this second, failed ones included. */
  requests: count,
  errors: count,
  /** Latencies of the responses that arrived in this second (absent where the generator cannot split them, e.g. k6). */
  latency: histogramSchema.optional(),
});

const serverInfoSchema = z.object({
  /** A target URL as the generator called it. */
  target: z.string(),
  /** What the server reported in GET /v2/models/{model} parameters.execution_provider ("cpu", "cuda", ...); absent when unknown. */
  executionProvider: z.string().optional(),
  /** The model's precision from the same answer (parameters.precision: "fp32", "int8"); absent when unknown. */
  precision: z.string().optional(),
});

const resultPartSchema = z.object({
  /** The target URL or the model name this part counts. */
  name: z.string(),
  /** Requests that finished, failed ones included. */
  requests: count,
  errors: z.record(z.string(), count),
  /** Latencies of this part's successes. */
  histogram: histogramSchema,
});

const serverTimesSchema = z.object({
  /** A target URL as the generator called it. */
  target: z.string(),
  /** Inference requests the server answered during the run (its model_server_request_duration_seconds count). */
  requests: count,
  /** Their summed time in the server, from request to answer. */
  requestSeconds: z.number().nonnegative(),
  /** ONNX Runtime runs (batches) during the run (model_server_inference_duration_seconds count). */
  runs: count,
  /** Their summed duration: the time the server spent in inference. */
  inferenceSeconds: z.number().nonnegative(),
  /** Requests those runs served (the sum of model_server_batch_size). */
  batchedRequests: z.number().nonnegative(),
});

/** The model the servers served: where it came from and which bytes, so a figure names the model it is about. */
const servedModelSchema = z.object({
  /** The stack's model.source as written: a local dir, s3://, https:// or hf://ORG/NAME[@REVISION]. */
  source: z.string(),
  /** The hub commit an hf:// source resolved to. */
  commit: z.string().optional(),
  /** sha256 of model.onnx (of the first model in repository mode); absent for a remote source the runner never read. */
  sha256: z.string().optional(),
  name: z.string().optional(),
  task: z.string(),
  precision: z.string(),
  parameters: z.number().int().nonnegative().optional(),
});

const capacityWindowSchema = z.object({
  durationSeconds: z.number().nonnegative(),
  achievedRate: z.number().nonnegative(),
  requests: count,
  errors: z.record(z.string(), count),
  histogram: histogramSchema,
  latencyMs: latencySummarySchema,
});

const capacityStepSchema = z.object({
  /** Requests per second offered by all generators together. */
  offeredRate: z.number().positive(),
  /** Successful requests per second over the measured window. */
  achievedRate: z.number().nonnegative(),
  durationSeconds: z.number().nonnegative(),
  warmupSeconds: z.number().nonnegative(),
  requests: count,
  errors: z.record(z.string(), count),
  histogram: histogramSchema,
  latencyMs: latencySummarySchema,
  /** Cut short after a clear breach of the SLO. */
  stoppedEarly: z.boolean().optional(),
  /** The consecutive measurement windows the step is judged by, each with its histogram. */
  windows: z.array(capacityWindowSchema).optional(),
  /** How the windows had to agree: `windows` consecutive ones within `share`, at most `maxWindows`. */
  stability: z.object({ windows: z.int().min(1), maxWindows: z.int().min(1), share: z.number().gt(0).lt(1) }).optional(),
  /** The how-manyth measurement of this rate (a break is measured again before it is believed). */
  attempt: z.int().min(1).optional(),
  /** The step's counts per target and per model (k6 steps; the local search keeps them in the result of its step). */
  byTarget: z.array(resultPartSchema).optional(),
  byModel: z.array(resultPartSchema).optional(),
}) satisfies z.ZodType<CapacityStep>;

const capacitySchema = z.object({
  /** The capacity (req/s): the rate the confirmation held for its sustained window, or without one the search's answer; 0 when none held. */
  capacityAtSlo: z.number().nonnegative(),
  /** What the search alone found, before the confirmation (older files have none). */
  searchCapacity: z.number().nonnegative().optional(),
  /** What ended the search: its time budget, or the SLO (the bracket narrow enough). */
  endedBy: z.enum(["budget", "slo"]).optional(),
  /** The confirmation's sustained holds in order, each with its windows and histogram; the last that held is the capacity. */
  confirmations: z.array(capacityStepSchema).optional(),
  /** The SLO the steps were judged against. */
  slo: z.object({
    percentile: z.number().gt(0).max(100),
    latencyMs: z.number().positive(),
    maxErrorRate: z.number().min(0).max(1),
  }) satisfies z.ZodType<Slo>,
  /** Every step of the search, each with its histogram, so the capacity can be computed again (and merged). */
  steps: z.array(capacityStepSchema),
});

/** The server's own account of one request, from its Server-Timing header (queue;dur=, inference;dur=, batch;desc=, batchsize;desc=). */
const serverTimingSchema = z.object({
  /** Time waiting for a run, in the server. */
  queueMs: z.number().nonnegative().optional(),
  /** The run (batch) it joined: ONNX Runtime's time for the whole batch. */
  inferenceMs: z.number().nonnegative().optional(),
  /** The batch's id, unique within its server process. */
  batch: z.string().optional(),
  batchSize: z.number().int().positive().optional(),
});

/** One of the slowest successful requests, with the id the servers logged it under. */
const slowRequestSchema = z.object({
  /** The W3C trace id the generator sent in its traceparent (32 hex digits): grep the servers' logs for it. */
  traceId: z.string(),
  /** The target URL it went to. */
  target: z.string(),
  /** From when it was due to its whole answer. */
  latencyMs: z.number().nonnegative(),
  /** When it finished (ISO time). */
  at: z.iso.datetime(),
  server: serverTimingSchema.optional(),
});

/** `fleet local --autoscale`: the rule the loop ran and what it did, second by second. */
const autoscaleSchema = z.object({
  rule: z.object({
    /** The per-server metric, as read from /metrics (e.g. model_server_requests_in_flight). */
    metric: z.string(),
    target: z.number().positive(),
    /** Every metric the rule read, the first being `metric`; the highest recommendation won (older files: none). */
    triggers: z.array(z.object({ metric: z.string(), target: z.number().positive() })).optional(),
    min: z.int().min(1),
    max: z.int().min(1),
    tolerance: z.number().min(0),
    scaleDownWindowSeconds: z.number().nonnegative(),
    intervalSeconds: z.number().positive(),
  }),
  /** One point per decision: Unix ms, the servers taking load, the mean of the first metric and what the rule asked for. */
  points: z.array(
    z.object({
      atMs: z.number(),
      replicas: z.int().nonnegative(),
      metric: z.number().nonnegative().optional(),
      /** The mean of each trigger's metric by name (older files: none). */
      metrics: z.record(z.string(), z.number().nonnegative()).optional(),
      desired: z.int().nonnegative(),
    }),
  ),
  /** Servers started (ready and taking load) and drained (taken out of the load, then stopped), in order. */
  events: z.array(z.object({ atMs: z.number(), action: z.enum(["added", "drained"]), target: z.string() })),
});

const loadTestResultSchema = z.object({
  schemaVersion: z.literal(1),
  generator: z.enum(["local", "k6", "mixed"]),
  mode: z.enum(LOAD_MODES),
  targets: z.array(z.string()),
  models: z.array(z.string()),
  /** Free-form labels: stack, instanceType, servers (instances behind the targets), pod, ... */
  labels: z.record(z.string(), z.string()),
  startTime: z.iso.datetime(),
  endTime: z.iso.datetime(),
  /** endTime - startTime: the measured window, after the warm-up. */
  durationSeconds: z.number().nonnegative(),
  /** Seconds of load before startTime whose requests count nowhere (files older than the warm-up have none). */
  warmupSeconds: z.number().nonnegative().default(0),
  /** Requests that finished, failed ones included. */
  requests: count,
  /** Failed requests by kind: http_<status>, timeout, connection; 2xx without the whole answer: truncated_body, length_mismatch, body_too_large, bad_body. */
  errors: z.record(z.string(), count),
  /** Successful requests per second over the measured window. */
  throughput: z.number().nonnegative(),
  latencyMs: latencySummarySchema,
  /** Latency of the successes: 2xx answers whose body arrived whole and parsed (older files: every response). */
  histogram: histogramSchema,
  series: z.array(seriesPointSchema),
  /** How many generator results were merged into this one. */
  sources: z.number().int().positive(),
  /** What each target said it runs on, asked before the load started (older files have none). */
  servers: z.array(serverInfoSchema).default([]),
  /** The same counts per server (target) and per model: where the time goes (older files have none). */
  byTarget: z.array(resultPartSchema).optional(),
  byModel: z.array(resultPartSchema).optional(),
  /** Each server's own account of the run from its /metrics (scraped before and after): queue vs inference time. */
  serverTimes: z.array(serverTimesSchema).optional(),
  /** Stopped before its planned end (Ctrl-C, an abort): its figures are partial and give no verdict. */
  interrupted: z.boolean().optional(),
  /** The model served (older files, and results of `fleet load` against servers it did not start, have none). */
  model: servedModelSchema.optional(),
  /** A capacity search's answer and curve (runs of other modes, and older files, have none). */
  capacity: capacitySchema.optional(),
  /** The slowest successful requests (at most 10, slowest first) with the servers' breakdown (older files have none). */
  slowest: z.array(slowRequestSchema).optional(),
  /** `fleet local --autoscale` runs: replicas over time and the rule behind them (other runs, and older files, have none). */
  autoscale: autoscaleSchema.optional(),
});

export type LoadTestResult = z.infer<typeof loadTestResultSchema>;
export type SeriesPoint = z.infer<typeof seriesPointSchema>;
export type ServerInfo = z.infer<typeof serverInfoSchema>;
export type ResultPart = z.infer<typeof resultPartSchema>;
export type ServerTimes = z.infer<typeof serverTimesSchema>;
export type SlowRequest = z.infer<typeof slowRequestSchema>;
export type ServerTiming = z.infer<typeof serverTimingSchema>;
export type AutoscaleRecord = z.infer<typeof autoscaleSchema>;
export type CapacityRecord = z.infer<typeof capacitySchema>;
export type ServedModel = z.infer<typeof servedModelSchema>;

/** Parses a results file's JSON; the error names the file and the fields that are wrong. */
export function parseResult(json: unknown, origin = "results"): LoadTestResult {
  const parsed = loadTestResultSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(top level)"}: ${i.message}`);
    throw new Error(
      `${origin} is not a load-test results file (${problems.join("; ")}). Pass files written by \`fleet load\`, \`fleet merge\` or the k6 script.`,
    );
  }
  return parsed.data;
}
