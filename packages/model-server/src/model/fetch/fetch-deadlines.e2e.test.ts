// Remote model fetches against loopback stores that hang: real sockets, real fetch, no fakes of either.
import { mkdtempSync } from "node:fs";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fetchHttpsFile } from "./https-fetch.js";
import { ModelLoadError } from "../load-model.js";
import { resolveModelSource } from "./fetch-model-dir.js";

const open: Socket[] = [];
const servers: (Server | HttpServer)[] = [];
afterEach(() => {
  open.splice(0).forEach((socket) => socket.destroy());
  servers.splice(0).forEach((server) => server.close());
});

function listening<T extends Server | HttpServer>(server: T): Promise<number> {
  servers.push(server);
  server.on("connection", (socket: Socket) => open.push(socket));
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
}

/** The error the promise fails with. A fetch left to Node's own deadlines (minutes) would outlast the test instead. */
async function failure(promise: Promise<unknown>): Promise<{ error: Error }> {
  const error = await promise.then(
    () => new Error("it did not fail"),
    (caught: unknown) => caught as Error,
  );
  return { error };
}

describe("remote model fetch deadlines", () => {
  it("gives up on an https:// store that accepts and never answers, naming the URL and the time waited, after a progress line", async () => {
    // Accepts the TCP connection and says nothing: not even the TLS handshake completes.
    const port = await listening(createServer(() => {}));
    const log: string[] = [];
    const url = `https://127.0.0.1:${port}/models/tiny`;
    const { error } = await failure(
      resolveModelSource(url, mkdtempSync(join(tmpdir(), "deadline-")), (m) => log.push(m), undefined, { connectTimeoutMs: 1500, readTimeoutMs: 1000 }),
    );
    expect(error).toBeInstanceOf(ModelLoadError);
    expect(error.message).toMatch(new RegExp(`^${url}/model\\.onnx did not answer within \\d+\\.\\d s \\(MODEL_FETCH_CONNECT_TIMEOUT_MS=1500\\)`));
    expect(log[0]).toBe(`Fetching ${url}/model.onnx ...`);
    expect(log.some((line) => line.startsWith(`Still waiting for ${url}/model.onnx to answer: `))).toBe(true);
  });

  it("gives up on a store that sends headers and part of a file, then stalls, naming the URL, the bytes and the time waited", async () => {
    const port = await listening(
      createHttpServer((_req, res) => {
        res.writeHead(200, { "Content-Length": "100000" });
        res.write(Buffer.alloc(1000));
      }),
    );
    const log: string[] = [];
    const source = `https://127.0.0.1:${port}/models/tiny`;
    // The server's own https source, over plain HTTP on loopback (TLS is not what this tests).
    const overHttp = (from: string, file: string, signal?: AbortSignal) => fetchHttpsFile(from.replace(/^https:/, "http:"), file, signal);
    const { error } = await failure(
      resolveModelSource(source, mkdtempSync(join(tmpdir(), "deadline-")), (m) => log.push(m), overHttp, { connectTimeoutMs: 5000, readTimeoutMs: 1000 }),
    );
    expect(error).toBeInstanceOf(ModelLoadError);
    expect(error.message).toMatch(
      new RegExp(`^${source}/model\\.onnx sent no data for \\d+\\.\\d s after 1000 of 100000 bytes \\(MODEL_FETCH_READ_TIMEOUT_MS=1000\\)`),
    );
  });
});
