// Shared by the matrix tests: load-test results with chosen throughput and latency.
import { buildResult, LatencyHistogram, type LoadTestResult } from "@inference-fleet/load-test";

/** A result of `requests` requests over 10 s, all answered in `latencyMs`, `errors` of them failed. */
export function fakeResult(options: { requests?: number; latencyMs?: number; errors?: number; pod?: string } = {}): LoadTestResult {
  const requests = options.requests ?? 1000;
  const histogram = new LatencyHistogram();
  for (let i = 0; i < requests; i++) histogram.record(options.latencyMs ?? 20);
  const start = Date.parse("2025-11-01T00:00:00Z");
  return buildResult({
    generator: "k6",
    mode: "bmk",
    targets: ["http://server-0:8080"],
    models: ["model0"],
    labels: { pod: options.pod ?? "0" },
    startMs: start,
    endMs: start + 10_000,
    requests,
    errors: options.errors ? { http_503: options.errors } : {},
    histogram: histogram.toJSON(),
    series: [],
  });
}
