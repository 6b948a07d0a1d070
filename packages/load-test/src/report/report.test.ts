import { describe, expect, it } from "vitest";
import { ResultRecorder } from "../recorder.js";
import type { LoadTestResult, ServerInfo } from "../results.js";
import { renderHtml } from "./html.js";
import { renderMarkdown } from "./markdown.js";
import { seriesRows, summarizeRun } from "./runs.js";

const START = Date.UTC(2025, 5, 1, 10, 0, 0);

/** Ten seconds at `rps` successful requests per second, each `ms` long. */
function run(labels: Record<string, string>, rps: number, ms: number, servers: ServerInfo[] = []): LoadTestResult {
  const recorder = new ResultRecorder(START);
  for (let s = 0; s < 10; s++) for (let i = 0; i < rps; i++) recorder.recordResponse(ms, 200, START + s * 1000 + (i * 1000) / rps);
  recorder.recordResponse(ms, 503, START + 5000);
  return recorder.finish({ generator: "local", mode: "bmk", targets: ["http://127.0.0.1:8080"], models: ["model0"], labels, servers }, START + 10_000);
}

describe("summarizeRun", () => {
  it("prices a run from the catalog: USD per hour x servers / (throughput x 3600) x 1e6", () => {
    const summary = summarizeRun(run({ instanceType: "c7g.xlarge", servers: "2" }, 100, 5), 0);
    expect(summary.result.throughput).toBe(100);
    expect(summary.throughputPerInstance).toBe(50);
    expect(summary.usdPerMillion).toBeCloseTo((0.145 * 2 * 1e6) / (100 * 3600), 10);
  });

  it("leaves a run without an instance type unpriced and rejects an unknown one", () => {
    expect(summarizeRun(run({}, 10, 5), 0).usdPerMillion).toBeUndefined();
    expect(() => summarizeRun(run({ instanceType: "c99.huge" }, 10, 5), 0)).toThrow(/Unknown instance type "c99.huge"/);
  });
});

describe("renderMarkdown", () => {
  it("has one row per run with throughput, percentiles, error rate and cost", () => {
    const text = renderMarkdown([run({ stack: "c7g", instanceType: "c7g.xlarge" }, 100, 5), run({ stack: "g5", instanceType: "g5.xlarge" }, 300, 2)]);
    expect(text).toMatch(/\| c7g \/ c7g.xlarge \| c7g.xlarge \| 1 \| not recorded \| bmk \| 1,001 \| 100 \| 100 \| 5(\.0\d)? ms \|/);
    expect(text).toMatch(/\| g5 \/ g5.xlarge \| g5.xlarge \| 1 \| not recorded \| bmk \| 3,001 \| 300 \|/);
    expect(text).toContain("0.10%");
    expect(text).toContain("errors: http_503: 1");
    expect(text).toMatch(/Prices: on-demand Linux in us-east-1/);
  });
});

describe("the execution provider in reports", () => {
  const gpu = [
    { target: "http://a:8080", executionProvider: "cuda" },
    { target: "http://b:8080", executionProvider: "cuda" },
  ];
  const fellBack = [
    { target: "http://a:8080", executionProvider: "cuda" },
    { target: "http://b:8080", executionProvider: "cpu" },
  ];

  it("says which provider served each run, so a GPU run that fell back to CPU shows", () => {
    const unknown = [{ target: "http://c:8080" }];
    const text = renderMarkdown([run({ stack: "g5" }, 10, 1, gpu), run({ stack: "g5-fallback" }, 10, 1, fellBack), run({ stack: "c7g" }, 10, 1, unknown)]);
    expect(text).toMatch(/\| g5 \| - \| 1 \| cuda on 2 of 2 servers \|/);
    expect(text).toContain("**g5**: ");
    expect(text).toMatch(/Execution provider: cuda on 2 of 2 servers\./);
    expect(text).toMatch(/Execution provider: cuda on 1 of 2 servers, cpu on 1 of 2 servers\./);
    expect(text).toMatch(/Execution provider: unknown on 1 of 1 server\./);
    const html = renderHtml([run({ stack: "g5" }, 10, 1, fellBack)]);
    expect(html).toContain("Execution provider: cuda on 1 of 2 servers, cpu on 1 of 2 servers");
    expect(html).toContain("<th>Execution provider</th>");
  });

  it("says how long the warm-up left out was", () => {
    const recorder = new ResultRecorder(START, 5);
    recorder.recordResponse(1, 200, START + 6000);
    const result = recorder.finish({ generator: "local", mode: "bmk", targets: [], models: ["model0"], labels: {} }, START + 15_000);
    expect(renderMarkdown([result])).toContain("(10 s after a 5 s warm-up left out of the figures)");
    expect(renderHtml([result])).toContain("requests in 10 s (after a 5 s warm-up, left out)");
  });
});

describe("renderHtml", () => {
  const html = renderHtml([run({ stack: "c7g", instanceType: "c7g.xlarge" }, 100, 5), run({ stack: "<g5>", instanceType: "g5.xlarge" }, 300, 2)]);

  it("is self-contained: no scripts, no external styles, images or fonts", () => {
    expect(html).not.toMatch(/<script|<link|src=|url\(|@import|https?:\/\/(?!aws\.amazon\.com)/);
    expect(html).toMatch(/^<!doctype html>/);
  });

  it("draws time charts and, for several runs, side-by-side bars", () => {
    expect(html.match(/<svg /g)!.length).toBe(3 + 1 + 2); // 3 bar charts, throughput, latency per run
    expect(html).toContain("Throughput per instance");
    expect(html).toContain("USD per million inferences");
    expect(html).toMatch(/<polyline points="[\d., ]+"/);
  });

  it("escapes labels", () => {
    expect(html).toContain("&lt;g5&gt;");
    expect(html).not.toContain("<g5>");
  });

  it("shows no comparison for a single run", () => {
    expect(renderHtml([run({}, 10, 1)])).not.toContain("Side by side");
  });
});

describe("seriesRows", () => {
  it("gives partial first and last seconds their rate per covered second, and drops slivers", () => {
    // 100 req/s from 0.5 s into the first second to 0.1 s into the fourth.
    const start = START + 500;
    const recorder = new ResultRecorder(start);
    for (let t = 0; t < 2600; t += 10) recorder.recordResponse(1, 200, start + t);
    const rows = seriesRows(
      recorder.finish({ generator: "local", mode: "rate", targets: ["http://127.0.0.1:8080"], models: ["model0"], labels: {} }, start + 2600),
    );
    expect(rows.map((row) => row.t)).toEqual([0, 1, 2]);
    for (const row of rows) expect(row.throughput).toBeCloseTo(100, 0);
  });
});
