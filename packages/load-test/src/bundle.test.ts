import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { bundleK6Script, importedModules } from "./bundle.js";
import { loadBundledScript, type FakeResponse } from "./k6/fake-k6.test-helper.js";
import { percentilesFromHistogram } from "./histogram.js";
import { parseResult } from "./results-schema.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
let bundle: string;
beforeAll(async () => {
  bundle = await bundleK6Script();
});

describe("bundleK6Script", () => {
  it("produces one file that imports nothing but k6's own modules", () => {
    const imports = importedModules(bundle);
    expect(imports.sort()).toEqual(["k6/execution", "k6/http", "k6/metrics"]);
    expect(bundle).not.toMatch(/\brequire\(|import\(/);
    expect(bundle).toMatch(/export\s*\{[^}]*handleSummary/);
    // Small enough for a ConfigMap (1 MiB) with room to spare, and zod stayed out.
    expect(bundle.length).toBeLessThan(100_000);
    expect(bundle).not.toMatch(/ZodError/);
  });

  it("type-checks against @types/k6", async () => {
    const tsc = promisify(execFile)(process.execPath, [`${repoRoot}node_modules/typescript/bin/tsc`, "--noEmit", "-p", "packages/load-test/src/k6/tsconfig.json"], { cwd: repoRoot });
    await expect(tsc).resolves.toBeDefined();
  }, 30_000);
});

describe("the bundled script on a stand-in k6 runtime", () => {
  const env = { TARGETS: "http://s0:8080,http://s1:8080/", MODELS: "model0,model1", MODE: "seq", DURATION: "30s", POD_INDEX: "3", LABELS: "stack=c7g", RESULTS_PATH: "/results/out.json" };
  const latencies = [2, 4, 8, 16, 32, 64, 128, 256];

  it("cycles servers and models in seq mode and writes the results format in handleSummary", async () => {
    let n = 0;
    const outcomes: FakeResponse[] = latencies.map((ms) => ({ status: 200, durationMs: ms }));
    outcomes.push({ status: 503, durationMs: 1 }, { status: 0, durationMs: 0, errorCode: 1050 }, { status: 0, durationMs: 0, errorCode: 1211 }, { status: 418, durationMs: 3 });
    const script = await loadBundledScript(bundle, env, () => outcomes[n++]!);
    const setupData = script.setup();
    for (let i = 0; i < outcomes.length; i++) script.default();
    expect(script.calls.slice(0, 5)).toEqual([
      "GET http://s0:8080/predictions/model0",
      "GET http://s0:8080/predictions/model1",
      "GET http://s1:8080/predictions/model0",
      "GET http://s1:8080/predictions/model1",
      "GET http://s0:8080/predictions/model0",
    ]);
    const files = script.handleSummary(script.summaryData(setupData));
    const result = parseResult(JSON.parse(files["/results/out.json"]!));
    expect(result).toMatchObject({ generator: "k6", mode: "seq", requests: 12, labels: { stack: "c7g", pod: "3", generator: "k6" } });
    expect(result.errors).toEqual({ http_503: 1, timeout: 1, connection: 1, http_other: 1 });
    expect(result.histogram.count).toBe(10); // responses with a status, not the two without
    const p = percentilesFromHistogram(result.histogram);
    expect(p.p50 / 8).toBeCloseTo(1, 1);
    expect(files.stdout).toMatch(/^requests=12 .*\nFLEET_RESULTS_JSON \{/);
  });

  it("declares thresholds only on metrics k6 builds in (a misspelled metric would silently pass)", async () => {
    const script = await loadBundledScript(bundle, { ...env, MODE: "ramp" }, () => ({ status: 200, durationMs: 1 }));
    expect(Object.keys(script.options.thresholds).sort()).toEqual(["http_req_duration", "http_req_failed"]);
    expect(Object.keys(script.options.scenarios)).toEqual(["ramp"]);
  });
});
