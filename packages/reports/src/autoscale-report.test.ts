import { describe, expect, it } from "vitest";
import { mergeResults } from "@inference-fleet/load-test";
import { parseResult } from "@inference-fleet/load-test";
import type { LoadTestResult } from "@inference-fleet/load-test";
import { renderHtml } from "./html.js";
import { renderMarkdown } from "./markdown.js";
import { replicaSteps } from "./autoscale-report.js";
import { FIXTURE_START, plainRun } from "./test-fixtures.js";

const S = (n: number) => `http://127.0.0.1:4000${n}`;

function autoscaledRun(): LoadTestResult {
  const run = plainRun({ stack: "dev", slo: "p90<=100ms" }, 100, [5, 6, 7, 8, 120]);
  const at = (seconds: number) => Date.parse(run.startTime) + seconds * 1000;
  return {
    ...run,
    mode: "ramp",
    autoscale: {
      rule: { metric: "model_server_requests_in_flight", target: 2, min: 1, max: 4, tolerance: 0.1, scaleDownWindowSeconds: 10, intervalSeconds: 1 },
      points: [
        { atMs: at(0), replicas: 1, metric: 0.5, desired: 1 },
        { atMs: at(1), replicas: 1, metric: 5, desired: 3 },
        { atMs: at(3), replicas: 3, metric: 1.9, desired: 3 },
        { atMs: at(9), replicas: 1, metric: 0, desired: 1 },
      ],
      events: [
        { atMs: at(2), action: "added", target: S(1) },
        { atMs: at(2.5), action: "added", target: S(2) },
        { atMs: at(8), action: "drained", target: S(2) },
      ],
    },
    slowest: [
      {
        traceId: "aa".repeat(16),
        target: S(1),
        latencyMs: 120,
        at: new Date(FIXTURE_START).toISOString(),
        server: { queueMs: 90, inferenceMs: 4, batch: "77", batchSize: 4 },
      },
      { traceId: "bb".repeat(16), target: S(0), latencyMs: 8, at: new Date(FIXTURE_START).toISOString() },
    ],
  };
}

describe("autoscaling and slowest requests in the report", () => {
  it("keep old results files parsing, and round-trip the new fields", () => {
    const old = plainRun({ stack: "dev" }, 100, [5, 6]);
    expect(parseResult(JSON.parse(JSON.stringify(old))).slowest).toBeUndefined();
    const run = autoscaledRun();
    const parsed = parseResult(JSON.parse(JSON.stringify(run)));
    expect(parsed.autoscale).toEqual(run.autoscale);
    expect(parsed.slowest).toEqual(run.slowest);
  });

  it("draws replicas as steps over the run's time axis", () => {
    const steps = replicaSteps(autoscaledRun());
    expect(steps.map(([, r]) => r)).toEqual([1, 1, 1, 1, 3, 3, 1]);
    expect(steps.at(-1)![0] - steps[0]![0]).toBeCloseTo(9, 5);
  });

  it("summary.md names the rule, the replicas at start, most and end, the events and the slowest requests' breakdown", () => {
    const md = renderMarkdown([autoscaledRun()]);
    expect(md).toContain("## Autoscaling");
    expect(md).toMatch(/1 to 4 servers at 2 model_server_requests_in_flight per server/);
    expect(md).toContain("Servers: 1 at the start, at most 3, 1 at the end.");
    expect(md).toMatch(/127\.0\.0\.1:40002 drained/);
    expect(md).toContain("## The 10 slowest requests");
    expect(md).toContain(`| ${"aa".repeat(16)} | 127.0.0.1:40001 | 120 ms | 77 | 4 | 90 ms | 4 ms | 26 ms |`);
    expect(md).toContain(`| ${"bb".repeat(16)} | 127.0.0.1:40000 | 8 ms | - | - | - | - | - |`);
  });

  it("names every metric of a rule that read several, and keeps each point's means", () => {
    const run = autoscaledRun();
    const triggers = [
      { metric: "inference req/s", target: 70 },
      { metric: "model_server_queue_depth", target: 4 },
    ];
    const rule = { ...run.autoscale!.rule, metric: "inference req/s", target: 70, triggers };
    const points = run.autoscale!.points.map((p) => ({ ...p, metrics: { "inference req/s": 50, model_server_queue_depth: 0 } }));
    const twoMetrics = { ...run, autoscale: { ...run.autoscale!, rule, points } };
    expect(parseResult(JSON.parse(JSON.stringify(twoMetrics))).autoscale).toEqual(twoMetrics.autoscale);
    expect(renderMarkdown([twoMetrics])).toMatch(/1 to 4 servers at 70 inference req\/s or 4 model_server_queue_depth per server, whichever asks for more/);
  });

  it("report.html draws replicas beside latency with the SLO line and lists the slowest requests", () => {
    const html = renderHtml([autoscaledRun()]);
    expect(html).toContain("Autoscaling: replicas beside latency");
    expect(html).toContain("Servers taking load");
    expect(html).toMatch(/SLO p90 &lt;= 100 ms|SLO p90 <= 100 ms/);
    expect(html).toContain("The 10 slowest requests");
    expect(html).toContain("aa".repeat(16));
  });

  it("a report without these fields has neither section", () => {
    const plain = plainRun({ stack: "dev" }, 100, [5, 6]);
    expect(renderMarkdown([plain])).not.toContain("## Autoscaling");
    expect(renderHtml([plain])).not.toContain("The 10 slowest requests");
  });

  it("merging generators keeps the slowest of all", () => {
    const a = { ...plainRun({ pod: "0" }, 100, [5]), slowest: autoscaledRun().slowest };
    const b = {
      ...plainRun({ pod: "1" }, 100, [5]),
      slowest: [{ traceId: "cc".repeat(16), target: S(3), latencyMs: 50, at: new Date(FIXTURE_START).toISOString() }],
    };
    expect(mergeResults([a, b]).slowest!.map((r) => r.latencyMs)).toEqual([120, 50, 8]);
  });
});
