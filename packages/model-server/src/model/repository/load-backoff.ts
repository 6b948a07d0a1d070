/** Why a model failed to load as clients see it, when it may be tried again, and how many tries failed in a row. */
export interface LoadFailure {
  readonly reason: string;
  readonly retryAt: number;
  readonly attempts: number;
}

const MAX_BACKOFF_MS = 60_000;

/**
 * Why a model failed to load, as clients see it: never the file path or ONNX Runtime's message (the
 * server log has both, from onLoadFailed), only what kind of problem it was and where to look.
 */
export const LOAD_FAILED_REASON = "its files are missing or not a model this server can load; the server log names the file and the cause.";

/** The failure after `previous`: the wait doubles per failure from `firstWaitMs`, up to 60 s. */
export function nextFailure(previous: LoadFailure | undefined, firstWaitMs: number, now = Date.now()): LoadFailure & { waitMs: number } {
  const attempts = (previous?.attempts ?? 0) + 1;
  const waitMs = Math.min(firstWaitMs * 2 ** (attempts - 1), MAX_BACKOFF_MS);
  return { reason: LOAD_FAILED_REASON, retryAt: now + waitMs, attempts, waitMs };
}

/** Seconds until a failed model may be tried again (for Retry-After), or undefined once it may. */
export function secondsUntilRetry(failure: LoadFailure | undefined, now = Date.now()): number | undefined {
  if (failure === undefined || now >= failure.retryAt) return undefined;
  return Math.ceil((failure.retryAt - now) / 1000);
}
