// End to end: `fleet local --stack dev` with a tiny model and a 3 s load test, real model servers on loopback.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseResult, totalErrors } from "@inference-fleet/load-test";
import { afterAll, describe, expect, it, vi } from "vitest";
import { main } from "../cli.js";

afterAll(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe("fleet local --stack dev", () => {
  it("generates the model, serves it, load-tests it, stops the servers and writes the results and report", { timeout: 60_000 }, async () => {
    const work = mkdtempSync(path.join(tmpdir(), "fleet-local-e2e-"));
    const out = path.join(work, "results");
    vi.stubEnv("FLEET_LOAD_TEST_DURATION", "3s");
    vi.stubEnv("FLEET_MODEL_SOURCE", path.join(work, "model"));
    const printed: string[] = [];
    vi.spyOn(console, "log").mockImplementation((...args) => void printed.push(args.join(" ")));

    expect(await main(["local", "--stack", "dev", "--generator", "local", "--out", out])).toBe(0);

    expect(existsSync(path.join(work, "model", "model.onnx"))).toBe(true);
    const result = parseResult(JSON.parse(readFileSync(path.join(out, "results.json"), "utf8")), "results.json");
    expect(result.requests).toBeGreaterThan(0);
    expect(result.throughput).toBeGreaterThan(0);
    expect(totalErrors(result.errors)).toBe(0);
    const { min, p50, p90, p99, max } = result.latencyMs;
    expect(min).toBeLessThanOrEqual(p50);
    expect(p50).toBeLessThanOrEqual(p90);
    expect(p90).toBeLessThanOrEqual(p99);
    expect(p99).toBeLessThanOrEqual(max);
    expect(result.targets).toHaveLength(2);
    expect(result.models).toEqual(["model0", "model1"]);
    expect(result.labels).toMatchObject({ stack: "dev", where: "local" });

    const summary = readFileSync(path.join(out, "summary.md"), "utf8");
    expect(summary).toMatch(/- dev: (meets|misses) the SLO \(p90 <= 100 ms/);
    expect(printed.join("\n")).toContain(summary.trim().split("\n")[0]);
    const html = readFileSync(path.join(out, "report.html"), "utf8");
    expect(html).toContain("<svg");
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="https?:/);

    // The servers are gone.
    for (const target of result.targets) await expect(fetch(`${target}/v2/health/ready`)).rejects.toThrow();
  });
});
