import type { MiddlewareHandler } from "hono";
import { HttpError, retryAfter } from "../http-error.js";

/** Answered with 503 + Retry-After (and the connection closed, its body unread) when the server's body budget is spent. */
class BodyBudgetError extends HttpError {
  readonly retryAfterSeconds = 1;
  constructor() {
    // Connection: close, so Node does not read the body it was refused room for.
    super("The server is reading as many request bodies as it has room for; retry in 1 s or add servers.", 503, {
      headers: { ...retryAfter(1), Connection: "close" },
      abandonsBody: true,
    });
  }
}

/**
 * The bytes of request bodies all connections together may hold at once (MAX_BODY_BYTES_IN_FLIGHT).
 * A request reserves its Content-Length (MAX_BODY_BYTES when chunked) before a byte of its body is
 * read, and gives it back when answered; one that does not fit is refused at once. So thousands of
 * slow uploads hold at most this much body memory, whatever the connection cap: a bound by design,
 * instead of hoping the allocator returns what they held (glibc kept ~550 MB after 3,000 left).
 */
export class BodyBudget {
  private reserved = 0;

  constructor(readonly maxBytes: number) {}

  get bytesInFlight(): number {
    return this.reserved;
  }

  /** Whether `bytes` more fit; a body alone always fits (MAX_BODY_BYTES bounds it), so a small budget never refuses everything. */
  tryReserve(bytes: number): boolean {
    if (this.reserved > 0 && this.reserved + bytes > this.maxBytes) return false;
    this.reserved += bytes;
    return true;
  }

  release(bytes: number): void {
    this.reserved = Math.max(0, this.reserved - bytes);
  }
}

/**
 * The bytes a request's body may take: its Content-Length, or `maxBodyBytes` when chunked (bodyLimit cuts it there);
 * 0 for a declared length over the limit, which bodyLimit refuses with 413 before reading it.
 */
function bodyBytes(contentLength: string | undefined, chunked: boolean, maxBodyBytes: number): number {
  if (chunked) return maxBodyBytes;
  const length = Number(contentLength);
  return Number.isSafeInteger(length) && length > 0 && length <= maxBodyBytes ? length : 0;
}

/** Middleware for routes that read a body, before the body limit: reserves the body's bytes for the request's life, or throws BodyBudgetError. */
export function reserveBody(budget: BodyBudget, maxBodyBytes: number): MiddlewareHandler {
  return async (c, next) => {
    const bytes = bodyBytes(c.req.header("content-length"), c.req.header("transfer-encoding") !== undefined, maxBodyBytes);
    if (bytes === 0) return next();
    if (!budget.tryReserve(bytes)) throw new BodyBudgetError();
    try {
      await next();
    } finally {
      budget.release(bytes);
    }
  };
}
