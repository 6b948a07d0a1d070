// A plain node:http server with a known behaviour, for the generator's tests and the bench:
// answers every request after `delayMs`, or with 503, or by dropping the connection, or with one of
// the broken answers a generator must not count as a success (see bad-answers.ts). GET
// /v2/models/{m} answers at once with model metadata, as the model server does, and /metrics with
// 404 (it has none); neither is counted as load.
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { LatencyHistogram } from "../histogram.js";
import { BAD_ANSWERS, writeBadAnswer, type BadAnswer } from "./bad-answers.js";

export interface DelayServerOptions {
  delayMs?: number;
  /** What each request gets; the function form lets a test mix outcomes by request number. */
  behaviour?: DelayServerBehaviour | ((requestNumber: number) => DelayServerBehaviour);
  port?: number;
  /** Reported as parameters.execution_provider in GET /v2/models/{m}; absent when not given, as older servers do. */
  executionProvider?: string;
  /** Models this server holds: GET /v2/models/{m} answers 404 for any other (default: every model). */
  models?: readonly string[];
}
type DelayServerBehaviour = "ok" | "503" | "drop" | BadAnswer;

export interface DelayServer {
  url: string;
  requests(): number;
  /** Paths of the GET /v2/models/{m} requests it answered, in order. */
  metadataRequests: string[];
  /** How long the server actually took to answer (timers fire late on a busy machine): the truth to compare the generator with. */
  served: LatencyHistogram;
  close(): Promise<void>;
}

const BODY = Buffer.from('{"detail":"I think I can"}');
const HEADERS = { "content-type": "application/json", "content-length": String(BODY.length) };

export async function startDelayServer(options: DelayServerOptions = {}): Promise<DelayServer> {
  const delayMs = options.delayMs ?? 0;
  const behaviourOf = typeof options.behaviour === "function" ? options.behaviour : () => (options.behaviour as DelayServerBehaviour | undefined) ?? "ok";
  let count = 0;
  const served = new LatencyHistogram();
  const metadataRequests: string[] = [];
  const server: Server = createServer((request, response) => {
    const metadataOf = /^\/v2\/models\/([^/?]+)$/.exec(request.url ?? "")?.[1];
    if (request.method === "GET" && metadataOf !== undefined) {
      metadataRequests.push(request.url!);
      answerMetadata(decodeURIComponent(metadataOf), options, response);
      return;
    }
    if (request.method === "GET" && request.url === "/metrics") {
      response.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "This test server has no metrics." }));
      return;
    }
    const behaviour = behaviourOf(count++);
    const arrived = performance.now();
    const answer = () => {
      served.record(performance.now() - arrived);
      if (behaviour === "drop") request.socket.destroy();
      else if (behaviour === "503") response.writeHead(503, HEADERS).end(BODY);
      else if ((BAD_ANSWERS as readonly string[]).includes(behaviour)) writeBadAnswer(behaviour as BadAnswer, request.socket);
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
    metadataRequests,
    served,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function answerMetadata(model: string, options: DelayServerOptions, response: ServerResponse): void {
  if (options.models && !options.models.includes(model)) {
    response.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: `Unknown model ${model}.` }));
    return;
  }
  const parameters = { max_sequence_length: 128, ...(options.executionProvider === undefined ? {} : { execution_provider: options.executionProvider }) };
  response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ name: model, platform: "onnxruntime_onnx", parameters }));
}
