// A rolling restart at the server level: SIGTERM while a keep-alive client sends back-to-back requests.
import { Agent, request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServerProcess, type ServerProcess } from "./process/server-process.js";
import { generateTinyModel } from "./testing/tiny-model.js";

let model: Awaited<ReturnType<typeof generateTinyModel>>;
const spawned: ServerProcess[] = [];

beforeAll(async () => {
  model = await generateTinyModel();
});
afterAll(async () => {
  spawned.forEach((server) => server.kill("SIGKILL"));
  await model?.cleanup();
});

type Outcome = { status: number; close: boolean } | { error: string };

function send(url: string, agent: Agent): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(`${url}/predictions/model0`, { agent }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode!, close: res.headers.connection === "close" }));
    });
    req.on("error", (error) => resolve({ error: error.message }));
    req.end();
  });
}

describe("SIGTERM", () => {
  it.each([1, 2, 3])(
    "answers every request a keep-alive client sent back to back, then tells it to go (run %i)",
    async (run) => {
      const server = await startServerProcess({ MODEL_DIR: model.dir, DRAIN_TIMEOUT_MS: "5000" });
      spawned.push(server);
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const outcomes: Outcome[] = [];
      // Each run signals at a different point of the request cycle.
      const signalAfter = 50 + run * 37;
      for (;;) {
        if (outcomes.length === signalAfter) server.kill("SIGTERM");
        const outcome = await send(server.url, agent);
        outcomes.push(outcome);
        // A client told Connection: close goes elsewhere (in a cluster: another pod behind the Service).
        if ("error" in outcome || outcome.close || outcomes.length > signalAfter + 10_000) break;
      }
      agent.destroy();
      expect(outcomes.filter((outcome) => "error" in outcome)).toEqual([]);
      expect(outcomes.every((outcome) => "status" in outcome && outcome.status === 200)).toBe(true);
      expect(outcomes.length).toBeGreaterThan(signalAfter);
      expect((await server.exited).code).toBe(0);
    },
    60_000,
  );
});
