import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, modelSchema, serverSchema, type ConfigProblem } from "@inference-fleet/fleet-config";
import { z } from "zod";

/**
 * Everything the model server reads at start-up: the fleet-config fields it shares with the fleet
 * (same names, limits and defaults) plus the settings only a running server has. `threads` (ONNX
 * Runtime intra-op threads per session) and `inferenceWorkers` (worker threads holding the sessions;
 * 0 keeps them on the main thread) stay undefined unless set: serverConcurrency derives them from the
 * CPU budget at start-up.
 */
export const serverSettingsSchema = serverSchema
  .pick({
    numModels: true,
    threads: true,
    inferenceWorkers: true,
    maxBatch: true,
    maxQueueDelayMs: true,
    maxQueue: true,
    requestTimeoutMs: true,
    separateSessions: true,
    postprocess: true,
    port: true,
  })
  .extend({
    /** Model directory: local path, s3://bucket/prefix or https:// URL (MODEL_DIR or MODEL_SOURCE). */
    modelSource: modelSchema.shape.source,
    /** Longest token sequence; defaults to model.json's maxSequenceLength, else 128. */
    maxSeqLength: modelSchema.shape.maxSeqLength.optional(),
    padding: modelSchema.shape.padding,
    /** No per-request log lines (start-up, errors and shutdown are still logged). */
    quiet: z.boolean().default(false),
    /** ONNX Runtime execution providers in order of preference; cpu is always the fallback. */
    executionProviders: z
      .array(z.enum(["cpu", "cuda"]))
      .min(1)
      .default(["cpu"]),
    /** Where s3:// and https:// model sources are cached (a writable emptyDir in a read-only container). */
    cacheDir: z.string().min(1).default(join(tmpdir(), "inference-fleet-models")),
    /** After SIGTERM, how long in-flight requests may take before the process exits anyway. */
    drainTimeoutMs: z.int().min(0).max(600_000).default(20_000),
    /** Interface to listen on. */
    host: z.string().min(1).default("0.0.0.0"),
    /** Serve /metrics on this port (bound to metricsHost) instead of the public port; unset keeps it on the public port. */
    metricsPort: z.int().min(1).max(65535).optional(),
    metricsHost: z.string().min(1).default("127.0.0.1"),
    /** Serve the health routes also on this port (on HOST), outside the public port's connection cap: point probes here. */
    healthPort: z.int().min(1).max(65535).optional(),
    /** Repository mode: a local dir or s3://bucket/prefix whose subdirectories are models, loaded on first request (MODEL_DIR is then unused). */
    modelRepo: z.string().min(1).optional(),
    /** Repository mode: resident models' model.onnx megabytes stay under this; least recently used models are unloaded. */
    maxResidentMb: modelSchema.shape.repository.unwrap().shape.maxResidentMb,
    /** Repository mode: this server serves the models that shardOwner assigns to serverIndex of numServers. */
    serverIndex: z.int().min(0).max(999).default(0),
    numServers: serverSchema.shape.numServers,
    /** Largest request body; larger ones get 413 before they are read into memory. */
    maxBodyBytes: z
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(256 * 1024),
    /**
     * Request bodies' bytes all connections together may hold while being read (each reserves its Content-Length, MAX_BODY_BYTES
     * when chunked); a request that does not fit gets 503 + Retry-After before its body is read, so slow uploads cannot pile up memory.
     */
    maxBodyBytesInFlight: z
      .int()
      .min(64 * 1024)
      .max(4 * 1024 ** 3)
      .default(32 * 1024 * 1024),
    /** Fetching an s3:// or https:// model: how long to wait for the store to answer (connect, and the response's headers) before giving up. */
    modelFetchConnectTimeoutMs: z.int().min(100).max(600_000).default(10_000),
    /** Fetching an s3:// or https:// model: the longest pause between bytes of a file before giving up. */
    modelFetchReadTimeoutMs: z.int().min(100).max(3_600_000).default(30_000),
    /** Tests only: while this file exists, inference runs wait (as a slow model would), so tests can hold requests queued. */
    testHoldInferenceFile: z.string().min(1).optional(),
    /** A request's headers must arrive within this; slower connections are closed with 408 (Node's default is 60 s). */
    headersTimeoutMs: z.int().min(1000).max(600_000).default(10_000),
    /** After its headers, a request's body must arrive within this (a 256 KB body needs milliseconds; a withheld last byte holds memory). */
    bodyTimeoutMs: z.int().min(1000).max(600_000).default(20_000),
    /** Open connections this server accepts; more are refused (and logged) so slow clients cannot pile up memory. */
    maxConnections: z.int().min(16).max(1_000_000).default(2048),
  });

export type ServerSettings = z.output<typeof serverSettingsSchema>;
export type ServerSettingsInput = z.input<typeof serverSettingsSchema>;

/** The environment variable of each setting (MODEL_SOURCE is also accepted for modelSource). */
export const SETTINGS_ENV: Readonly<Record<keyof ServerSettings, string>> = {
  modelSource: "MODEL_DIR",
  numModels: "NUM_MODELS",
  port: "PORT",
  threads: "THREADS",
  maxBatch: "MAX_BATCH",
  maxQueueDelayMs: "MAX_QUEUE_DELAY_MS",
  maxQueue: "MAX_QUEUE",
  requestTimeoutMs: "REQUEST_TIMEOUT_MS",
  maxSeqLength: "MAX_SEQ_LENGTH",
  padding: "PADDING",
  separateSessions: "SEPARATE_SESSIONS",
  postprocess: "POSTPROCESS",
  quiet: "QUIET",
  executionProviders: "EXECUTION_PROVIDERS",
  cacheDir: "CACHE_DIR",
  drainTimeoutMs: "DRAIN_TIMEOUT_MS",
  host: "HOST",
  metricsPort: "METRICS_PORT",
  metricsHost: "METRICS_HOST",
  healthPort: "HEALTH_PORT",
  maxBodyBytes: "MAX_BODY_BYTES",
  maxBodyBytesInFlight: "MAX_BODY_BYTES_IN_FLIGHT",
  modelRepo: "MODEL_REPO",
  maxResidentMb: "MAX_RESIDENT_MB",
  serverIndex: "SERVER_INDEX",
  numServers: "NUM_SERVERS",
  inferenceWorkers: "INFERENCE_WORKERS",
  headersTimeoutMs: "HEADERS_TIMEOUT_MS",
  bodyTimeoutMs: "BODY_TIMEOUT_MS",
  maxConnections: "MAX_CONNECTIONS",
  modelFetchConnectTimeoutMs: "MODEL_FETCH_CONNECT_TIMEOUT_MS",
  modelFetchReadTimeoutMs: "MODEL_FETCH_READ_TIMEOUT_MS",
  testHoldInferenceFile: "TEST_HOLD_INFERENCE_FILE",
};

const BOOLEAN_WORDS: Record<string, boolean> = { true: true, "1": true, yes: true, false: false, "0": false, no: false };

/** Turns an environment string into what its schema field expects, leaving anything unrecognisable for zod to reject by name. */
function fromEnvString(key: keyof ServerSettings, raw: string): unknown {
  const shape = serverSettingsSchema.shape[key];
  const probe = (value: unknown) => shape.safeParse(value).success;
  const trimmed = raw.trim();
  if (key === "executionProviders")
    return trimmed
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean);
  const asBoolean = BOOLEAN_WORDS[trimmed.toLowerCase()];
  if (asBoolean !== undefined && probe(asBoolean)) return asBoolean;
  if (/^-?\d+(\.\d+)?$/.test(trimmed) && !probe(trimmed)) return Number(trimmed);
  return trimmed;
}

/**
 * Builds the server's settings from command-line values (already typed or strings) over environment
 * variables over defaults; throws ConfigError naming each bad field, its value and what is allowed.
 */
export type SettingsFlags = Partial<Record<keyof ServerSettings, unknown>>;

/** The command-line name of a setting where a CLI has one (e.g. modelSource: "--model-dir"): errors then name what the user typed. */
export type SettingsFlagNames = Partial<Record<keyof ServerSettings, string>>;

export function resolveServerSettings(options: { env?: NodeJS.ProcessEnv; flags?: SettingsFlags; flagNames?: SettingsFlagNames } = {}): ServerSettings {
  const env = options.env ?? {};
  const input: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(SETTINGS_ENV) as Array<[keyof ServerSettings, string]>) {
    const raw = env[name] ?? (key === "modelSource" ? env["MODEL_SOURCE"] : undefined);
    if (raw !== undefined && raw !== "") input[key] = fromEnvString(key, raw);
  }
  for (const [key, value] of Object.entries(options.flags ?? {}) as Array<[keyof ServerSettings, unknown]>) {
    if (value === undefined) continue;
    input[key] = typeof value === "string" ? fromEnvString(key, value) : value;
  }
  const result = serverSettingsSchema.safeParse(input);
  if (result.success && result.data.serverIndex >= result.data.numServers) {
    throw new ConfigError("model server settings", [
      {
        path: "serverIndex (SERVER_INDEX)",
        value: result.data.serverIndex,
        message: `must be less than numServers (NUM_SERVERS) ${result.data.numServers}: shards are numbered 0 to ${result.data.numServers - 1}`,
      },
    ]);
  }
  if (result.success) return result.data;
  const problems: ConfigProblem[] = result.error.issues.map((issue) => {
    const key = issue.path[0] as keyof ServerSettings | undefined;
    const flag = key && options.flags?.[key] !== undefined ? options.flagNames?.[key] : undefined;
    const name = flag ? `${flag} (${String(key)})` : key && SETTINGS_ENV[key] ? `${String(key)} (${SETTINGS_ENV[key]})` : issue.path.join(".");
    return { path: name, value: key ? input[key] : undefined, message: issue.message };
  });
  throw new ConfigError("model server settings", problems);
}
