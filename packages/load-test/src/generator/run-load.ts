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
// Here: the set-up and the result. The options and their checks are in load-options.ts, each server's pool in
// target-pools.ts, and the sending (state, closed-loop workers, the open loop) in load-run.ts.
import { performance } from "node:perf_hooks";
import type { ResultRecorder } from "../recorder.js";
import type { LoadTestResult, ServerInfo } from "../results.js";
import { validateLoadOptions, type LoadProgress, type RunLoadOptions } from "./load-options.js";
import { LoadRun, type LoadLimits } from "./load-run.js";
import { probeServers } from "./probe-servers.js";
import { scrapeServerTotals, serverTimesBetween } from "./server-times.js";

export type { LoadProgress, RunLoadOptions } from "./load-options.js";

function isOpenLoop(options: RunLoadOptions): boolean {
  return options.mode === "rate" || options.mode === "ramp";
}

function limitsOf(options: RunLoadOptions): LoadLimits {
  return {
    concurrency: options.concurrency ?? (isOpenLoop(options) ? 256 : options.mode === "bmk" ? 8 : 1),
    timeoutMs: options.timeoutMs ?? 10_000,
    durationMs: (options.durationSeconds ?? (options.maxRequests ? Infinity : 30)) * 1000,
    maxRequests: options.maxRequests ?? Infinity,
    warmupSeconds: options.warmupSeconds ?? 0,
  };
}

/** When the n-th open-loop request is due (ms after the start); undefined for a closed loop. */
function dueSchedule(options: RunLoadOptions, limits: LoadLimits): ((n: number) => number) | undefined {
  if (options.mode === "ramp") return rampSchedule(options.rampFrom!, options.rampTo!, limits.durationMs / 1000);
  if (options.mode === "rate") return openLoopSchedule(options.rate!, limits.warmupSeconds);
  return undefined;
}

type ServerTotals = ReturnType<typeof scrapeServerTotals>;

/** The servers' own counters, read when the measured window starts (after the warm-up) and when it ends. */
function scrapeMeasuredWindow(options: RunLoadOptions, warmupSeconds: number): { before: () => ServerTotals | undefined; cancel: () => void } {
  let before: ServerTotals | undefined;
  const timer =
    options.serverMetrics === false || options.loadTargets ? undefined : setTimeout(() => (before = scrapeServerTotals(options.targets)), warmupSeconds * 1000);
  return { before: () => before, cancel: () => clearTimeout(timer) };
}

/** Runs one load test and resolves with its result once it stops (duration, request cap or abort). */
export async function runLoad(options: RunLoadOptions): Promise<LoadTestResult> {
  validateLoadOptions(options);
  const limits = limitsOf(options);
  // Asked before the load starts, so the answers cost the load nothing.
  const servers = options.servers ?? (await probeServers(options.targets, options.models, { routing: options.routing, signal: options.signal }));
  const run = new LoadRun(options, limits);
  const window = scrapeMeasuredWindow(options, limits.warmupSeconds);
  // Closed loop: a worker waiting for an answer is stopped by this timer. The open loop ends by
  // itself once the next request would be due after the deadline, so requests that came due while
  // its timer was late still go out (and count their lateness).
  const deadline = isOpenLoop(options) ? undefined : setTimeout(() => run.stopSending(), Math.min(limits.durationMs, 2 ** 31 - 1));
  const onAbort = () => run.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  const progressEvery = options.progressIntervalMs ?? 1000;
  const progress = options.onProgress ? reportProgress(run.recorder, run, options.onProgress, progressEvery) : undefined;
  try {
    await run.run(dueSchedule(options, limits));
  } finally {
    clearTimeout(deadline);
    if (progress) clearInterval(progress);
    options.signal?.removeEventListener("abort", onAbort);
    await run.targets.destroy();
  }
  const endMs = run.epochOffset + performance.now();
  window.cancel();
  const totalsBefore = window.before();
  const serverTimes = totalsBefore && !run.aborted ? serverTimesBetween(options.targets, await totalsBefore, await scrapeServerTotals(options.targets)) : [];
  return finishResult(run, options, servers, serverTimes, endMs);
}

/** The result of a run that has stopped; marked interrupted when it was aborted. */
function finishResult(run: LoadRun, options: RunLoadOptions, servers: ServerInfo[], serverTimes: LoadTestResult["serverTimes"], endMs: number): LoadTestResult {
  const result = run.recorder.finish(
    {
      generator: "local",
      mode: options.mode,
      targets: [...run.targets.urls],
      models: options.models,
      labels: { generator: "local", ...options.labels },
      servers,
      ...(serverTimes && serverTimes.length > 0 ? { serverTimes } : {}),
      slowest: run.slowest.list(),
    },
    endMs,
  );
  return run.aborted ? { ...result, interrupted: true } : result;
}

function reportProgress(
  recorder: ResultRecorder,
  { startPerf, warmupEndPerf, epochOffset }: { startPerf: number; warmupEndPerf: number; epochOffset: number },
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
      measuredFromMs: recorder.measuredFromMs,
      atMs: epochOffset + now,
      series: () => recorder.series(),
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
