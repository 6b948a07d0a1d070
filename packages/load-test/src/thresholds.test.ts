import { describe, expect, it } from "vitest";
import { LatencyHistogram } from "./histogram.js";
import { k6ConfigFromEnv } from "./k6/config.js";
import { scriptMetricNames, SLO_FAILED_METRIC, SLO_LATENCY_METRIC } from "./k6/metrics.js";
import { LOAD_MODES, buildResult, type LoadTestResult } from "./results.js";
import type { Slo } from "@inference-fleet/fleet-config";
import { buildThresholds, evaluateThresholds, K6_BUILTIN_METRICS } from "./thresholds.js";

const slo: Slo = { percentile: 90, latencyMs: 100, maxErrorRate: 0.01 };

/** 1000 requests at `latencyMs` each, `failed` of them failed with HTTP 503. */
function run(latencyMs: number, failed: number): LoadTestResult {
  const histogram = new LatencyHistogram();
  for (let i = 0; i < 1000; i++) histogram.record(latencyMs);
  return buildResult({
    generator: "local",
    mode: "bmk",
    targets: [],
    models: [],
    labels: {},
    startMs: 0,
    endMs: 10_000,
    requests: 1000,
    errors: failed ? { http_503: failed } : {},
    histogram: histogram.toJSON(),
    series: [],
  });
}

describe("buildThresholds", () => {
  it("turns the SLO into k6 thresholds on the script's measured metrics, with abortOnFail for runaway errors", () => {
    expect(buildThresholds(slo)).toEqual({
      [SLO_LATENCY_METRIC]: ["p(90)<=100"],
      [SLO_FAILED_METRIC]: [{ threshold: "rate<0.01", abortOnFail: true, delayAbortEval: "10s" }],
    });
    const abortOnLatency = buildThresholds(slo, { abortOnLatency: true })[SLO_LATENCY_METRIC];
    expect(abortOnLatency).toEqual([{ threshold: "p(90)<=100", abortOnFail: true, delayAbortEval: "10s" }]);
  });

  it("waits for 10 s of measured requests before aborting, not 10 s of warm-up", () => {
    const thresholds = buildThresholds(slo, { abortOnLatency: true, warmupSeconds: 5 });
    for (const list of Object.values(thresholds)) expect(list).toEqual([expect.objectContaining({ abortOnFail: true, delayAbortEval: "15s" })]);
  });

  it("never names k6's built-ins, which count warm-up and setup() requests too", () => {
    expect(Object.keys(buildThresholds(slo)).filter((metric) => metric.startsWith("http_"))).toEqual([]);
  });

  it("rejects an SLO that cannot be met, saying which variable to fix", () => {
    expect(() => buildThresholds({ ...slo, percentile: 0 })).toThrow(/SLO_PERCENTILE/);
    expect(() => buildThresholds({ ...slo, maxErrorRate: 1 })).toThrow(/MAX_ERROR_RATE/);
  });

  it.each(LOAD_MODES)("names only metrics k6 builds in or the script defines (mode %s)", (mode) => {
    const known = new Set<string>([...K6_BUILTIN_METRICS, ...scriptMetricNames()]);
    const { options } = k6ConfigFromEnv({ TARGETS: "http://a", MODELS: "m", MODE: mode });
    // A submetric (name{tag:value,...}, e.g. a target's counts) names its metric before the braces.
    for (const metric of Object.keys(options.thresholds!)) expect(known).toContain(metric.replace(/\{.*\}$/, ""));
  });
});

describe("evaluateThresholds", () => {
  const thresholds = buildThresholds(slo);

  it("passes a run inside the SLO", () => {
    expect(evaluateThresholds(thresholds, run(50, 5)).every((t) => t.passed)).toBe(true);
  });

  it.each([
    [SLO_LATENCY_METRIC, run(150, 0)],
    [SLO_FAILED_METRIC, run(50, 20)],
  ])("trips the %s threshold on bad data, and only that one", (metric, bad) => {
    const failed = evaluateThresholds(thresholds, bad).filter((t) => !t.passed);
    expect(failed.map((t) => t.metric)).toEqual([metric]);
  });

  it("every threshold built from the SLO can fail", () => {
    const bad = run(1000, 500);
    const outcomes = evaluateThresholds(buildThresholds(slo, { abortOnLatency: true }), bad);
    expect(outcomes.length).toBe(2);
    expect(outcomes.every((t) => !t.passed)).toBe(true);
  });

  it("refuses a threshold on a metric k6 does not have, instead of passing it", () => {
    expect(() => evaluateThresholds({ http_req_duraton: ["p(90)<100"] }, run(1, 0))).toThrow(/unknown metric "http_req_duraton"/);
    expect(() => evaluateThresholds({ http_req_failed: ["p(90)<100"] }, run(1, 0))).toThrow(/does not apply/);
  });

  it("reads k6's other aggregations", () => {
    const values = evaluateThresholds({ http_req_duration: ["avg<10", "med<10", "max<10", "min<10"], http_reqs: ["count>=1000", "rate>99"] }, run(5, 0));
    expect(values.every((t) => t.passed)).toBe(true);
  });

  it("reads the script's measured metrics like the built-ins they stand for", () => {
    const thresholds = { [SLO_LATENCY_METRIC]: ["avg<10", "p(99)<10"], [SLO_FAILED_METRIC]: ["rate<0.01"], fleet_requests: ["count>=1000"] };
    expect(evaluateThresholds(thresholds, run(5, 0)).every((t) => t.passed)).toBe(true);
    expect(
      evaluateThresholds(thresholds, run(50, 100))
        .filter((t) => !t.passed)
        .map((t) => t.expression),
    ).toEqual(["avg<10", "p(99)<10", "rate<0.01"]);
  });
});
