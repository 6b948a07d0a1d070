import { serveFromEnvironment, serverSettingsSchema, type SettingsFlagNames, type SettingsFlags } from "@inference-fleet/model-server";
import { defineCommand, UsageError } from "../command.js";

const flag = (description: string, valueName?: string) => ({ type: "string" as const, description, ...(valueName ? { valueName } : {}) });

/** Where the server looks when neither --model-dir, MODEL_DIR nor --model-repo says (relative to the current directory). */
const DEFAULT_MODEL_DIR = serverSettingsSchema.shape.modelSource.parse(undefined);

/** Each setting's option, so a bad value is reported under the name the user typed. */
const FLAG_NAMES: SettingsFlagNames = {
  modelRepo: "--model-repo",
  maxResidentMb: "--max-resident-mb",
  serverIndex: "--shard",
  numServers: "--shard",
  modelSource: "--model-dir",
  numModels: "--num-models",
  port: "--port",
  host: "--host",
  threads: "--threads",
  padding: "--padding",
  maxBatch: "--max-batch",
  maxQueueDelayMs: "--max-queue-delay-ms",
  maxQueue: "--max-queue",
  maxSeqLength: "--max-seq-length",
  separateSessions: "--separate-sessions",
  metricsPort: "--metrics-port",
  quiet: "--quiet",
  inferenceWorkers: "--inference-workers",
};

export const serve = defineCommand({
  path: ["serve"],
  summary: "Run the model server (the same entry as the container's) on this machine.",
  details: `Every option can also come from the environment variable in brackets (options win). Examples:
  npx fleet serve --model-dir models/bert-qa-tiny --num-models 4
  npx fleet serve --model-dir s3://my-bucket/models/bert-qa-tiny --max-batch 8 --max-queue-delay-ms 2
  npx fleet serve --model-repo models/many --max-resident-mb 900 --shard 0/2
Stops on Ctrl-C or SIGTERM after the requests in flight finish.`,
  options: {
    "model-dir": flag(
      `Model directory: local path, s3://bucket/prefix or https:// URL [MODEL_DIR] (default ${DEFAULT_MODEL_DIR}, from npx fleet model generate).`,
      "DIR",
    ),
    "num-models": flag("Copies of the model, named model0..model{N-1} [NUM_MODELS].", "N"),
    port: flag("Port to listen on [PORT] (default 8080).", "P"),
    host: flag("Interface to listen on [HOST] (default 0.0.0.0).", "HOST"),
    threads: flag("ONNX Runtime intra-op threads per session [THREADS].", "T"),
    padding: flag("dynamic (pad to the longest in a batch) or fixed (to max sequence length) [PADDING].", "MODE"),
    "max-batch": flag("Largest batch; 1 turns batching off [MAX_BATCH].", "B"),
    "max-queue-delay-ms": flag("How long a batch waits for more requests [MAX_QUEUE_DELAY_MS].", "D"),
    "max-queue": flag("Waiting requests per session before 503 [MAX_QUEUE].", "N"),
    "max-seq-length": flag("Longest token sequence; contexts are truncated to fit [MAX_SEQ_LENGTH].", "N"),
    "separate-sessions": { type: "boolean", description: "One ONNX Runtime session per copy instead of one shared [SEPARATE_SESSIONS]." },
    "metrics-port": flag("Serve /metrics on this port (on 127.0.0.1) instead of the public port [METRICS_PORT].", "P"),
    quiet: { type: "boolean", description: "No log line per request [QUIET]." },
    "model-repo": flag("Repository mode: a dir or s3://bucket/prefix of model subdirectories, loaded on first request [MODEL_REPO].", "DIR"),
    "max-resident-mb": flag("Repository mode: resident model megabytes before the least recently used are unloaded [MAX_RESIDENT_MB].", "MB"),
    shard: flag("Repository mode: serve shard i of n, e.g. 0/2 [SERVER_INDEX, NUM_SERVERS].", "I/N"),
    "inference-workers": flag("Worker threads that run ONNX Runtime, 0 for the main thread [INFERENCE_WORKERS] (default 1 with 2+ CPUs, else 0).", "N"),
  },
  async run({ values }) {
    const shard = values.shard === undefined ? undefined : /^(\d+)\/(\d+)$/.exec(values.shard);
    if (values.shard !== undefined && !shard)
      throw new UsageError(`--shard must look like 0/2 (this server's index / the number of servers), got ${JSON.stringify(values.shard)}.`);
    const flags: SettingsFlags = {
      modelRepo: values["model-repo"],
      maxResidentMb: values["max-resident-mb"],
      serverIndex: shard?.[1],
      numServers: shard?.[2],
      modelSource: values["model-dir"],
      numModels: values["num-models"],
      port: values.port,
      host: values.host,
      threads: values.threads,
      padding: values.padding,
      maxBatch: values["max-batch"],
      maxQueueDelayMs: values["max-queue-delay-ms"],
      maxQueue: values["max-queue"],
      maxSeqLength: values["max-seq-length"],
      separateSessions: values["separate-sessions"],
      metricsPort: values["metrics-port"],
      quiet: values.quiet,
      inferenceWorkers: values["inference-workers"],
    };
    const env = process.env;
    if (flags.modelSource === undefined && flags.modelRepo === undefined && !env["MODEL_DIR"] && !env["MODEL_SOURCE"] && !env["MODEL_REPO"]) {
      console.error(`fleet serve: no --model-dir (MODEL_DIR) given: serving ${DEFAULT_MODEL_DIR} (the default).`);
    }
    const server = await serveFromEnvironment(flags, env, FLAG_NAMES);
    if (!server) return 1;
    // Keep running until a signal stops the process (serveProcess exits it after draining).
    return new Promise<number>(() => {});
  },
});
