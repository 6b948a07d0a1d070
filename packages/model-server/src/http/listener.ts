import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { Server as NetServer, type Socket } from "node:net";
import { createAdaptorServer, type serve } from "@hono/node-server";
import type { Logger } from "pino";
import { answerClientErrors, refuseOnSocket } from "./client-error.js";

/** How long a listener lets clients take, and how many connections it holds at once. */
export interface ListenerLimits {
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly maxConnections: number;
}

/** How often Node checks the header deadline (its default, 30 s, would let a 10 s deadline run to 40 s). */
const DEADLINE_CHECK_MS = 1000;
/** At most one "connection refused" (or "idle probe connections closed") log line per this many ms, with the count since the last. */
const DROP_LOG_INTERVAL_MS = 10_000;

/** What a listener does at its connection cap: refuse the new connection, or close the longest-idle one to make room (probes). */
export type AtCap = "refuse" | "evict-idle";

/**
 * Listens with deadlines for a request's headers (Node answers 408 and closes the connection) and for
 * its body, counted from the end of its headers (see bodyDeadline), and a cap on open connections.
 * At the cap, "refuse" closes new connections at once and a warning says so, with what to change: memory
 * held by slow clients is bounded by maxConnections x maxBodyBytes. "evict-idle" is for the probe port
 * (see evictIdleAtCap).
 */
export function listen(
  fetch: Parameters<typeof serve>[0]["fetch"],
  port: number,
  hostname: string,
  limits: ListenerLimits,
  logger: Logger,
  atCap: AtCap = "refuse",
): Promise<Server> {
  return new Promise((resolve, reject) => {
    const serverOptions = {
      headersTimeout: limits.headersTimeoutMs,
      // Node's requestTimeout counts from the request's first byte; the body's deadline counts from the end of the headers instead.
      requestTimeout: 0,
      connectionsCheckingInterval: DEADLINE_CHECK_MS,
    };
    const server = createAdaptorServer({ fetch, serverOptions }) as Server;
    server.on("request", bodyDeadline(limits.bodyTimeoutMs));
    silentConnectionDeadline(server, limits.headersTimeoutMs);
    if (atCap === "evict-idle") evictIdleAtCap(server, limits.maxConnections, logger);
    else refuseAtCap(server, limits.maxConnections, logger);
    answerClientErrors(server);
    // Node's default backlog (511) is less than a burst of clients: the kernel then drops SYNs, and a
    // health probe waits a 1 s, 3 s, 7 s SYN retry behind them. Room for as many as the cap admits.
    server.listen({ port, host: hostname, backlog: Math.max(511, limits.maxConnections) }, () => resolve(server));
    server.once("error", reject);
  });
}

/**
 * Node's header deadline runs only once a request's first byte has come: a connection that never sends one
 * would hold its place (and a slot under the cap) for good. Such a connection is closed after
 * `headersTimeoutMs` (and two deadline checks) of silence; from its first request on, Node's own deadlines and keep-alive timeout apply.
 */
function silentConnectionDeadline(server: Server, headersTimeoutMs: number): void {
  // With no 'timeout' listener on the server, Node destroys a socket that times out. Two deadline checks
  // later than Node's own header deadline, so a client that sent part of its headers gets Node's 408
  // (checked every DEADLINE_CHECK_MS) rather than a silent close.
  server.on("connection", (socket: Socket) => socket.setTimeout(headersTimeoutMs + 2 * DEADLINE_CHECK_MS));
  server.on("request", (req: IncomingMessage) => req.socket.setTimeout(0));
}

function refuseAtCap(server: Server, maxConnections: number, logger: Logger): void {
  server.maxConnections = maxConnections;
  let dropped = 0;
  let lastLog = 0;
  server.on("drop", () => {
    dropped++;
    if (Date.now() - lastLog < DROP_LOG_INTERVAL_MS) return;
    lastLog = Date.now();
    logger.warn(
      { maxConnections, refused: dropped },
      `connection limit reached: ${maxConnections} connections are open, so new ones are refused; ` +
        "raise MAX_CONNECTIONS if the clients are real, or add servers",
    );
    dropped = 0;
  });
}

/**
 * The probe port's cap: a new connection is always accepted, and when that makes more than
 * `maxConnections`, the connection idle the longest (no request being answered on it) is closed. A
 * kubelet probe connects and sends its request at once, so it is answered within milliseconds of
 * connecting, while connections that hold a slot without asking anything are the first to go. Chosen
 * over a per-source limit (kubelet shares its source address with anything else on the node, and in a
 * test with everything on loopback) and over short idle timeouts alone (a client reopening its
 * connections at once holds the cap again, and the trial's probes were refused at the cap): with 300
 * idle connections held on a 256-connection probe port, every probe answers. Memory stays bounded by
 * the cap.
 */
function evictIdleAtCap(server: Server, maxConnections: number, logger: Logger): void {
  // Insertion order is connection order: the first idle one found is the one idle the longest.
  const open = new Set<Socket>();
  const busy = new WeakSet<Socket>();
  let evicted = 0;
  let lastLog = 0;
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const { socket } = req;
    busy.add(socket);
    // Served: to the back of the line, as idle since now.
    res.once("close", () => {
      busy.delete(socket);
      if (open.delete(socket)) open.add(socket);
    });
  });
  server.on("connection", (socket: Socket) => {
    open.add(socket);
    socket.once("close", () => open.delete(socket));
    if (open.size <= maxConnections) return;
    for (const candidate of open) {
      if (candidate === socket || busy.has(candidate)) continue;
      open.delete(candidate);
      candidate.destroy();
      evicted++;
      break;
    }
    if (evicted === 0 || Date.now() - lastLog < DROP_LOG_INTERVAL_MS) return;
    lastLog = Date.now();
    logger.warn(
      { maxConnections, closedIdle: evicted },
      `probe port: ${maxConnections} connections are open, so the longest-idle ones were closed to let new probes in; ` +
        "something other than kubelet is holding connections to HEALTH_PORT",
    );
    evicted = 0;
  });
}

/**
 * The body deadline: a request whose body has not fully arrived `bodyTimeoutMs` after its headers gets
 * 408 (JSON, Connection: close) and its connection is closed, as Node does for its own timeouts (written to
 * the socket: the handler may be reading the body still). The handler then sees its client gone (499).
 */
function bodyDeadline(bodyTimeoutMs: number) {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (req.complete) return;
    const timer = setTimeout(() => {
      const { socket } = req;
      if (req.complete || res.headersSent || socket.destroyed) return;
      refuseOnSocket(
        socket,
        408,
        `The request body did not arrive within ${bodyTimeoutMs} ms of its headers (BODY_TIMEOUT_MS); send it faster, or in smaller requests.`,
      );
      // A client that does not read its answer does not hold the connection either.
      setTimeout(() => socket.destroy(), 1000).unref();
    }, bodyTimeoutMs);
    timer.unref();
    res.once("close", () => clearTimeout(timer));
  };
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
