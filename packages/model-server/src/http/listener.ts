import { Server } from "node:http";
import { Server as NetServer } from "node:net";
import { createAdaptorServer, type serve } from "@hono/node-server";
import type { Logger } from "pino";

/** How long a listener lets clients take, and how many connections it holds at once. */
export interface ListenerLimits {
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly maxConnections: number;
}

/** How often Node checks the header and body deadlines (its default, 30 s, would let a 10 s deadline run to 40 s). */
const DEADLINE_CHECK_MS = 1000;
/** At most one "connection refused" log line per this many ms, with the count since the last. */
const DROP_LOG_INTERVAL_MS = 10_000;

/**
 * Listens with deadlines for a request's headers and body (Node answers 408 and closes the connection)
 * and a cap on open connections: past it, new connections are closed at once and a warning says so,
 * with what to change. Memory held by slow clients is bounded by maxConnections x maxBodyBytes.
 */
export function listen(fetch: Parameters<typeof serve>[0]["fetch"], port: number, hostname: string, limits: ListenerLimits, logger: Logger): Promise<Server> {
  return new Promise((resolve, reject) => {
    const serverOptions = {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.headersTimeoutMs + limits.bodyTimeoutMs,
      connectionsCheckingInterval: DEADLINE_CHECK_MS,
    };
    const server = createAdaptorServer({ fetch, serverOptions }) as Server;
    server.maxConnections = limits.maxConnections;
    // Node's default backlog (511) is less than a burst of clients: the kernel then drops SYNs, and a
    // health probe waits a 1 s, 3 s, 7 s SYN retry behind them. Room for as many as the cap admits.
    server.listen({ port, host: hostname, backlog: Math.max(511, limits.maxConnections) }, () => resolve(server));
    let dropped = 0;
    let lastLog = 0;
    server.on("drop", () => {
      dropped++;
      if (Date.now() - lastLog < DROP_LOG_INTERVAL_MS) return;
      lastLog = Date.now();
      logger.warn(
        { maxConnections: limits.maxConnections, refused: dropped },
        `connection limit reached: ${limits.maxConnections} connections are open, so new ones are refused; ` +
          "raise MAX_CONNECTIONS if the clients are real, or add servers",
      );
      dropped = 0;
    });
    server.once("error", reject);
  });
}

/** After a drain starts, how long idle keep-alive connections are left open for a request already on its way. */
const IDLE_GRACE_MS = 500;

/**
 * Stops accepting connections and resolves true once every open one has ended, or false at the
 * deadline (when the rest are cut). Unlike http.Server.close it does not close idle keep-alive
 * connections at once: a client sending back-to-back requests has its next one on the way right now.
 * Busy connections end after their next answer (which says Connection: close while draining); the
 * ones still idle after IDLE_GRACE_MS are not in use and are closed then.
 */
export function closeWithin(server: Server, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const idle = setTimeout(() => server.closeIdleConnections(), Math.min(IDLE_GRACE_MS, timeoutMs / 2));
    const deadline = setTimeout(() => {
      server.closeAllConnections();
      resolve(false);
    }, timeoutMs);
    NetServer.prototype.close.call(server, () => {
      clearTimeout(idle);
      clearTimeout(deadline);
      resolve(true);
    });
  });
}
