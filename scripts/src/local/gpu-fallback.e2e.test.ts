// A GPU stack run on this GPU-less machine: the real server cannot start CUDA and falls back to CPU; the
// results must say so, and the run must fail unless the stack allows it.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseResult } from "@inference-fleet/load-test";
import { afterAll, describe, expect, it, vi } from "vitest";
import { main } from "../cli.js";

afterAll(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe("fleet local with a gpu stack on a machine without a GPU", () => {
  const work = mkdtempSync(path.join(tmpdir(), "fleet-gpu-fallback-"));
  const run = async (allowCpuFallback: boolean) => {
    const out = path.join(work, `results-${allowCpuFallback}`);
    // g5's file searches the capacity (as every AWS stack does): a short fixed load is enough here.
    vi.stubEnv("FLEET_LOAD_TEST_MODE", "bmk");
    vi.stubEnv("FLEET_LOAD_TEST_DURATION", "2s");
    vi.stubEnv("FLEET_LOAD_TEST_CONCURRENCY", "2");
    // The run's exit code is about the fallback here, not latency: a loaded test machine must not miss the SLO for it.
    vi.stubEnv("FLEET_LOAD_TEST_SLO", "p90<=30s");
    vi.stubEnv("FLEET_MODEL_SOURCE", path.join(work, "model"));
    vi.stubEnv("FLEET_MODEL_GENERATE_SIZE", "tiny");
    vi.stubEnv("FLEET_SERVER_NUM_MODELS", "1");
    vi.stubEnv("FLEET_SERVER_ALLOW_CPU_FALLBACK", String(allowCpuFallback));
    const printed: string[] = [];
    vi.spyOn(console, "log").mockImplementation((...args) => void printed.push(args.join(" ")));
    const code = await main(["local", "--stack", "g5", "--generator", "local", "--out", out]);
    vi.mocked(console.log).mockRestore();
    return {
      code,
      printed: printed.join("\n"),
      result: existsSync(path.join(out, "results.json")) ? parseResult(JSON.parse(readFileSync(path.join(out, "results.json"), "utf8"))) : undefined,
    };
  };

  it("writes results.json showing cpu and fails the stack, naming the server and the fix", { timeout: 90_000 }, async () => {
    const { code, printed, result } = await run(false);
    expect(result?.servers.map((server) => server.executionProvider)).toEqual(["cpu"]);
    expect(printed).toMatch(/FAILED: \[g5\] stack g5 asked for cuda .* but http:\/\/127\.0\.0\.1:\d+ ran on cpu.*allowCpuFallback/);
    expect(code).toBe(1);
  });

  it("keeps the run when the stack sets server.allowCpuFallback", { timeout: 90_000 }, async () => {
    const { code, result } = await run(true);
    expect(result?.servers.map((server) => server.executionProvider)).toEqual(["cpu"]);
    expect(code).toBe(0);
  });
});
