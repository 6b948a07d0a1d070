// The one error pipeline: every error the app throws becomes the contract's JSON. An HttpError (or Hono's own
// HTTPException under 500) carries its status and headers; anything else is a logged 500 with no stack on the wire.
import type { Context, ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { HttpError } from "../http-error.js";
import { ClientClosedError } from "../inference/batch-queue.js";
import type { AppDeps } from "./app.js";
import { bytesRead, clientClosed, pauseReading } from "./connection.js";

/** nginx's "client closed request": counted apart from the 5xx an SLO alarm watches. */
export const CLIENT_CLOSED = 499;

const GENERIC_500 = "The server failed to answer this request; it has been logged. Retry, and if it keeps failing check the server log.";

/** The seed-compatible routes answer errors as the AWS sample does ({"detail": ...}); the rest as the Open Inference Protocol ({"error": ...}). */
export function errorJson(c: Context, status: number, message: string, headers?: Readonly<Record<string, string>>): Response {
  const key = c.req.path.startsWith("/predictions/") ? "detail" : "error";
  return c.json({ [key]: message }, status as 400, headers as Record<string, string> | undefined);
}

/** The HttpError an error is answered as; undefined for anything unexpected (a 500). */
function asHttpError(error: Error): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof HTTPException && error.status < 500) return new HttpError(error.message || "The request could not be read.", error.status);
  return undefined;
}

/** app.onError: a client that left gets 499; an HttpError its own answer; anything else a logged 500. */
export function errorResponse(deps: Pick<AppDeps, "errorLog" | "onBodyAbandoned">): ErrorHandler {
  return (error, c) => {
    if (clientClosed(c)) {
      deps.onBodyAbandoned?.(bytesRead(c));
      // The client hung up (or a read timeout cut it) before sending its whole request: its own outcome, not a server error.
      deps.errorLog.info({ method: c.req.method, path: c.req.path }, "client closed the connection before its request was complete");
      return new Response(null, { status: CLIENT_CLOSED });
    }
    // Dropped from the batch queue uncomputed: nobody is there to read an answer.
    if (error instanceof ClientClosedError) return new Response(null, { status: CLIENT_CLOSED });
    const answer = asHttpError(error);
    if (answer === undefined) {
      deps.errorLog.error({ err: error, method: c.req.method, path: c.req.path }, "request failed");
      return errorJson(c, 500, GENERIC_500);
    }
    if (answer.pauseReadingMs !== undefined) pauseReading(c, answer.pauseReadingMs);
    // What Node read of a refused body before the refusal (up to ~64 KB a connection) is garbage now: after a burst, collected at once.
    if (answer.abandonsBody) deps.onBodyAbandoned?.(bytesRead(c));
    return errorJson(c, answer.status, answer.message, answer.headers);
  };
}
