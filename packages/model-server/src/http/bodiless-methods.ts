import type { Context, MiddlewareHandler } from "hono";

/** The methods whose requests carry no body in this API. */
const BODILESS = new Set(["GET", "HEAD"]);

/** Whether the request announces a body: a Content-Length other than 0, or any Transfer-Encoding. */
function announcesBody(c: Context): boolean {
  const length = c.req.header("content-length");
  return c.req.header("transfer-encoding") !== undefined || (length !== undefined && length.trim() !== "0");
}

/**
 * Refuses a GET or HEAD that carries a body (chunked or with a Content-Length) with 400 and
 * `Connection: close`, before a byte of the body is read. Node's HTTP server would otherwise read (and
 * discard) the whole body after answering, to keep the connection alive: a 200 MB chunked body to
 * /v2/health/live was read to its end. Closing the connection is the cheap way this layer can stop it:
 * Node stops reading the socket once the answer is written, whatever size the body was to be.
 */
export function refuseBodyOnBodilessMethods(
  errorJson: (c: Context, status: number, message: string, headers?: Record<string, string>) => Response = (c, status, message, headers) =>
    c.json({ error: message }, status as 400, headers),
): MiddlewareHandler {
  return (c, next) => {
    if (BODILESS.has(c.req.method) && announcesBody(c)) {
      return Promise.resolve(
        errorJson(c, 400, `A ${c.req.method} request must not carry a body; send it without one (the routes that take a body are POST).`, {
          Connection: "close",
        }),
      );
    }
    return next();
  };
}
