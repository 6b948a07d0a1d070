// A plain node:http server with a known behaviour, for the generator's tests and the bench:
// answers every request after `delayMs`, or with 503, or by dropping the connection.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface DelayServerOptions {
  delayMs?: number;
  /** What each request gets; the function form lets a test mix outcomes by request number. */
  behaviour?: DelayServerBehaviour | ((requestNumber: number) => DelayServerBehaviour);
  port?: number;
}
export type DelayServerBehaviour = "ok" | "503" | "drop";

export interface DelayServer {
  url: string;
  requests(): number;
  close(): Promise<void>;
}

const BODY = Buffer.from('{"detail":"I think I can"}');
const HEADERS = { "content-type": "application/json", "content-length": String(BODY.length) };

export async function startDelayServer(options: DelayServerOptions = {}): Promise<DelayServer> {
  const delayMs = options.delayMs ?? 0;
  const behaviourOf = typeof options.behaviour === "function" ? options.behaviour : () => (options.behaviour as DelayServerBehaviour | undefined) ?? "ok";
  let count = 0;
  const server: Server = createServer((request, response) => {
    const behaviour = behaviourOf(count++);
    const answer = () => {
      if (behaviour === "drop") request.socket.destroy();
      else if (behaviour === "503") response.writeHead(503, HEADERS).end(BODY);
      else response.writeHead(200, HEADERS).end(BODY);
    };
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
