import { request } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveServerSettings } from "./config/settings.js";
import { startServer, type RunningServer } from "./server.js";
import { freePort } from "./process/free-port.js";
import { generateTinyModel, silentLogger } from "./testing/tiny-model.js";

let model: Awaited<ReturnType<typeof generateTinyModel>>;
let server: RunningServer;

/** Sends raw bytes and returns the status line's code (0 if the server closed without answering). */
function rawRequest(port: number, text: string | Buffer[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    socket.on("data", (chunk) => (answer += chunk.toString("latin1")));
    socket.on("error", reject);
    socket.on("close", () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)));
    for (const part of typeof text === "string" ? [text] : text) socket.write(part);
    socket.end();
  });
}

beforeAll(async () => {
  model = await generateTinyModel();
  const [port, metricsPort] = [await freePort(), await freePort()];
  server = await startServer(
    resolveServerSettings({ flags: { modelSource: model.dir, port, host: "127.0.0.1", metricsPort, maxQueue: 4, maxBodyBytes: 16 * 1024, quiet: true } }),
    silentLogger,
  );
});
afterAll(async () => {
  await server?.drain(1000);
  await model?.cleanup();
});

describe("the server on loopback", () => {
  it("answers the sample's request over real HTTP", async () => {
    const response = await fetch(`${server.url}/predictions/model0`);
    expect(response.status).toBe(200);
    expect(typeof ((await response.json()) as { detail: string }).detail).toBe("string");
  });

  it("serves /metrics only on the metrics port", async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    const metrics = await fetch(server.metricsUrl!);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain("model_server_requests_total");
  });

  it("holds the body limit for chunked bodies", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.url}/predictions/model0`, { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on("error", reject);
      req.write('{"seq_1": "');
      for (let i = 0; i < 40; i++) req.write("x".repeat(1024));
      req.end('"}');
    });
    expect(status).toBe(413);
  });

  it("holds the body limit when Content-Length and Transfer-Encoding are both sent", async () => {
    const chunk = "x".repeat(20 * 1024);
    const status = await rawRequest(server.port, [
      Buffer.from(`POST /predictions/model0 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n`),
      Buffer.from(`${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`),
    ]);
    // Node's parser refuses the ambiguous request (400) or the body limit does (413); never read in full.
    expect([400, 413]).toContain(status);
  });
});
