import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, resolveServerSettings, startServer, type RunningServer, type ServerProcess } from "@inference-fleet/model-server";
import { generateModel } from "@inference-fleet/model-zoo";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADVERSARIAL_CASES, DROPPED_WORK, head, PROBES_NOT_STARVED, type AdversarialCase } from "./adversarial-cases.js";
import { pythonMissing, startPythonServer } from "./python-server.js";
import { exchange, idleConnections } from "./raw-http.js";

const missing = pythonMissing();
if (missing !== undefined && process.env["CI"]) throw new Error(`neuron-server: the adversarial suite cannot run in CI: ${missing}.`);
if (missing !== undefined) console.warn(`neuron-server: skipping the adversarial suite: ${missing}.`);

/** The deadlines both servers run with here: their minimum, so the slow-client cases end in seconds; one request per batch. */
const LIMITS = { HEADERS_TIMEOUT_MS: "1000", BODY_TIMEOUT_MS: "1000", MAX_BATCH: "1" };

/** One server under test: where it listens, and what it logged since a mark (errors and stack traces are looked for there). */
interface Target {
  readonly port: number;
  readonly healthPort: number;
  /** TEST_HOLD_INFERENCE_FILE, where the server has that test hook. */
  readonly holdFile?: string;
  logMark(): number;
  logSince(mark: number): string;
}

/** A pino-shaped logger that keeps the TypeScript server's warnings and errors (with their stacks) as text. */
function recordingLogger(lines: string[]) {
  const withStacks = (_key: string, value: unknown) => (value instanceof Error ? String(value.stack) : value);
  const keep =
    (level: string) =>
    (...args: unknown[]) => {
      lines.push(`${level} ${args.map((arg) => JSON.stringify(arg, withStacks)).join(" ")}`);
    };
  const logger = { info() {}, debug() {}, trace() {}, warn: keep("warn"), error: keep("error"), fatal: keep("fatal"), flush() {}, child: () => logger };
  return logger as unknown as NonNullable<Parameters<typeof startServer>[1]>;
}

/** model_server_requests_total summed by status, and the batch-size histogram's count and sum. */
async function counters(port: number): Promise<{ byStatus: Map<string, number>; batches: number; batchRows: number; queueDepth: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const byStatus = new Map<string, number>();
  let batches = 0;
  let batchRows = 0;
  let queueDepth = 0;
  for (const line of text.split("\n")) {
    if (line.includes('route="/metrics"')) continue; // this scrape itself
    const request = /^model_server_requests_total\{[^}]*status="(\d+)"[^}]*\} (\S+)$/.exec(line);
    if (request) byStatus.set(request[1]!, (byStatus.get(request[1]!) ?? 0) + Number(request[2]));
    const batch = /^model_server_batch_size_(count|sum)\{[^}]*\} (\S+)$/.exec(line);
    if (batch?.[1] === "count") batches += Number(batch[2]);
    if (batch?.[1] === "sum") batchRows += Number(batch[2]);
    const depth = /^model_server_queue_depth\{[^}]*\} (\S+)$/.exec(line);
    if (depth) queueDepth += Number(depth[1]);
  }
  return { byStatus, batches, batchRows, queueDepth };
}

/** Polls until `check` holds (or 10 s pass), then returns the last counters: answers are counted after they are sent. */
async function countersWhen(port: number, check: (now: Awaited<ReturnType<typeof counters>>) => boolean) {
  const deadline = Date.now() + 10_000;
  let now = await counters(port);
  while (!check(now) && Date.now() < deadline) {
    await sleep(50);
    now = await counters(port);
  }
  return now;
}

/** Opens a connection and writes `request` on it; the caller destroys it (the client leaving). */
async function sendOnly(port: number, request: string): Promise<Socket> {
  const socket = connect({ port, host: "127.0.0.1" });
  socket.on("error", () => {});
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  socket.write(request);
  return socket;
}

const delta = (after: Map<string, number>, before: Map<string, number>, status: string) => (after.get(status) ?? 0) - (before.get(status) ?? 0);

async function runCase(target: Target, { send, expect: want }: AdversarialCase): Promise<void> {
  const mark = target.logMark();
  const before = await counters(target.port);
  const result = await exchange(target.port, send, { expected: want.statuses.length, headAnswers: want.headAnswers ?? 0 });
  expect(result.answers.map((answer) => answer.status)).toEqual(want.statuses);
  expect(result.closed, want.closes ? "the server should close the connection" : "the server should keep the connection open").toBe(want.closes);
  const first = result.answers[0];
  if (want.headAnswers) for (const answer of result.answers.slice(0, want.headAnswers)) expect(answer.body.length).toBe(0);
  for (const [name, value] of Object.entries(want.headers ?? {})) expect(first?.headers[name] ?? null, name).toBe(value);
  if (want.json !== undefined) expect(JSON.parse(first!.body.toString())).toEqual(want.json);
  if (want.error !== undefined) {
    expect(first!.headers["content-type"]).toMatch(/^application\/json/);
    const body = JSON.parse(first!.body.toString()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual([want.error.key]);
    const message = String(body[want.error.key]);
    expect(message, "errors are full sentences").toMatch(/^\S+ .* .*\.$/s);
    if (want.error.says) expect(message).toMatch(want.error.says);
  }
  const counted = want.counted ?? {};
  const after = await countersWhen(target.port, (now) => Object.entries(counted).every(([status, n]) => delta(now.byStatus, before.byStatus, status) >= n));
  for (const [status, n] of Object.entries(counted)) expect(delta(after.byStatus, before.byStatus, status), `requests counted ${status}`).toBe(n);
  for (const status of ["500", "502", "503", "504"])
    if (!(status in counted)) expect(delta(after.byStatus, before.byStatus, status), `requests counted ${status}`).toBe(0);
  if (!want.statuses.some((status) => status < 300)) expect(after.batches - before.batches, "a refused request runs nothing").toBe(0);
  const log = target.logSince(mark);
  expect(log, "no traceback or stack in the log").not.toMatch(/Traceback|RecursionError|\n\s+at \S+ \(|"level": "error"|^error /m);
}

describe.skipIf(missing !== undefined)("hostile and malformed requests, as raw bytes, against both servers", () => {
  let root: string;
  let onnx: RunningServer;
  let python: ServerProcess;
  const tsLog: string[] = [];
  const targets: Record<"ONNX Runtime (TypeScript)" | "Neuron (Python, CPU mode)", Target> = {} as never;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "adversarial-"));
    const { dir } = await generateModel({ size: "tiny", seed: 7, outDir: join(root, "tiny") });
    const [tsPort, tsHealth, pyHealth] = [await freePort(), await freePort(), await freePort()];
    const pyLog = join(root, "python.log");
    // Each server its own hold file: holding one must not hold the other.
    const [tsHold, holdFile] = [join(root, "hold-ts"), join(root, "hold")];
    [onnx, python] = await Promise.all([
      startServer(
        resolveServerSettings({
          env: {
            MODEL_DIR: dir,
            PORT: String(tsPort),
            HEALTH_PORT: String(tsHealth),
            HOST: "127.0.0.1",
            QUIET: "true",
            INFERENCE_WORKERS: "0",
            TEST_HOLD_INFERENCE_FILE: tsHold,
            ...LIMITS,
          },
        }),
        recordingLogger(tsLog),
      ),
      startPythonServer(
        {
          MODEL_DIR: dir,
          CACHE_DIR: join(root, "cache"),
          HEALTH_PORT: String(pyHealth),
          HOST: "127.0.0.1",
          QUIET: "true",
          TEST_HOLD_INFERENCE_FILE: holdFile,
          ...LIMITS,
        },
        60_000,
        pyLog,
      ),
    ]);
    targets["ONNX Runtime (TypeScript)"] = {
      port: onnx.port,
      healthPort: tsHealth,
      holdFile: tsHold,
      logMark: () => tsLog.length,
      logSince: (mark) => tsLog.slice(mark).join("\n"),
    };
    targets["Neuron (Python, CPU mode)"] = {
      port: python.port,
      healthPort: pyHealth,
      holdFile,
      logMark: () => statSync(pyLog).size,
      logSince: (mark) => readFileSync(pyLog).subarray(mark).toString(),
    };
  }, 120_000);
  afterAll(async () => {
    await Promise.all([onnx?.drain(2000), python?.stop()]);
    if (root) await rm(root, { recursive: true, force: true });
  });

  it(`has at least 40 cases, each named once`, () => {
    expect(ADVERSARIAL_CASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(ADVERSARIAL_CASES.map((c) => c.name)).size).toBe(ADVERSARIAL_CASES.length);
  });

  describe.each(["ONNX Runtime (TypeScript)", "Neuron (Python, CPU mode)"] as const)("the %s server", (server) => {
    for (const testCase of ADVERSARIAL_CASES) it(testCase.name, () => runCase(targets[server], testCase), 30_000);

    it(
      DROPPED_WORK,
      async () => {
        const target = targets[server];
        expect(target.holdFile, "the server needs a test hook that holds inference (TEST_HOLD_INFERENCE_FILE)").toBeDefined();
        const before = await counters(target.port);
        writeFileSync(target.holdFile!, "");
        try {
          const first = await sendOnly(target.port, head("GET /predictions/model0 HTTP/1.1"));
          const second = await sendOnly(target.port, head("GET /predictions/model0 HTTP/1.1"));
          // MAX_BATCH 1: the first request's batch runs (held), and the second waits in the queue behind it.
          const held = await countersWhen(target.port, (now) => now.queueDepth >= 1);
          expect(held.queueDepth).toBe(1);
          first.destroy();
          second.destroy();
          const left = await countersWhen(target.port, (now) => delta(now.byStatus, before.byStatus, "499") >= 2);
          expect(delta(left.byStatus, before.byStatus, "499")).toBe(2);
        } finally {
          rmSync(target.holdFile!, { force: true });
        }
        await countersWhen(target.port, (now) => now.batches > before.batches);
        await sleep(300); // time for a second batch to show, were the dropped request run after all
        const settled = await counters(target.port);
        expect(settled.batches - before.batches, "only the running batch ran").toBe(1);
        expect(settled.batchRows - before.batchRows, "the queued request was dropped, not run").toBe(1);
        expect(delta(settled.byStatus, before.byStatus, "200"), "no answer is counted for a client that left").toBe(0);
      },
      30_000,
    );

    it(
      PROBES_NOT_STARVED,
      async () => {
        const target = targets[server];
        const idle = await idleConnections(target.healthPort, 300);
        try {
          const latencies: number[] = [];
          const statuses: number[] = [];
          for (let i = 0; i < 30; i++) {
            const started = performance.now();
            const { answers } = await exchange(target.healthPort, [head("GET /v2/health/live HTTP/1.1", "Connection: close")], {
              expected: 1,
              settleMs: 0,
              limitMs: 5000,
            });
            latencies.push(Math.round(performance.now() - started));
            statuses.push(answers[0]?.status ?? 0);
          }
          console.log(`${server}: liveness with 300 idle connections open, ms: ${latencies.join(" ")}`);
          // limitMs (5 s) is half the 10 s header deadline: a probe waiting for the idle connections to time out gets no
          // answer (status 0) and fails here. The latencies are printed, not asserted (a shared machine stalls).
          expect(statuses).toEqual(Array(30).fill(200));
        } finally {
          idle.forEach((socket) => socket.destroy());
        }
      },
      60_000,
    );
  });
});
