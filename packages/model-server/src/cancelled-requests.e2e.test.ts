// Clients that leave after sending their whole request: queued work is dropped uncomputed, and every
// such request is counted 499 (real server, real sockets, real ONNX Runtime; TEST_HOLD_INFERENCE_FILE
// holds the first batch running so the others are queued behind it, whatever the machine's speed).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveServerSettings } from "./config/settings.js";
import { freePort } from "./process/free-port.js";
import { startServer, type RunningServer } from "./server.js";
import { metricTotal, openSocket, requestCount, waitFor } from "./testing/raw-http.js";
import { generateTinyModel, silentLogger } from "./testing/tiny-model.js";

let model: Awaited<ReturnType<typeof generateTinyModel>>;
let server: RunningServer | undefined;
const holdDir = mkdtempSync(join(tmpdir(), "hold-"));

beforeAll(async () => {
  model = await generateTinyModel();
});
afterAll(async () => {
  rmSync(holdDir, { recursive: true, force: true });
  await server?.drain(1000);
  await model?.cleanup();
});

const ABORTING = 20;
const body = JSON.stringify({ seq_0: "What is held?", seq_1: "The first batch is held while the rest wait." });
const request = `POST /predictions/model0 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

async function sendWhole(port: number): Promise<Socket> {
  const socket = await openSocket(port);
  socket.on("error", () => {});
  socket.write(request);
  return socket;
}

describe("requests whose client left", () => {
  it("are dropped from the queue uncomputed, and counted 499 like the one whose batch was already running", async () => {
    const hold = join(holdDir, "hold");
    writeFileSync(hold, "");
    const settings = resolveServerSettings({
      flags: { modelSource: model.dir, port: await freePort(), host: "127.0.0.1", quiet: true, maxBatch: 1, inferenceWorkers: 0, testHoldInferenceFile: hold },
    });
    const running = (server = await startServer(settings, silentLogger));
    const queue = (await running.registry.get("model0"))!.queue;
    const metrics = async () => (await fetch(`${running.url}/metrics`)).text();

    // One request runs (held); twenty wait behind it. Then every one of their clients leaves.
    const first = await sendWhole(running.port);
    await waitFor("the first request to be running", () => queue.busy && queue.depth === 0);
    const queued = await Promise.all(Array.from({ length: ABORTING }, () => sendWhole(running.port)));
    await waitFor(`${ABORTING} requests to be queued`, () => queue.depth === ABORTING);
    for (const socket of [first, ...queued]) socket.destroy();

    // The queued ones leave the queue at once, while the first batch is still held.
    await waitFor("the queue to empty", () => queue.depth === 0);
    await waitFor(`${ABORTING} 499s`, async () => requestCount(await metrics(), 499) === ABORTING);
    expect(existsSync(hold)).toBe(true);

    rmSync(hold);
    await waitFor("the held batch to finish and be counted", async () => requestCount(await metrics(), 499) === ABORTING + 1);
    const answer = await fetch(`${running.url}/predictions/model0`, { method: "POST", headers: { "Content-Type": "application/json" }, body });
    expect(answer.status).toBe(200);

    const text = await metrics();
    const inferences = metricTotal(text, "model_server_batch_size_sum");
    const ok = requestCount(text, 200, "/predictions/:model");
    const batches = metricTotal(text, "model_server_batch_size_count");
    console.log(`499: ${requestCount(text, 499)}, 200: ${ok}, inferences computed: ${inferences}, batches: ${batches}`);
    expect(requestCount(text, 499, "/predictions/:model")).toBe(ABORTING + 1);
    expect(ok).toBe(1);
    // The held one (its batch had started) and the last one: none of the twenty dropped.
    expect(inferences).toBe(2);
    expect(inferences).toBeLessThanOrEqual(ok + settings.maxBatch);
  }, 60_000);
});
