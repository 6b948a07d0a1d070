import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { shardOwner } from "@inference-fleet/fleet-config";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { MAX_ANSWER_BYTES } from "./answer.js";
import { bundleK6Script, importedModules } from "./bundle.js";
import { loadBundledScript, type FakeResponse } from "./k6/fake-k6.test-helper.js";
import { percentilesFromHistogram } from "./histogram.js";
import { scriptMetricNames, SLO_FAILED_METRIC, SLO_LATENCY_METRIC } from "./k6/metrics.js";
import { parseResult } from "./results-schema.js";
import { executionProvidersOf } from "./servers.js";
import { evaluateThresholds, type Thresholds } from "./thresholds.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** The thresholds that judge the run: not the count>=0 ones that only make k6 keep a submetric. */
function sloThresholds(thresholds: Thresholds): Thresholds {
  return Object.fromEntries(Object.entries(thresholds).filter(([, list]) => !list.every((t) => t === "count>=0")));
}
let bundle: string;
beforeAll(async () => {
  bundle = await bundleK6Script();
});

describe("bundleK6Script", () => {
  it("produces one file that imports nothing but k6's own modules", () => {
    const imports = importedModules(bundle);
    expect(imports.sort()).toEqual(["k6", "k6/execution", "k6/http", "k6/metrics"]);
    expect(bundle).not.toMatch(/\brequire\(|import\(/);
    expect(bundle).toMatch(/export\s*\{[^}]*handleSummary/);
    // Small enough for a ConfigMap (1 MiB) with room to spare, and zod stayed out.
    expect(bundle.length).toBeLessThan(100_000);
    expect(bundle).not.toMatch(/ZodError/);
  });

  it("type-checks against @types/k6", async () => {
    const tsc = promisify(execFile)(
      process.execPath,
      [`${repoRoot}node_modules/typescript/bin/tsc`, "--noEmit", "-p", "packages/load-test/src/k6/tsconfig.json"],
      { cwd: repoRoot },
    );
    await expect(tsc).resolves.toBeDefined();
  }, 30_000);
});

describe("the bundled script on a stand-in k6 runtime", () => {
  const env = {
    TARGETS: "http://s0:8080,http://s1:8080/",
    MODELS: "model0,model1",
    MODE: "seq",
    DURATION: "30s",
    POD_INDEX: "3",
    LABELS: "stack=c7g",
    RESULTS_PATH: "/results/out.json",
  };
  const latencies = [2, 4, 8, 16, 32, 64, 128, 256];
  /** s0 reports cuda; s1 is an older server that does not say. */
  const metadata = (url: string): FakeResponse | undefined => {
    if (!url.includes("/v2/models/")) return undefined;
    const parameters = url.startsWith("http://s0:8080/") ? { execution_provider: "cuda" } : {};
    return { status: 200, durationMs: 1, body: JSON.stringify({ name: "model0", parameters }) };
  };

  it("cycles servers and models in seq mode and writes the results format in handleSummary", async () => {
    let n = 0;
    const outcomes: FakeResponse[] = latencies.map((ms) => ({ status: 200, durationMs: ms }));
    outcomes.push(
      { status: 503, durationMs: 1 },
      { status: 0, durationMs: 0, errorCode: 1050 },
      { status: 0, durationMs: 0, errorCode: 1211 },
      { status: 418, durationMs: 3 },
    );
    const script = await loadBundledScript(bundle, env, (url) => metadata(url) ?? outcomes[n++]!);
    const setupData = script.setup();
    for (let i = 0; i < outcomes.length; i++) script.default(setupData);
    expect(script.calls.slice(2, 7)).toEqual([
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
    expect(result.histogram.count).toBe(8); // the successes only: no 503, 418, timeout or connection error
    const p = percentilesFromHistogram(result.histogram);
    expect(p.p50 / 16).toBeCloseTo(1, 1);
    expect(files.stdout).toMatch(/^requests=12 .*\nFLEET_RESULTS_JSON \{/);
  });

  it("checks status and body: a 2xx counts only with the whole JSON answer, other answers are errors of their kind", async () => {
    const answer = '{"detail":"x"}';
    const outcomes: FakeResponse[] = [
      { status: 200, durationMs: 5, body: answer, headers: { "Content-Length": String(answer.length) } },
      { status: 200, durationMs: 1, body: answer.slice(0, 6), headers: { "Content-Length": String(answer.length) } },
      { status: 200, durationMs: 1, body: "<html>", headers: { "Content-Length": "6" } },
      { status: 200, durationMs: 1, body: "x".repeat(MAX_ANSWER_BYTES + 1) },
      { status: 200, durationMs: 1, body: '{"error":"no detail"}' },
      { status: 503, durationMs: 1, body: answer },
    ];
    let n = 0;
    const script = await loadBundledScript(bundle, env, (url) => metadata(url) ?? outcomes[n++]!);
    const setupData = script.setup();
    for (let i = 0; i < outcomes.length; i++) script.default(setupData);
    const result = parseResult(JSON.parse(script.handleSummary(script.summaryData(setupData))["/results/out.json"]!));
    expect(result.errors).toEqual({ length_mismatch: 1, bad_body: 2, body_too_large: 1, http_503: 1 });
    expect(result.histogram.count).toBe(1);
    expect(result.latencyMs.max / 5).toBeCloseTo(1, 1); // from its bucket: k6 keeps no exact max
    expect(script.samples("checks{check:status is 2xx}")).toEqual([1, 1, 1, 1, 1, 0]);
    expect(script.samples("checks{check:body is the whole answer}")).toEqual([1, 0, 0, 0, 0, 1]);
  });

  it("asks every server in setup() what it runs on, reading the body although the script discards bodies", async () => {
    const script = await loadBundledScript(bundle, env, (url) => metadata(url) ?? { status: 200, durationMs: 1 });
    expect(script.options.discardResponseBodies).toBe(true);
    const setupData = script.setup();
    expect(script.calls).toEqual(["GET http://s0:8080/v2/models/model0", "GET http://s1:8080/v2/models/model0"]);
    script.default(setupData);
    const result = parseResult(JSON.parse(script.handleSummary(script.summaryData(setupData))["/results/out.json"]!));
    expect(result.servers).toEqual([{ target: "http://s0:8080", executionProvider: "cuda" }, { target: "http://s1:8080/" }]);
    expect(executionProvidersOf(result)).toEqual(
      new Map([
        ["http://s0:8080", "cuda"],
        ["http://s1:8080/", undefined],
      ]),
    );
    // The metadata requests are k6 requests too, but not load: only the one inference counts.
    expect(result.requests).toBe(1);
  });

  it("asks each server about a model it owns when models are sharded, and takes no answer as unknown", async () => {
    const models = Array.from({ length: 12 }, (_, i) => `model${i}`);
    const refused = (): FakeResponse => ({ status: 0, durationMs: 0, errorCode: 1211 });
    const script = await loadBundledScript(bundle, { ...env, MODELS: models.join(","), MODEL_ROUTING: "shard" }, refused);
    const setupData = script.setup();
    const asked = script.calls.map((call) => /\/v2\/models\/(\w+)$/.exec(call)![1]!);
    expect(asked.map((model) => shardOwner(model, 2))).toEqual([0, 1]);
    expect(setupData.servers).toEqual([{ target: "http://s0:8080" }, { target: "http://s1:8080/" }]);
  });

  describe("warm-up", () => {
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(Date.UTC(2026, 0, 1, 12, 0, 0));
    });
    afterEach(() => vi.useRealTimers());

    /** Four slow failures, then 2 s on, six fast successes: the warm-up alone breaks the SLO. */
    const respond = (url: string): FakeResponse => {
      if (url.includes("/v2/models/")) return { status: 404, durationMs: 1 };
      const warm = Date.now() >= Date.UTC(2026, 0, 1, 12, 0, 2);
      return warm ? { status: 200, durationMs: 5 } : { status: 503, durationMs: 900 };
    };

    it("records nothing that arrives before start + WARMUP, in the results or the thresholds' metrics", async () => {
      const script = await loadBundledScript(bundle, { ...env, MODE: "bmk", WARMUP: "2s", DURATION: "10s" }, respond);
      const setupData = script.setup();
      for (let i = 0; i < 4; i++) script.default(setupData);
      vi.setSystemTime(setupData.startMs + 2000);
      for (let i = 0; i < 6; i++) script.default(setupData);
      vi.setSystemTime(setupData.startMs + 10_000);
      const result = parseResult(JSON.parse(script.handleSummary(script.summaryData(setupData))["/results/out.json"]!));
      expect(result).toMatchObject({ requests: 6, errors: {}, warmupSeconds: 2, durationSeconds: 8, throughput: 6 / 8 });
      expect(result.histogram.count).toBe(6);
      expect(Date.parse(result.startTime)).toBe(setupData.startMs + 2000);
      expect(script.samples(SLO_LATENCY_METRIC)).toEqual([5, 5, 5, 5, 5, 5]);
      expect(script.samples(SLO_FAILED_METRIC)).toEqual([0, 0, 0, 0, 0, 0]);
      // With the warm-up left out the run meets its SLO; counted in, it would not.
      expect(evaluateThresholds(sloThresholds(script.options.thresholds as Thresholds), result).every((t) => t.passed)).toBe(true);
    });

    it("counts only the capped scenario when MAX_REQUESTS is set, whatever the clock says", async () => {
      const capped = { ...env, MODE: "bmk", MAX_REQUESTS: "3", WARMUP: "2s", DURATION: "10s" };
      const script = await loadBundledScript(bundle, capped, () => ({ status: 200, durationMs: 5 }));
      expect(Object.keys(script.options.scenarios)).toEqual(["warmup", "bmk"]);
      const setupData = script.setup();
      vi.setSystemTime(setupData.startMs + 3000);
      script.default(setupData); // the warm-up scenario's last iteration, ending after the warm-up
      script.setScenario("bmk");
      // k6 starts the capped scenario when the warm-up ends: a clock a little behind must not lose a request.
      vi.setSystemTime(setupData.startMs + 1999);
      for (let i = 0; i < 3; i++) script.default(setupData);
      const result = parseResult(JSON.parse(script.handleSummary(script.summaryData(setupData))["/results/out.json"]!));
      expect(result.requests).toBe(3);
    });
  });

  it("declares thresholds only on metrics the script creates, which leave the warm-up out", async () => {
    const script = await loadBundledScript(bundle, { ...env, MODE: "ramp" }, () => ({ status: 200, durationMs: 1 }));
    expect(Object.keys(sloThresholds(script.options.thresholds as Thresholds)).sort()).toEqual([SLO_LATENCY_METRIC, SLO_FAILED_METRIC].sort());
    // The rest only make k6 keep each target's and model's submetrics of the script's counters.
    const created = new Set(scriptMetricNames());
    for (const name of Object.keys(script.options.thresholds)) expect(created.has(name.replace(/\{.*$/, "")), name).toBe(true);
    expect(script.metrics.get(SLO_LATENCY_METRIC)).toBe("trend");
    expect(script.metrics.get(SLO_FAILED_METRIC)).toBe("rate");
    expect(Object.keys(script.options.scenarios)).toEqual(["ramp"]);
  });
});
