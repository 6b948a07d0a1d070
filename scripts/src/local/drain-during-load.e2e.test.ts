// Issue #23 item 3, locally: one of two real model servers drains (SIGTERM) in the middle of an open-loop run that
// was not told. Requests it refuses are sent again to the other server; each request is counted once, and the
// errors stay inside the SLO's error budget.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadStackConfig, defaultStacksDir } from "@inference-fleet/fleet-config";
import { openLoopSchedule, runLoad, sloOfConfig, totalErrors } from "@inference-fleet/load-test";
import { startServerProcess, type ServerProcess } from "@inference-fleet/model-server";
import { generateModel } from "@inference-fleet/model-zoo";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let root: string;
let modelDir: string;
const started: ServerProcess[] = [];

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "drain-during-load-"));
  modelDir = (await generateModel({ size: "tiny", seed: 7, outDir: path.join(root, "tiny") })).dir;
}, 60_000);
afterAll(async () => {
  await Promise.all(started.map((server) => server.stop(0)));
  await rm(root, { recursive: true, force: true });
});

describe("draining one of two servers during an open-loop run", () => {
  it("loses no request, counts each once and stays within the error budget", { timeout: 90_000 }, async () => {
    const slo = sloOfConfig(loadStackConfig("dev", { stacksDir: defaultStacksDir() }));
    const servers = await Promise.all([0, 1].map(() => startServerProcess({ MODEL_DIR: modelDir, DRAIN_TIMEOUT_MS: "10000" })));
    started.push(...servers);
    const [stays, drains] = servers as [ServerProcess, ServerProcess];
    const rate = 100;
    const seconds = 3;
    const running = runLoad({
      targets: [stays.url, drains.url],
      models: ["model0"],
      mode: "rate",
      rate,
      durationSeconds: seconds,
      retryRefused: true,
      serverMetrics: false,
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    drains.kill("SIGTERM");
    const result = await running;
    expect((await drains.exited).code).toBe(0);

    // Every request the schedule made due was sent and counted exactly once: none lost, none twice.
    const schedule = openLoopSchedule(rate, 0);
    let due = 0;
    while (schedule(due) < seconds * 1000) due++;
    expect(result.requests).toBe(due);
    const errors = totalErrors(result.errors);
    expect(result.histogram.count + errors).toBe(result.requests);
    expect(errors / result.requests, JSON.stringify(result.errors)).toBeLessThanOrEqual(slo.maxErrorRate);
    // The drained server took its share before it left.
    const drained = result.byTarget!.find((part) => part.name === drains.url)!;
    expect(drained.requests).toBeGreaterThan(0);
  });
});
