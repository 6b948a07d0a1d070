import { Transform } from "node:stream";
import { ModelLoadError } from "../load-model.js";

/** How long a remote model fetch may wait (MODEL_FETCH_CONNECT_TIMEOUT_MS, MODEL_FETCH_READ_TIMEOUT_MS). */
export interface FetchTimeouts {
  /** For the store to answer: connect, send the request, and get the response's headers. */
  readonly connectTimeoutMs: number;
  /** The longest pause between two chunks of a file's bytes. */
  readonly readTimeoutMs: number;
}

export const DEFAULT_FETCH_TIMEOUTS: FetchTimeouts = { connectTimeoutMs: 10_000, readTimeoutMs: 30_000 };

/** A progress line at most this often while waiting or downloading. */
const PROGRESS_MS = 5000;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Starts a remote request with an abort signal and waits for its answer (the response's headers) at most
 * connectTimeoutMs. While it waits, a line every few seconds says what it waits for and for how long; at the
 * deadline the request is aborted and a ModelLoadError names the URL and the time waited. Before this, a
 * model URL that accepted the connection and never answered held start-up silently for minutes.
 */
export async function awaitAnswer<T>(
  url: string,
  timeouts: FetchTimeouts,
  log: (message: string) => void,
  start: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { connectTimeoutMs } = timeouts;
  const controller = new AbortController();
  const started = performance.now();
  const every = Math.min(PROGRESS_MS, connectTimeoutMs / 2);
  const progress = setInterval(() => {
    const waited = seconds(performance.now() - started);
    log(`Still waiting for ${url} to answer: ${waited} so far; giving up at ${seconds(connectTimeoutMs)} (MODEL_FETCH_CONNECT_TIMEOUT_MS).`);
  }, every);
  let deadline: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    deadline = setTimeout(() => {
      const waited = performance.now() - started;
      const error = new ModelLoadError(
        `${url} did not answer within ${seconds(waited)} (MODEL_FETCH_CONNECT_TIMEOUT_MS=${connectTimeoutMs}); check that the URL is right and reachable ` +
          "from here (network policy, proxy, endpoint), or raise the timeout for a slow store.",
      );
      controller.abort(error);
      reject(error);
    }, connectTimeoutMs);
  });
  try {
    // The race also ends a fetcher that does not honour its signal.
    return await Promise.race([start(controller.signal), timedOut]);
  } catch (error) {
    throw controller.signal.aborted ? controller.signal.reason : error;
  } finally {
    clearInterval(progress);
    clearTimeout(deadline);
  }
}

/**
 * A pass-through for a file's bytes that fails the download when no byte arrives for readTimeoutMs (naming the
 * URL, the bytes so far and the time waited), and logs progress every few seconds while bytes flow.
 */
export function readDeadline(url: string, timeouts: FetchTimeouts, log: (message: string) => void, expectedBytes: number | undefined): Transform {
  const { readTimeoutMs } = timeouts;
  const started = performance.now();
  let bytes = 0;
  let lastChunk = started;
  let lastReport = started;
  const of = expectedBytes === undefined ? "" : ` of ${expectedBytes}`;
  const stream: Transform = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      lastChunk = performance.now();
      if (lastChunk - lastReport >= PROGRESS_MS) {
        lastReport = lastChunk;
        log(`Fetching ${url}: ${bytes}${of} bytes in ${seconds(lastChunk - started)}.`);
      }
      callback(null, chunk);
    },
    flush(callback) {
      clearInterval(watch);
      callback();
    },
    destroy(error, callback) {
      clearInterval(watch);
      callback(error);
    },
  });
  const watch = setInterval(
    () => {
      const idle = performance.now() - lastChunk;
      if (idle < readTimeoutMs) return;
      clearInterval(watch);
      stream.destroy(
        new ModelLoadError(
          `${url} sent no data for ${seconds(idle)} after ${bytes}${of} bytes (MODEL_FETCH_READ_TIMEOUT_MS=${readTimeoutMs}); the store or the ` +
            "network stalled: start again, or raise the timeout for a slow link.",
        ),
      );
    },
    Math.max(10, Math.min(1000, readTimeoutMs / 10)),
  );
  return stream;
}
