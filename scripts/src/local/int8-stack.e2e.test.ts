// model.precision int8 end to end on loopback: the stack's model is built int8, served, and the precision shows in results and summary.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseResult } from "@inference-fleet/load-test";
import { afterAll, describe, expect, it, vi } from "vitest";
import { main } from "../cli.js";
import { captureConsole } from "../testing/capture-console.js";

afterAll(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe("fleet local with model.precision int8", () => {
  it("generates an int8 model, serves it, and reports int8 per server in results.json and the summary", { timeout: 120_000 }, async () => {
    const work = mkdtempSync(path.join(tmpdir(), "fleet-int8-"));
    const out = path.join(work, "results");
    vi.stubEnv("FLEET_LOAD_TEST_DURATION", "2s");
    vi.stubEnv("FLEET_MODEL_SOURCE", path.join(work, "model"));
    vi.stubEnv("FLEET_MODEL_PRECISION", "int8");
    const printed = captureConsole();
    expect(await main(["local", "--stack", "dev", "--generator", "local", "--out", out])).toBe(0);
    const modelInfo = JSON.parse(readFileSync(path.join(work, "model", "model.json"), "utf8")) as { precision: string };
    expect(modelInfo.precision).toBe("int8");
    const result = parseResult(JSON.parse(readFileSync(path.join(out, "results.json"), "utf8")));
    expect(result.requests).toBeGreaterThan(0);
    expect(result.servers.map((server) => server.precision)).toEqual(["int8", "int8"]);
    expect(readFileSync(path.join(out, "summary.md"), "utf8")).toContain("Model precision: int8 on 2 of 2 servers");

    // The same dir asked for at fp32 is refused rather than measured as the wrong model.
    vi.stubEnv("FLEET_MODEL_PRECISION", "fp32");
    expect(await main(["local", "--stack", "dev", "--generator", "local", "--out", path.join(work, "again")])).toBe(1);
    expect(printed.err()).toMatch(/is int8, but the stack asks for model\.precision fp32/);
  });
});
