// One family of errors that know how the server answers them, as Hono's HTTPException does: the status, the
// headers and what the connection needs. The HTTP layer's onError answers any of them the same way; the code
// that throws one (the batch queue, the model repository, the tokenizer) needs no knowledge of Hono.

export interface HttpErrorOptions {
  /** Headers of the answer, e.g. Retry-After. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Stop reading from the connection this long (ms) after answering: an overloaded server stops taking more requests. */
  readonly pauseReadingMs?: number;
  /** The request's body is left unread (it was refused room): the server counts what it had read of it. */
  readonly abandonsBody?: boolean;
}

/** An error answered with `status` and its message (the contract's JSON), never a 500. */
export class HttpError extends Error {
  readonly headers: Readonly<Record<string, string>>;
  readonly pauseReadingMs: number | undefined;
  readonly abandonsBody: boolean;

  constructor(
    message: string,
    readonly status: number,
    options: HttpErrorOptions = {},
  ) {
    super(message);
    this.name = new.target.name;
    this.headers = options.headers ?? {};
    this.pauseReadingMs = options.pauseReadingMs;
    this.abandonsBody = options.abandonsBody ?? false;
  }
}

/** Overload answers: 503 with Retry-After. */
export const retryAfter = (seconds: number): Readonly<Record<string, string>> => ({ "Retry-After": String(seconds) });
