import { usdPerMillionInferences } from "@inference-fleet/fleet-config";
import { describe, expect, it } from "vitest";
import { ResultRecorder } from "@inference-fleet/load-test";
import type { LoadTestResult, ServerInfo } from "@inference-fleet/load-test";
import { renderHtml } from "./html.js";
import { renderMarkdown } from "./markdown.js";
import { seriesRows, summarizeRun } from "./runs.js";
import { escapeHtml } from "./svg.js";
import { capacityRun, FIXTURE_START as START, fleetRun, plainRun } from "./test-fixtures.js";

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
    expect(summary.price!.description).toBe("priced as 2 x c7g.xlarge ($0.145/h each on-demand, us-east-1)");
  });

  it("leaves a run without an instance type unpriced, saying why, and rejects an unknown one with the nearest names", () => {
    const unpriced = summarizeRun(run({}, 10, 5), 0);
    expect(unpriced.usdPerMillion).toBeUndefined();
    expect(unpriced.costAbsent).toMatch(/the results name no instance type: label them/);
    expect(() => summarizeRun(run({ instanceType: "c7g.xlarg" }, 10, 5), 0)).toThrow(/Unknown instance type "c7g.xlarg". Did you mean "c7g.xlarge"/);
  });

  it("tells a local run how to get a cost, and prices it as the declared instance type or price", () => {
    expect(summarizeRun(run({ where: "local" }, 10, 5), 0).costAbsent).toMatch(/--as INSTANCE_TYPE \(e\.g\. --as c7i\.large\) or --usd-per-hour N/);
    const asType = summarizeRun(run({ where: "local", instanceType: "c7i.large" }, 100, 5), 0);
    expect(asType.price!.description).toBe("this machine priced as c7i.large ($0.08925/h on-demand, us-east-1)");
    const declared = summarizeRun(run({ where: "local", usdPerHour: "0.5" }, 100, 5), 0);
    expect(declared.price!.description).toBe("this machine priced at $0.5/h (declared)");
    expect(declared.usdPerMillion).toBeCloseTo((0.5 * 1e6) / (100 * 3600), 10);
  });

  it("prices a capacity search at its capacity, found at the knee of a synthetic queueing curve", () => {
    // p90 = 5 ms + an exponential wait of mean 5 ms x load / (1 - load): 100 ms at load 0.892, 1,784 req/s of 2,000.
    const summary = summarizeRun(capacityRun({ instanceType: "c7g.2xlarge" }, { serviceRate: 2000 }), 0);
    expect(summary.capacity!.capacityAtSlo).toBeGreaterThan(1500);
    expect(summary.capacity!.capacityAtSlo).toBeLessThanOrEqual(1784);
    expect(summary.rate).toBe(summary.capacity!.capacityAtSlo);
    expect(summary.latencyAtRateMs).toBeLessThanOrEqual(100);
    expect(summary.usdPerMillion).toBeCloseTo(usdPerMillionInferences("c7g.2xlarge", summary.capacity!.capacityAtSlo), 12);
    expect(summary.meetsSlo).toBe(true);
  });

  it("calls a search's capacity a lower bound when no step broke the SLO", () => {
    const full = capacityRun({ stack: "dev", instanceType: "c7g.2xlarge" }, { serviceRate: 2000 });
    const cut = { ...full, capacity: { ...full.capacity!, steps: full.capacity!.steps.filter((step) => step.offeredRate <= 1000) } };
    const summary = summarizeRun(cut, 0);
    expect(summary.capacityIsLowerBound).toBe(true);
    expect(summarizeRun(full, 0).capacityIsLowerBound).toBe(false);
    expect(renderMarkdown([cut])).toContain(
      "**Verdict: 1 x c7g.2xlarge serves at least 1,000 req/s at p90 <= 100 ms (no step broke it within the search's budget) for $212/month",
    );
  });

  it("does not price a search in which no step held the SLO", () => {
    const none = summarizeRun(capacityRun({ instanceType: "c7g.2xlarge" }, { serviceRate: 2000, baseMs: 150 }), 0);
    expect(none.capacity!.capacityAtSlo).toBe(0);
    expect(none.usdPerMillion).toBeUndefined();
    expect(none.costAbsent).toBe("no step held the SLO, so there is no capacity to price");
  });

  it("judges a plain run against its slo label", () => {
    expect(summarizeRun(run({ slo: "p90<=10ms errors<=1%" }, 100, 5), 0).meetsSlo).toBe(true);
    expect(summarizeRun(run({ slo: "p90<=4ms" }, 100, 5), 0).meetsSlo).toBe(false);
    expect(summarizeRun(run({}, 100, 5), 0).meetsSlo).toBeUndefined();
    expect(() => summarizeRun(run({ slo: "fast" }, 100, 5), 0)).toThrow(/Label slo="fast" is not understood/);
  });
});

describe("the verdict", () => {
  const c7g = capacityRun({ stack: "c7g", instanceType: "c7g.2xlarge", servers: "1" }, { serviceRate: 2000 });
  const c7i = capacityRun({ stack: "c7i", instanceType: "c7i.2xlarge", servers: "1" }, { serviceRate: 1500 });

  it("leads the Markdown and the HTML with the same answer: N x TYPE serve R req/s at the SLO for $X/month, and how much cheaper", () => {
    const headline =
      "1 x c7g.2xlarge serves 1,750 req/s at p90 <= 100 ms for $212/month ($0.0460 per million inferences); " +
      "1.6x cheaper than c7i.2xlarge (per million: $0.0460-$0.0460 vs $0.0754-$0.0754)";
    const markdown = renderMarkdown([c7i, c7g]);
    expect(markdown.split("\n")[2]).toBe(`**Verdict: ${headline}**`);
    expect(renderHtml([c7i, c7g])).toContain(`<p class="headline">${escapeHtml(headline)}</p>`);
  });

  it("says 'within noise', not 'cheaper', when the runs' cost spreads overlap", () => {
    // Two plain runs 10% apart whose per-second throughput swings by half: the spreads overlap.
    const jumpy = (stack: string, base: number) => {
      const result = plainRun({ stack, instanceType: "c7g.xlarge", slo: "p90<=100ms" }, base, [5]);
      return { ...result, series: result.series.map((p, i) => ({ ...p, requests: Math.round(p.requests * (i % 2 ? 1.5 : 0.5)) })) };
    };
    const markdown = renderMarkdown([jumpy("b", 100), jumpy("a", 110)]);
    expect(markdown.split("\n")[2]).toMatch(
      /^\*\*Verdict: 1 x c7g\.xlarge \(a\) serves 110 req\/s .*; within noise of b \/ c7g\.xlarge \(per million: \$[\d.]+-\$[\d.]+ vs .* overlap\)\*\*$/,
    );
    expect(markdown).not.toContain("cheaper");
  });

  it("never gives an interrupted run a verdict, and marks it in the summary and on the page", () => {
    const stopped = { ...plainRun({ stack: "dev", instanceType: "c7i.large", slo: "p90<=100ms" }, 50, [5]), interrupted: true, durationSeconds: 0.08 };
    expect(renderMarkdown([stopped]).split("\n")[2]).toBe(
      "**Verdict: No verdict: c7i.large: interrupted after 0.08 s of measurement: partial results, no verdict.**",
    );
    const html = renderHtml([stopped]);
    expect(html).toContain('<section class="verdict none" id="verdict">');
    expect(html).toContain('<p class="incomplete">Interrupted after 0.08 s of measurement: partial results, no verdict.</p>');
    // Beside a complete run, the complete one wins whatever the figures.
    const complete = plainRun({ stack: "dev-b", instanceType: "c7i.xlarge", slo: "p90<=100ms" }, 20, [5]);
    expect(renderMarkdown([stopped, complete]).split("\n")[2]).toMatch(/^\*\*Verdict: 1 x c7i\.xlarge serves 20 req\/s/);
  });

  it("ranks unpriced local searches by rate per node and says why there is no cost", () => {
    const a = capacityRun({ stack: "dev", where: "local" }, { serviceRate: 1000 });
    const b = capacityRun({ stack: "dev-no-batching", where: "local" }, { serviceRate: 500 });
    const markdown = renderMarkdown([b, a]);
    expect(markdown).toMatch(/\*\*Verdict: dev: 875 req\/s per node at p90 <= 100 ms, no cost; 2\.0x the rate per node of dev-no-batching\*\*/);
    expect(markdown).toContain("> No cost for dev-no-batching, dev: a local run does not know which instance type this machine stands for");
  });

  it("says when the rate is a measured throughput, not a capacity, and when no run holds its SLO", () => {
    const measured = renderMarkdown([run({ stack: "g5", slo: "p90<=100ms" }, 100, 5)]);
    expect(measured).toContain("**Verdict: g5: 100 req/s per node measured (p90 5");
    expect(measured).toContain("holds p90 <= 100 ms), no cost**");
    expect(measured).toMatch(/> g5: not a capacity search/);
    expect(renderMarkdown([run({ stack: "g5", slo: "p90<=1ms" }, 100, 5)])).toContain("**Verdict: No run holds its SLO (p90 <= 1 ms): see each run below.**");
  });
});

describe("where the time goes", () => {
  it("prints per server, per model and the servers' queue vs inference split in the Markdown, with findings first", () => {
    const markdown = renderMarkdown([fleetRun({ stack: "fleet", slo: "p90<=100ms" })]);
    const section = markdown.slice(markdown.indexOf("## Where the time goes"));
    expect(section).toContain("- Unbalanced: 127.0.0.1:8081 served 200 req/s and 127.0.0.1:8082 90 req/s (10.0% errors there)");
    expect(section).toContain("- Queue-bound at 127.0.0.1:8082: a request spent 28 ms in the server, of which 9 ms in a run and 19 ms waiting");
    expect(section).toContain("| server | req/s | share | p50 | p90 | p99 | errors |");
    expect(section).toMatch(/\| 127\.0\.0\.1:8082 \| 90 \| 31% \| [\d.]+ ms \| [\d.]+ ms \| [\d.]+ ms \| 100 \(10\.0%\) \|/);
    expect(section).toMatch(/\| model1 \| 1[45]\d \| /);
    expect(section).toContain("| 127.0.0.1:8081 | 7.5 ms | 6 ms | 1.5 ms | 1.00 | 1.20 |");
  });

  it("does not call a lightly loaded server CPU-bound", () => {
    const light = fleetRun({ stack: "light" });
    const serverTimes = light.serverTimes!.map((t) => ({ ...t, inferenceSeconds: t.inferenceSeconds / 10, requestSeconds: t.requestSeconds / 10 }));
    const markdown = renderMarkdown([{ ...light, serverTimes: [serverTimes[0]!] }]);
    expect(markdown).toContain("- Room to spare at 127.0.0.1:8081: inference is 0.6 ms of the 0.75 ms a request spent in the server, but only 0.12 s");
    expect(markdown).not.toContain("CPU-bound");
  });

  it("says why a run has no queue vs inference split", () => {
    const markdown = renderMarkdown([run({ stack: "k6ish" }, 10, 5)]);
    expect(markdown).toContain("> No queue vs inference split: the servers' /metrics (model_server_* histograms) were not read during this run");
  });
});

describe("renderMarkdown", () => {
  it("has one row per run with throughput, percentiles, error rate and cost", () => {
    const text = renderMarkdown([run({ stack: "c7g", instanceType: "c7g.xlarge" }, 100, 5), run({ stack: "g5", instanceType: "g5.xlarge" }, 300, 2)]);
    expect(text).toMatch(/\| c7g.xlarge \| c7g.xlarge \| 1 \| not recorded \| bmk \| 1,001 \| 100 \| - \| 100 \| 5(\.0\d)? ms \|/);
    expect(text).toMatch(/\| g5.xlarge \| g5.xlarge \| 1 \| not recorded \| bmk \| 3,001 \| 300 \| - \| 300 \|/);
    expect(text).toContain("0.10%");
    expect(text).toContain("errors: http_503: 1");
    expect(text).toMatch(/Catalog prices: on-demand Linux in us-east-1/);
  });

  it("prints each capacity search's curve, step by step", () => {
    const text = renderMarkdown([capacityRun({ stack: "c7g", instanceType: "c7g.2xlarge" }, { serviceRate: 2000 })]);
    expect(text).toContain("## Capacity at the SLO");
    expect(text).toMatch(/\*\*c7g.2xlarge\*\*: capacity 1,750 req\/s at p90 <= 100 ms, at most 1% errors \(there: 1,750 req\/s achieved, p90 8\d\.\d ms/);
    expect(text).toMatch(/\| 2,000 \| 2,000 \| 2\.02 s \| 2\.41 s \| 2\.5 s \| 0 \| breaks: p90 2408\.6 ms > 100 ms \|/);
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

  it("draws a curve per run, time charts and, for several runs, side-by-side and cost bars", () => {
    expect(html.match(/<svg viewBox/g)!.length).toBe(2 + 1 + 2); // a curve per run, throughput, latency per run
    expect(html).toContain("Requests per second per node");
    expect(html).toContain("USD per million inferences");
    expect(html).toMatch(/<polyline points="[\d., ]+"/);
  });

  it("draws a run with no latencies (0 ms, or none at all) on a one-decade latency axis", () => {
    const zero = renderHtml([run({ stack: "zero" }, 10, 0)]);
    expect(zero).toContain(`class="tick" text-anchor="end">10</text>`);
    const recorder = new ResultRecorder(START);
    const empty = recorder.finish({ generator: "k6", mode: "bmk", targets: [], models: ["model0"], labels: {} }, START + 1000);
    expect(renderHtml([empty])).toContain("no per-second latencies");
  });

  it("escapes labels", () => {
    expect(html).toContain("&lt;g5&gt;");
    expect(html).not.toContain("<g5>");
  });

  it("shows no comparison for a single run, and says why a run has no cost", () => {
    const single = renderHtml([run({ where: "local" }, 10, 1)]);
    expect(single).not.toContain("Side by side");
    expect(single).toContain("no cost, a local run does not know which instance type this machine stands for");
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
