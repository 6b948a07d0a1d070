// The local load generator: the k6 script's semantics in Node, over undici keep-alive pools.
// Closed loop (seq, rnd, bmk): `concurrency` workers, each sends its next request when the last
// one is answered. Open loop (rate): requests are due at fixed intervals whether or not earlier
// ones were answered, and latency is measured from when a request was due, not when it went
// out, so a slow server cannot hide its queueing (no coordinated omission). The warm-up is load
// like the rest, but what finishes during it counts nowhere (see ResultRecorder).
// It never flatters: a request succeeds only when its status is 2xx and its body arrives whole and
// parses as the route's answer (see ../answer.ts); latency percentiles are of successes; a server
// that refuses connections is backed off from (see ConnectBackoff), not hammered.
// Every request carries a W3C traceparent; the slowest successes are kept with the breakdown their server
// returned in Server-Timing (queue, inference, batch), so the report can name them.
// Ramp (open loop): the rate rises linearly from rampFrom to rampTo over the duration. With `loadTargets` the
// servers may change during an open-loop run (fleet local --autoscale): each request goes to the server taking
// load now with the fewest requests in flight; a draining server gets no new ones.
import { performance } from "node:perf_hooks";
import { Pool, type Dispatcher } from "undici";
import { createPicker, type ModelDistribution, type ModelRouting } from "../choice.js";
import { ResultRecorder } from "../recorder.js";
import { buildRequest, type RequestMethod, type RequestTexts } from "../request.js";
import type { LoadMode, LoadTestResult, ServerInfo } from "../results.js";
import { requestAnswer, type AnswerMeta } from "./answer-handler.js";
import { ConnectBackoff } from "./backoff.js";
import { LoadTargets } from "./load-targets.js";
import { probeServers } from "./probe-servers.js";
import { SlowestRequests } from "../slowest.js";
import { parseServerTiming, traceIds } from "../trace.js";
import { scrapeServerTotals, serverTimesBetween } from "./server-times.js";

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
}

function validate(options: RunLoadOptions): void {
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

/** Runs one load test and resolves with its result once it stops (duration, request cap or abort). */
export async function runLoad(options: RunLoadOptions): Promise<LoadTestResult> {
  validate(options);
  const open = options.mode === "rate" || options.mode === "ramp";
  const concurrency = options.concurrency ?? (open ? 256 : options.mode === "bmk" ? 8 : 1);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const durationMs = (options.durationSeconds ?? (options.maxRequests ? Infinity : 30)) * 1000;
  const maxRequests = options.maxRequests ?? Infinity;
  const warmupSeconds = options.warmupSeconds ?? 0;
  // Asked before the load starts, so the answers cost the load nothing.
  const servers = options.servers ?? (await probeServers(options.targets, options.models, { routing: options.routing, signal: options.signal }));

  const loadTargets = options.loadTargets;
  // Per target (by its index in `targets`, which only grows): its pool, request options and backoff.
  const targets: string[] = [];
  const targetIndex = new Map<string, number>();
  const pools: Pool[] = [];
  // Request options are built once per (server, model): per request only its traceparent is added.
  const requestOptions: Dispatcher.DispatchOptions[][] = [];
  const backoffs: ConnectBackoff[] = [];
  const indexOf = (target: string): number => {
    let index = targetIndex.get(target);
    if (index !== undefined) return index;
    index = targets.length;
    targets.push(target);
    targetIndex.set(target, index);
    pools.push(
      new Pool(new URL(target).origin, {
        connections: concurrency,
        pipelining: 1,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        keepAliveTimeout: 60_000,
      }),
    );
    requestOptions.push(
      options.models.map((model) => {
        const request = buildRequest(target, model, options.texts ? "POST" : options.method, options.texts);
        const url = new URL(request.url);
        return { path: url.pathname + url.search, method: request.method, headers: request.headers, body: request.body };
      }),
    );
    backoffs.push(new ConnectBackoff());
    return index;
  };
  for (const target of options.targets) indexOf(target);
  const pick = createPicker({
    targetCount: options.targets.length,
    modelCount: options.models.length,
    sequential: options.mode === "seq",
    distribution: options.distribution,
    zipfS: options.zipfS,
    routing: options.routing,
    models: options.models,
  });

  const epochOffset = performance.timeOrigin;
  const startPerf = performance.now();
  const recorder = new ResultRecorder(epochOffset + startPerf, warmupSeconds, { targets: pools.length, models: options.models.length });
  const slowest = new SlowestRequests();
  const traceOf = traceIds();
  // The servers' own counters are read when the measured window starts and when it ends.
  let totalsBefore: ReturnType<typeof scrapeServerTotals> | undefined;
  const scrapeTimer =
    options.serverMetrics === false || loadTargets ? undefined : setTimeout(() => (totalsBefore = scrapeServerTotals(options.targets)), warmupSeconds * 1000);

  const warmupEndPerf = startPerf + warmupSeconds * 1000;
  let issued = 0;
  let inFlight = 0;
  let sending = true;
  let aborted = false;
  let drained: () => void = () => {};
  const allDone = new Promise<void>((resolve) => (drained = resolve));

  const stopSending = () => {
    sending = false;
    if (inFlight === 0) drained();
  };
  const finishOne = () => {
    inFlight -= 1;
    if (!sending && inFlight === 0) drained();
  };
  // The cap counts measured requests: one in flight may still end in the warm-up and free its place.
  const canSend = () => recorder.requests + inFlight < maxRequests;
  const capReached = () => recorder.requests >= maxRequests || (!canSend() && performance.now() >= warmupEndPerf);

  /** Another server for a refused request: one taking load and not backed off from, else undefined. */
  const otherTarget = (refusedBy: number, now: number): number | undefined => {
    const candidates = loadTargets ? loadTargets.current().map(indexOf) : targets.map((_, i) => i);
    const ready = candidates.filter((i) => i !== refusedBy && backoffs[i]!.waitMs(now) === 0);
    return ready.length === 0 ? undefined : ready[Math.floor(Math.random() * ready.length)];
  };

  /** Sends request number `n` as `choice`; its latency counts from `dueAt` (performance.now() time). */
  const send = (choice: { target: number; model: number }, dueAt: number, n: number, retried = false): Promise<void> => {
    const { target, model } = choice;
    const url = targets[target]!;
    inFlight += 1;
    loadTargets?.started(url);
    const { traceId, traceparent } = traceOf(n);
    const base = requestOptions[target]![model]!;
    const reply: AnswerMeta = {};
    const request = { ...base, headers: { ...(base.headers as Record<string, string>), traceparent } };
    return requestAnswer(pools[target]!, request, reply).then((kind) => {
      const now = performance.now();
      if (kind === "connection") backoffs[target]!.failed(now);
      else backoffs[target]!.succeeded();
      loadTargets?.finished(url);
      const refused = kind === "connection" || (kind === "http_503" && loadTargets !== undefined && !loadTargets.has(url));
      const retryTo = options.retryRefused && !retried && refused && !aborted ? otherTarget(target, now) : undefined;
      if (retryTo !== undefined) {
        // Sent again before this one is let go, so the run cannot look drained in between.
        void send({ target: retryTo, model }, dueAt, n, true);
      } else if (!aborted) {
        if (kind !== null) recorder.recordError(kind, epochOffset + now, target, model);
        else if (recorder.recordSuccess(now - dueAt, epochOffset + now, target, model) && slowest.admits(now - dueAt)) {
          const server = parseServerTiming(reply.serverTiming);
          slowest.offer({ traceId, target: url, latencyMs: now - dueAt, at: new Date(epochOffset + now).toISOString(), ...(server ? { server } : {}) });
        }
      }
      finishOne();
    });
  };

  /**
   * Where request `n` goes: the picker's choice, or with changing servers the one taking load with the fewest requests
   * in flight (ties round-robin), as a load balancer's least-outstanding-requests rule: a server that just joined takes
   * load at once, and one that is behind gets less until it catches up.
   */
  const choose = (n: number): { target: number; model: number } => {
    const choice = pick(n, Math.random);
    if (!loadTargets) return choice;
    const current = loadTargets.current();
    let best = current[n % current.length]!;
    let fewest = loadTargets.inFlightTo(best);
    for (let k = 1; k < current.length && fewest > 0; k++) {
      const candidate = current[(n + k) % current.length]!;
      const inFlight = loadTargets.inFlightTo(candidate);
      if (inFlight < fewest) [best, fewest] = [candidate, inFlight];
    }
    return { target: indexOf(best), model: choice.model };
  };

  // The deadline is also checked in the loops: a late timer on a busy machine must not add requests.
  const endPerf = startPerf + durationMs;
  // A worker whose server is being backed off from waits (at most until the deadline), then picks again.
  const closedLoopWorker = async () => {
    while (sending && canSend()) {
      const now = performance.now();
      if (now >= endPerf) break;
      const choice = choose(issued);
      const wait = backoffs[choice.target]!.waitMs(now);
      if (wait > 0) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(wait, endPerf - now)));
        continue;
      }
      await send(choice, now, issued++);
    }
  };

  // A request due while its server is backed off from fails at once as a connection error: the
  // offered load still counts, but no connection is attempted.
  const sendOrRefuse = (due: number) => {
    const n = issued++;
    const choice = choose(n);
    if (backoffs[choice.target]!.waitMs(performance.now()) === 0) return void send(choice, due, n);
    const other = options.retryRefused ? otherTarget(choice.target, performance.now()) : undefined;
    if (other !== undefined) return void send({ target: other, model: choice.model }, due, n);
    if (!aborted) recorder.recordError("connection", epochOffset + performance.now(), choice.target, choice.model);
  };

  const openLoop = async () => {
    const dueAt =
      options.mode === "ramp" ? rampSchedule(options.rampFrom!, options.rampTo!, durationMs / 1000) : openLoopSchedule(options.rate!, warmupSeconds);
    while (sending && !capReached()) {
      const now = performance.now();
      let due = startPerf + dueAt(issued);
      if (due >= endPerf) break;
      while (due <= now && due < endPerf && sending && canSend()) {
        sendOrRefuse(due);
        due = startPerf + dueAt(issued);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
    }
  };

  // Closed loop: a worker waiting for an answer is stopped by this timer. The open loop ends by
  // itself once the next request would be due after the deadline, so requests that came due while
  // its timer was late still go out (and count their lateness).
  const deadline = open ? undefined : setTimeout(stopSending, Math.min(durationMs, 2 ** 31 - 1));
  const onAbort = () => {
    aborted = true;
    stopSending();
    drained();
    for (const pool of pools) void pool.destroy().catch(() => {});
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  const progressEvery = options.progressIntervalMs ?? 1000;
  const progress = options.onProgress ? reportProgress(recorder, { startPerf, warmupEndPerf }, options.onProgress, progressEvery) : undefined;

  try {
    const loops = open ? [openLoop()] : Array.from({ length: Math.min(concurrency, maxRequests) }, closedLoopWorker);
    await Promise.race([Promise.all(loops), allDone]);
    stopSending();
    await allDone;
  } finally {
    clearTimeout(deadline);
    if (progress) clearInterval(progress);
    options.signal?.removeEventListener("abort", onAbort);
    await Promise.all(pools.map((pool) => pool.destroy().catch(() => {})));
  }
  const endMs = epochOffset + performance.now();
  clearTimeout(scrapeTimer);
  const serverTimes = totalsBefore && !aborted ? serverTimesBetween(options.targets, await totalsBefore, await scrapeServerTotals(options.targets)) : [];
  const result = recorder.finish(
    {
      generator: "local",
      mode: options.mode,
      targets: [...targets],
      models: options.models,
      labels: { generator: "local", ...options.labels },
      servers,
      ...(serverTimes.length > 0 ? { serverTimes } : {}),
      slowest: slowest.list(),
    },
    endMs,
  );
  return aborted ? { ...result, interrupted: true } : result;
}

function reportProgress(
  recorder: ResultRecorder,
  { startPerf, warmupEndPerf }: { startPerf: number; warmupEndPerf: number },
  onProgress: (p: LoadProgress) => void,
  intervalMs: number,
): NodeJS.Timeout {
  let lastRequests = 0;
  let lastAt = startPerf;
  const timer = setInterval(() => {
    const now = performance.now();
    onProgress({
      elapsedSeconds: (now - startPerf) / 1000,
      requests: recorder.requests,
      requestsPerSecond: ((recorder.requests - lastRequests) * 1000) / (now - lastAt),
      p90Ms: recorder.histogram.percentile(90),
      errors: recorder.errorCount,
      warmingUp: now < warmupEndPerf,
    });
    lastRequests = recorder.requests;
    lastAt = now;
  }, intervalMs);
  timer.unref();
  return timer;
}

/**
 * When the n-th open-loop request is due (ms after the start): the rate ramps linearly from a tenth of `rate` to
 * `rate` over the warm-up, then holds. A fresh fleet hit at full rate from its first second falls behind while its
 * code and sessions warm up (measured here: 12 s of backlog, p90 1.7 s, at a rate the same fleet held at 14 ms once
 * warm), and that backlog, not the rate, would be measured.
 */
export function openLoopSchedule(rate: number, warmupSeconds: number): (n: number) => number {
  if (!(warmupSeconds > 0)) return (n) => (n * 1000) / rate;
  const start = rate / 10;
  const a = (rate - start) / (2 * warmupSeconds); // requests due by t (s) in the warm-up: start*t + a*t^2
  const duringWarmup = start * warmupSeconds + a * warmupSeconds * warmupSeconds;
  return (n) => {
    if (n >= duringWarmup) return (warmupSeconds + (n - duringWarmup) / rate) * 1000;
    return ((-start + Math.sqrt(start * start + 4 * a * n)) / (2 * a)) * 1000;
  };
}

/**
 * When the n-th request of a ramp is due (ms after the start): the rate rises linearly from `from` to `to` (req/s) over
 * `durationSeconds`, so by t seconds from*t + (to-from)*t^2/(2*duration) requests are due.
 */
export function rampSchedule(from: number, to: number, durationSeconds: number): (n: number) => number {
  const slope = (to - from) / durationSeconds;
  if (Math.abs(slope) < 1e-9) return (n) => (n * 1000) / from;
  return (n) => ((-from + Math.sqrt(Math.max(0, from * from + 2 * slope * n))) / slope) * 1000;
}
