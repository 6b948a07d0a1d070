import type { HttpBindings } from "@hono/node-server";
import type { Context } from "hono";

/** The Node request under a Hono context; undefined under app.request() in tests. */
export function incomingOf(c: Context): HttpBindings["incoming"] | undefined {
  return (c.env as Partial<HttpBindings> | undefined)?.incoming;
}

/** Whether the client closed its connection (or a timeout cut it) before its whole request arrived. */
export function clientClosed(c: Context): boolean {
  const incoming = incomingOf(c);
  return incoming !== undefined && !incoming.complete && (incoming.destroyed || incoming.socket?.destroyed === true);
}

/**
 * About how many bytes this request held when its client left: what its Content-Length announced (the
 * connection's own count stays 0 while Node's HTTP parser reads it), at least what the socket counted.
 */
export function bytesRead(c: Context): number {
  const announced = Number(c.req.header("content-length"));
  return Math.max(Number.isSafeInteger(announced) && announced > 0 ? announced : 0, incomingOf(c)?.socket?.bytesRead ?? 0);
}

/**
 * Reads nothing more from this connection for `ms` to 1.5 x `ms` (the answer already sent is
 * unaffected): a keep-alive client that ignores Retry-After waits in its own socket instead of costing
 * the server another rejection straight away, so rejections stay cheap and inference keeps the CPU.
 * The spread keeps connections rejected in one burst from all coming back in the same turn.
 */
export function pauseReading(c: Context, minMs: number): void {
  const ms = minMs * (1 + Math.random() / 2);
  const socket = incomingOf(c)?.socket;
  if (socket === undefined || socket.destroyed || socket.isPaused()) return;
  socket.pause();
  const cancel = () => clearTimeout(timer);
  const timer = setTimeout(() => {
    socket.off("close", cancel);
    socket.resume();
  }, ms);
  timer.unref();
  socket.once("close", cancel);
}

/**
 * Whether the client is gone before its answer was written (it closed or reset its connection): the answer
 * reaches nobody, so it is counted 499 whatever status the handler chose. False under app.request() in tests.
 */
export function clientGone(c: Context): boolean {
  const socket = incomingOf(c)?.socket;
  return socket !== undefined && socket !== null && (socket.destroyed || !socket.writable);
}
