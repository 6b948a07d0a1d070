// A traceparent through a real server process: echoed in the answer, in its Server-Timing the batch it joined, and
// in the request's log line with the same batch.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServerProcess, type ServerProcess } from "./process/server-process.js";
import { generateTinyModel } from "./testing/tiny-model.js";

let model: Awaited<ReturnType<typeof generateTinyModel>>;
let server: ServerProcess;

beforeAll(async () => {
  model = await generateTinyModel();
  server = await startServerProcess({ MODEL_DIR: model.dir, QUIET: "false" });
}, 60_000);
afterAll(async () => {
  await server?.stop();
  await model?.cleanup();
});

const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/** The server's JSON log line that mentions `traceId` (it is written after the answer: wait for it). */
async function logLineOf(traceId: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 50; i++) {
    const line = server
      .output()
      .split("\n")
      .find((l) => l.includes(traceId));
    if (line) return JSON.parse(line) as Record<string, unknown>;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`No log line of the model server mentions ${traceId}. Its output:\n${server.output()}`);
}

describe("request tracing (real server)", () => {
  it("echoes the traceparent and X-Request-Id, times the batch in Server-Timing and logs the trace with the batch", async () => {
    const response = await fetch(`${server.url}/predictions/model0`, { headers: { traceparent: TRACEPARENT, "X-Request-Id": "load-7" } });
    expect(response.status).toBe(200);
    await response.json();
    expect(response.headers.get("traceparent")).toBe(TRACEPARENT);
    expect(response.headers.get("x-request-id")).toBe("load-7");
    const timing = response.headers.get("server-timing")!;
    const match = /queue;dur=([\d.]+), inference;dur=([\d.]+), batch;desc="(\d+)", batchsize;desc="(\d+)"/.exec(timing);
    expect(match, `Server-Timing was ${timing}`).not.toBeNull();
    const [, queueMs, inferenceMs, batchId, batchSize] = match!;
    expect(Number(inferenceMs)).toBeGreaterThan(0);
    expect(Number(batchSize)).toBeGreaterThanOrEqual(1);

    const logged = await logLineOf("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(logged).toMatchObject({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", requestId: "load-7", batchId: Number(batchId), batchSize: Number(batchSize) });
    expect(logged["queueMs"]).toBeCloseTo(Number(queueMs), 2);
    expect(logged["inferenceMs"]).toBeCloseTo(Number(inferenceMs), 2);
  });

  it("starts a trace of its own for a request without one (or with a malformed one), and echoes it", async () => {
    const response = await fetch(`${server.url}/v2/models/model0/infer`, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: "not-a-traceparent" },
      body: JSON.stringify({ inputs: [{ name: "question", datatype: "BYTES", shape: [1], data: ["Who?"] }] }),
    });
    await response.text();
    const traceparent = response.headers.get("traceparent");
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(response.headers.get("x-request-id")).toBe(traceparent!.split("-")[1]);
  });

  it("answers health checks with their trace but no Server-Timing (they join no batch)", async () => {
    const response = await fetch(`${server.url}/v2/health/ready`, { headers: { traceparent: TRACEPARENT } });
    expect(response.headers.get("traceparent")).toBe(TRACEPARENT);
    expect(response.headers.get("server-timing")).toBeNull();
  });
});
