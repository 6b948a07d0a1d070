// What runLoad is asked to do, and the checks that refuse a run that could not mean anything.
import type { ModelDistribution, ModelRouting } from "../choice.js";
import type { RequestMethod, RequestTexts } from "../request.js";
import type { LoadMode, ServerInfo } from "../results.js";
import type { LoadTargets } from "./load-targets.js";
import type { SeriesPoint } from "../results.js";

export interface RunLoadOptions {
  /** Base URLs of the model servers, e.g. http://127.0.0.1:8080. */
  targets: string[];
  models: string[];
  mode: LoadMode;
  /** Closed loop: requests in flight at once (default 1 for seq and rnd, 8 for bmk). Open loop: connections per server (default 256). */
  concurrency?: number;
  /** Open loop (mode rate): requests per second. */
  rate?: number;
  /** Ramp (open loop): the rate at the start and at the end of the duration (req/s); it rises linearly between. */
  rampFrom?: number;
  rampTo?: number;
  /**
   * Open loop only: the servers to spread the load over as they change during the run (`targets` must be its initial
   * servers). Servers' own /metrics totals are not scraped then (servers come and go).
   */
  loadTargets?: LoadTargets;
  /**
   * Send a request again, once, to another server when its server refused it: no connection at all, or a 503 from a
   * server that left the load (draining). It is counted once, by its final outcome, with its latency from when it was due.
   */
  retryRefused?: boolean;
  /** Stop sending after this long, warm-up included (default 30 s unless maxRequests is set). */
  durationSeconds?: number;
  /** The first seconds of the run: load is sent, but nothing that finishes in them counts (default 0). */
  warmupSeconds?: number;
  /** Stop once this many requests have finished after the warm-up. */
  maxRequests?: number;
  /** A request with no answer after this long counts as a timeout (default 10 s). */
  timeoutMs?: number;
  method?: RequestMethod;
  /** POST bodies: a pair (seq_0 + seq_1, the default) or one sentence (seq_0); setting it sends POST. */
  texts?: RequestTexts;
  distribution?: ModelDistribution;
  zipfS?: number;
  /** shard: each request goes to the target that owns its model (targets in server-index order). */
  routing?: ModelRouting;
  labels?: Record<string, string>;
  /** Aborting stops at once: requests in flight are dropped and the result holds what had finished. */
  signal?: AbortSignal;
  onProgress?: (progress: LoadProgress) => void;
  progressIntervalMs?: number;
  /** What each server runs on, when the caller already asked (a capacity search asks once for all its steps). */
  servers?: ServerInfo[];
  /** Scrape each server's /metrics before and after for its queue vs inference time (default true). */
  serverMetrics?: boolean;
}

export interface LoadProgress {
  elapsedSeconds: number;
  requests: number;
  /** Requests finished per second since the previous report. */
  requestsPerSecond: number;
  p90Ms: number;
  errors: number;
  /** Still in the warm-up: the other fields stay at 0 until it ends. */
  warmingUp: boolean;
  /** Unix ms the measured window starts at (the result's startTime). */
  measuredFromMs: number;
  /** Unix ms of this report on the run's own clock (the one the series is filed by, which Date.now() can drift from). */
  atMs: number;
  /** The measured seconds so far, as the result's series will have them (built on each call). */
  series(): SeriesPoint[];
}

export function validateLoadOptions(options: RunLoadOptions): void {
  if (options.targets.length === 0) throw new Error("Give at least one target URL, e.g. --target http://127.0.0.1:8080.");
  if (options.models.length === 0) throw new Error("Give at least one model name, e.g. --models model0.");
  if (options.mode === "ramp" && !(options.rampFrom! > 0 && options.rampTo! > 0))
    throw new Error("Mode ramp needs the rates it rises from and to in requests per second, e.g. --ramp-from 20 --ramp-to 300.");
  if (options.mode === "ramp" && options.durationSeconds === undefined) throw new Error("Mode ramp needs a duration to ramp over, e.g. --duration 60.");
  if (options.mode !== "ramp" && (options.rampFrom !== undefined || options.rampTo !== undefined))
    throw new Error(`--ramp-from and --ramp-to apply to mode ramp only, not ${options.mode}.`);
  if (options.mode === "rate" && !(options.rate! > 0)) throw new Error("Mode rate needs a rate in requests per second, e.g. --rate 200.");
  if (options.loadTargets && options.mode !== "rate" && options.mode !== "ramp")
    throw new Error(`Servers that join and leave during a run need an open loop (mode rate or ramp), not ${options.mode}.`);
  if (options.loadTargets && options.routing === "shard")
    throw new Error("Servers that join and leave during a run cannot hold fixed shards of a repository: run repository mode without autoscaling.");
  if (options.mode !== "rate" && options.rate !== undefined)
    throw new Error(`--rate applies to mode rate only; mode ${options.mode} is closed loop and takes --concurrency.`);
  if (options.concurrency !== undefined && !(Number.isInteger(options.concurrency) && options.concurrency > 0))
    throw new Error(`Concurrency must be a positive whole number, got ${options.concurrency}.`);
  if (options.maxRequests !== undefined && !(Number.isInteger(options.maxRequests) && options.maxRequests > 0)) {
    throw new Error(`The request cap must be a positive whole number, got ${options.maxRequests}.`);
  }
  const warmup = options.warmupSeconds ?? 0;
  if (!(Number.isFinite(warmup) && warmup >= 0)) throw new Error(`The warm-up must be 0 or more seconds, got ${options.warmupSeconds}.`);
  if (options.durationSeconds !== undefined && warmup >= options.durationSeconds) {
    throw new Error(`The warm-up (${warmup} s) must be shorter than the duration (${options.durationSeconds} s), which includes it.`);
  }
  for (const target of options.targets) {
    const url = URL.parse(target);
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:"))
      throw new Error(`Target "${target}" is not an http(s) URL; write e.g. http://127.0.0.1:8080.`);
  }
}
