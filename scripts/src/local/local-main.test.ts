// fleet local's flow (several stacks, Ctrl-C, usage errors) with stand-in servers: real processes answering HTTP on loopback.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseResult } from "@inference-fleet/load-test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { UsageError } from "../command.js";
import { localMain } from "./local-main.js";
import type { ServerLaunch } from "@inference-fleet/model-server";

// Ready at once; answers every request with 200 after 2 ms.
const standIn = (env: Record<string, string>): ServerLaunch => ({
  command: process.execPath,
  args: [
    "-e",
    `require("node:http").createServer((q, s) => setTimeout(() => s.end('{"detail":"x"}'), 2)).listen(Number(process.env.PORT), process.env.HOST); ` +
      `process.on("SIGTERM", () => process.exit(0));`,
  ],
  env: { ...process.env, ...env },
});

let work: string;
beforeEach(() => {
  work = mkdtempSync(path.join(tmpdir(), "fleet-local-"));
  // Both stacks small and short, whatever their files say: one server, tiny model, 1 s.
  vi.stubEnv("FLEET_LOAD_TEST_DURATION", "1s");
  vi.stubEnv("FLEET_LOAD_TEST_PODS", "1");
  vi.stubEnv("FLEET_LOAD_TEST_CONCURRENCY", "2");
  vi.stubEnv("FLEET_SERVER_NUM_SERVERS", "1");
  vi.stubEnv("FLEET_MODEL_SOURCE", path.join(work, "model"));
  vi.stubEnv("FLEET_MODEL_GENERATE_SIZE", "tiny");
});
afterEach(() => vi.unstubAllEnvs());

describe("localMain", () => {
  it("--compare runs each stack in turn and writes one comparison", { timeout: 30_000 }, async () => {
    const lines: string[] = [];
    const out = path.join(work, "out");
    expect(await localMain({ compare: "dev,c7i", out }, { launch: standIn, log: (line) => lines.push(line) })).toBe(0);
    const stacks = ["dev", "c7i"].map((stack) => parseResult(JSON.parse(readFileSync(path.join(out, `results-${stack}.json`), "utf8")), stack).labels.stack);
    expect(stacks).toEqual(["dev", "c7i"]);
    const summary = readFileSync(path.join(out, "summary.md"), "utf8");
    expect(summary).toMatch(/- dev: meets the SLO[\s\S]*- c7i: meets the SLO/);
    expect(existsSync(path.join(out, "report.html"))).toBe(true);
    const order = lines.filter((line) => /stopping servers|load test:/.test(line));
    expect(order).toEqual([
      expect.stringMatching(/^\[dev\] load test/),
      "[dev] stopping servers ...",
      expect.stringMatching(/^\[c7i\] load test/),
      "[c7i] stopping servers ...",
    ]);
  });

  it("on interrupt stops the load test, stops the servers and writes the partial results", { timeout: 30_000 }, async () => {
    vi.stubEnv("FLEET_LOAD_TEST_DURATION", "30s");
    // Stopped 0.5 s in: with the default 5 s warm-up nothing would be counted yet.
    vi.stubEnv("FLEET_LOAD_TEST_WARMUP", "0s");
    const interrupt = new AbortController();
    const lines: string[] = [];
    const out = path.join(work, "out");
    const log = (line: string) => {
      lines.push(line);
      if (line.includes("load test:")) setTimeout(() => interrupt.abort(), 500);
    };
    const started = Date.now();
    expect(await localMain({ stack: "dev", out }, { launch: standIn, log, interrupt: interrupt.signal })).toBe(130);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(lines).toContain("[dev] stopping servers ...");
    const result = parseResult(JSON.parse(readFileSync(path.join(out, "results.json"), "utf8")), "results.json");
    expect(result.requests).toBeGreaterThan(0);
    expect(result.durationSeconds).toBeLessThan(10);
    expect(readFileSync(path.join(out, "summary.md"), "utf8")).toContain("interrupted by Ctrl-C: partial results");
  });

  it.each([
    [{ stack: "dev", compare: "dev,c7i" }, /not both/],
    [{}, /Give --stack NAME/],
    [{ compare: "dev" }, /at least two stacks/],
    [{ compare: "dev,dev" }, /lists a stack twice/],
    [{ stack: "dev", generator: "wrk" }, /--generator must be one of auto, local, k6/],
  ])("rejects %o", async (options, message) => {
    await expect(localMain(options)).rejects.toThrow(UsageError);
    await expect(localMain(options)).rejects.toThrow(message);
  });
});
