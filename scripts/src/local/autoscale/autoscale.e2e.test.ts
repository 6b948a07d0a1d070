// End to end: `fleet local --stack dev --autoscale` with real model servers on loopback, a few seconds of ramp.
// Scale-out is made certain without assuming anything about the CPU: each batch waits 50 ms for company
// (maxQueueDelayMs), so every request stays in flight at least that long, far above the tiny target.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseResult, totalErrors } from "@inference-fleet/load-test";
import { afterAll, describe, expect, it, vi } from "vitest";
import { main } from "../../cli.js";

afterAll(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe("fleet local --stack dev --autoscale", () => {
  it("scales out under the ramp, drains the new server afterwards and reports replicas and the slowest requests", { timeout: 120_000 }, async () => {
    const work = mkdtempSync(path.join(tmpdir(), "fleet-autoscale-e2e-"));
    const out = path.join(work, "results");
    const env: Record<string, string> = {
      FLEET_MODEL_SOURCE: path.join(work, "model"),
      FLEET_LOAD_TEST_DURATION: "6s",
      FLEET_LOAD_TEST_WARMUP: "0.5s",
      FLEET_LOAD_TEST_RAMP_START_RATE: "20",
      FLEET_LOAD_TEST_RAMP_MAX_RATE: "60",
      FLEET_SERVER_MAX_QUEUE_DELAY_MS: "50",
      FLEET_SERVER_AUTOSCALING_TARGET_QUEUE_DEPTH: "0.2",
      FLEET_SERVER_AUTOSCALING_MAX_REPLICAS: "2",
      FLEET_SERVER_AUTOSCALING_SCALE_DOWN_STABILIZATION_SECONDS: "1s",
      FLEET_SERVER_AUTOSCALING_INTERVAL: "0.5s",
    };
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    const printed: string[] = [];
    vi.spyOn(console, "log").mockImplementation((...args) => void printed.push(args.join(" ")));

    const code = await main(["local", "--stack", "dev", "--autoscale", "--out", out]);
    // The SLO verdict is the machine's business (1 on a miss); what is tested here is the scaling.
    expect([0, 1], printed.join("\n")).toContain(code);

    const result = parseResult(JSON.parse(readFileSync(path.join(out, "results.json"), "utf8")), "results.json");
    const record = result.autoscale!;
    const replicas = record.points.map((p) => p.replicas);
    expect(replicas[0]).toBe(1);
    expect(Math.max(...replicas)).toBe(2);
    expect(record.events.map((e) => e.action)).toEqual(["added", "drained"]);
    expect(replicas.at(-1)).toBe(1);
    // Every request counted once, over the servers that took load. (That a server joining mid-run takes its share is
    // the generator's test: here the new server may be ready only after the ramp on a busy machine.)
    expect(result.byTarget!.reduce((n, part) => n + part.requests, 0)).toBe(result.requests);
    expect(totalErrors(result.errors)).toBe(0);
    // The slowest requests carry their server's breakdown (Server-Timing).
    expect(result.slowest!.length).toBe(10);
    expect(result.slowest!.every((r) => r.server?.batch !== undefined && r.server.queueMs !== undefined)).toBe(true);

    expect(readFileSync(path.join(out, "summary.md"), "utf8")).toMatch(/Servers: 1 at the start, at most 2, 1 at the end\./);
    const html = readFileSync(path.join(out, "report.html"), "utf8");
    expect(html).toContain("Servers taking load");
    expect(html).toContain("The 10 slowest requests");
    expect(existsSync(path.join(work, "model", "model.onnx"))).toBe(true);
    for (const target of result.targets) await expect(fetch(`${target}/v2/health/ready`)).rejects.toThrow();
  });
});
