// Slow, vanishing and too many clients against the real server on loopback (real HTTP, real ONNX Runtime).
import { mkdtemp } from "node:fs/promises";
import { rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveServerSettings, type SettingsFlags } from "./config/settings.js";
import { startServer, type RunningServer } from "./server.js";
import { freePort } from "./process/free-port.js";
import { startServerProcess, type ServerProcess } from "./process/server-process.js";
import { generateTinyModel } from "./testing/tiny-model.js";

let model: Awaited<ReturnType<typeof generateTinyModel>>;
const started: RunningServer[] = [];
const spawned: ServerProcess[] = [];

beforeAll(async () => {
  model = await generateTinyModel();
});
afterAll(async () => {
  await Promise.all(started.map((server) => server.drain(1000)));
  spawned.forEach((server) => server.kill("SIGKILL"));
  await model?.cleanup();
});

type LogLine = { level: number; msg: string; err?: unknown; refused?: number };

async function serverWith(flags: SettingsFlags): Promise<{ server: RunningServer; logs: LogLine[] }> {
  const logs: LogLine[] = [];
  const logger = pino({ base: undefined }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
  const settings = resolveServerSettings({ flags: { modelSource: model.dir, port: await freePort(), host: "127.0.0.1", quiet: true, ...flags } });
  const server = await startServer(settings, logger);
  started.push(server);
  return { server, logs };
}

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => resolve(socket));
    socket.on("error", reject);
  });
}

/** Resolves with what the server wrote before it closed the connection; `isClosed` says whether it has yet. */
function untilClosed(socket: Socket): Promise<{ answer: string }> & { isClosed: () => boolean } {
  let closed = false;
  const answered = new Promise<{ answer: string }>((resolve) => {
    let answer = "";
    socket.on("data", (chunk) => (answer += chunk.toString("latin1")));
    socket.on("error", () => {});
    socket.on("close", () => ((closed = true), resolve({ answer })));
  });
  return Object.assign(answered, { isClosed: () => closed });
}

const countOf = (metrics: string, status: number) =>
  [...metrics.matchAll(new RegExp(`^model_server_requests_total\\{[^}]*status="${status}"\\} (\\d+)`, "gm"))].reduce((sum, m) => sum + Number(m[1]), 0);

describe("slow and vanishing clients", () => {
  it("closes a connection whose body does not arrive within BODY_TIMEOUT_MS of the end of its headers, with 408", async () => {
    const { server } = await serverWith({ headersTimeoutMs: 5000, bodyTimeoutMs: 1000 });
    const socket = await openSocket(server.port);
    const closed = untilClosed(socket);
    // Headers taking 2 s (twice BODY_TIMEOUT_MS, within HEADERS_TIMEOUT_MS), then a body that never ends.
    socket.write("POST /predictions/model0 HTTP/1.1\r\nHost: x\r\n");
    await new Promise((resolve) => setTimeout(resolve, 2000));
    // A body deadline counted from the request's first byte would have passed by now: the connection must still be
    // open, however slowly this machine ran, since no deadline counted from the end of the headers has begun.
    expect(closed.isClosed()).toBe(false);
    socket.write('Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"seq_0": "');
    const { answer } = await closed;
    // Our 408 with its reason, not Node's own request timeout (a bare 408): the deadline that closed it is the body's.
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).toContain("did not arrive within 1000 ms of its headers (BODY_TIMEOUT_MS)");
  }, 30_000);

  it("closes a connection whose headers do not arrive within HEADERS_TIMEOUT_MS", async () => {
    const { server } = await serverWith({ headersTimeoutMs: 1000 });
    const socket = await openSocket(server.port);
    const closed = untilClosed(socket);
    socket.write("GET /v2/health/live HTTP/1.1\r\nHost: x\r\n");
    // Closed by the header deadline (Node's 408), not left open: the test's own timeout is the only clock here.
    const { answer } = await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it("counts a client that hangs up mid-upload as 499, not 5xx, and logs one line without a stack", async () => {
    const { server, logs } = await serverWith({});
    const socket = await openSocket(server.port);
    socket.write('POST /predictions/model0 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"seq_0": "wh');
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.destroy();
    let metrics = "";
    for (let i = 0; i < 50 && countOf(metrics, 499) === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      metrics = await (await fetch(`${server.url}/metrics`)).text();
    }
    expect(countOf(metrics, 499)).toBe(1);
    expect(countOf(metrics, 500)).toBe(0);
    expect(logs.filter((line) => line.level >= 50)).toEqual([]);
    const closedLine = logs.find((line) => line.msg.startsWith("client closed the connection"));
    expect(closedLine).toBeDefined();
    expect(closedLine!.err).toBeUndefined();
  });

  it("answers 503 + Retry-After, unread, to bodies beyond MAX_BODY_BYTES_IN_FLIGHT, keeps serving, and takes bodies again once they leave", async () => {
    const { server } = await serverWith({ maxBodyBytes: 16 * 1024, maxBodyBytesInFlight: 64 * 1024 });
    const head = (length: number) => `POST /predictions/model0 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
    // Four 16 KB uploads fill the budget; each withholds its last byte.
    const held = await Promise.all(Array.from({ length: 4 }, () => openSocket(server.port)));
    for (const socket of held) socket.write(head(16 * 1024) + " ".repeat(16 * 1024 - 1));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const refused = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const socket = await openSocket(server.port);
        const closed = untilClosed(socket);
        socket.write(head(16 * 1024) + " ".repeat(1000));
        return closed;
      }),
    );
    for (const { answer } of refused) {
      expect(answer).toMatch(/^HTTP\/1\.1 503/);
      expect(answer).toMatch(/\r\nretry-after: 1\r\n/i);
      expect(answer).toMatch(/\r\nconnection: close\r\n/i);
      expect(answer).toContain("as many request bodies as it has room for");
    }
    // A chunked upload asks for MAX_BODY_BYTES before a byte is read: refused too, though it never ends its body.
    const chunked = await openSocket(server.port);
    const chunkedClosed = untilClosed(chunked);
    chunked.write(
      `POST /predictions/model0 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n${" ".repeat(1024)}\r\n`,
    );
    expect((await chunkedClosed).answer).toMatch(/^HTTP\/1\.1 503[\s\S]*retry-after: 1\r\n/i);
    // A request without a body needs no room: it is answered meanwhile.
    expect((await fetch(`${server.url}/predictions/model0`)).status).toBe(200);
    // The refusals count against their route, where the 5xx alarms look, not as "unmatched".
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/model_server_requests_total\{route="\/predictions\/:model",model="-",status="503"\} 21\b/);
    held.forEach((socket) => socket.destroy());
    await new Promise((resolve) => setTimeout(resolve, 200));
    const answer = await fetch(`${server.url}/predictions/model0`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ seq_0: "who?", seq_1: "Ann wrote it." }),
    });
    expect(answer.status).toBe(200);
  });

  it("refuses connections past MAX_CONNECTIONS with one clear log line (HEALTH_PORT still answers), and serves again once they leave", async () => {
    const healthPort = await freePort();
    const { server, logs } = await serverWith({ maxConnections: 16, healthPort });
    const held = await Promise.all(Array.from({ length: 16 }, () => openSocket(server.port)));
    const extra = await openSocket(server.port);
    const { answer } = await untilClosed(extra);
    expect(answer).toBe("");
    // Probes on HEALTH_PORT are not behind the public port's cap.
    expect(await (await fetch(`http://127.0.0.1:${healthPort}/v2/health/ready`)).json()).toEqual({ ready: true });
    expect((await fetch(`http://127.0.0.1:${healthPort}/predictions/model0`)).status).toBe(404);
    const line = logs.find((entry) => entry.msg.startsWith("connection limit reached"));
    expect(line?.msg).toMatch(/16 connections are open, so new ones are refused; raise MAX_CONNECTIONS if the clients are real, or add servers/);
    held.forEach((socket) => socket.destroy());
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await fetch(`${server.url}/v2/health/live`)).status).toBe(200);
  });
});

describe("overload", () => {
  it("answers 503 + Retry-After past the queue bound, health while inference is held, and a rejected client again only after Retry-After", async () => {
    // Its own process: requests from this one would reach a server in it one turn at a time. Inference is held
    // (TEST_HOLD_INFERENCE_FILE) while the file exists, so what is running and queued stays so however fast the machine.
    const holdDir = await mkdtemp(join(tmpdir(), "server-faults-"));
    const holdFile = join(holdDir, "hold");
    const server = await startServerProcess({
      MODEL_DIR: model.dir,
      MAX_QUEUE: "1",
      MAX_BATCH: "1",
      INFERENCE_WORKERS: "0",
      THREADS: "1",
      TEST_HOLD_INFERENCE_FILE: holdFile,
    });
    spawned.push(server);
    const send = (agent: Agent, path = "/predictions/model0") =>
      new Promise<{ status: number; retryAfter: string | undefined; at: number }>((resolve, reject) => {
        const req = request(`${server.url}${path}`, { agent }, (res) => {
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode!, retryAfter: res.headers["retry-after"] as string | undefined, at: performance.now() }));
        });
        req.on("error", reject);
        req.end();
      });
    writeFileSync(holdFile, "");
    const agents = Array.from({ length: 60 }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
    let answered = 0;
    const answers = agents.map((agent) => send(agent).then((answer) => (answered++, answer)));
    // MAX_BATCH 1, MAX_QUEUE 1: one request runs (held) and one waits; the other 58 are turned away at once.
    while (answered < 58) await new Promise((resolve) => setTimeout(resolve, 20));
    const health = await send(new Agent(), "/v2/health/live");
    expect(health.status).toBe(200);
    expect(answered, "health is answered while inference is still held, not behind it").toBe(58);
    rmSync(holdDir, { recursive: true });
    const all = (await Promise.all(answers)).map((answer, i) => ({ ...answer, agent: agents[i]! }));
    expect(all.filter((answer) => answer.status === 200)).toHaveLength(2);
    const rejected = all.filter((answer) => answer.status === 503);
    expect(rejected).toHaveLength(58);
    expect(rejected.every((answer) => answer.retryAfter === "1")).toBe(true);
    // The same keep-alive connection: its next request is read once Retry-After has passed (a lower bound, which a
    // slow or descheduled machine only lengthens).
    const again = await send(rejected[0]!.agent);
    expect(again.at - rejected[0]!.at).toBeGreaterThan(950);
    agents.forEach((agent) => agent.destroy());
  }, 30_000);
});
