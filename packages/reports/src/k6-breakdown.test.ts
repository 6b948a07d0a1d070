// The report of a k6 run: where the time goes comes from the per-server and per-model counts the k6
// script writes (here made by the bundled script on load-test's stand-in k6 runtime), and the report
// says why the cluster gives no queue vs inference split.
import { bundleK6Script, mergeResults } from "@inference-fleet/load-test";
import { runTwoServerPod } from "@inference-fleet/load-test/testing";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { renderHtml } from "./html.js";
import { renderMarkdown } from "./markdown.js";

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

beforeEach(() => vi.useFakeTimers({ toFake: ["Date"] }));
afterEach(() => vi.useRealTimers());

describe("the report of a k6 run across two servers and two models", () => {
  it("shows the breakdown in summary.md and report.html, and why the cluster has no queue vs inference split", async () => {
    const bundle = await bundleK6Script();
    const pod = (index: number) => runTwoServerPod(bundle, { pod: index, requests: 400, startMs: T0, setTime: (ms) => vi.setSystemTime(ms) });
    const merged = mergeResults([await pod(0), await pod(1)]);
    expect(merged.generator).toBe("k6");
    const markdown = renderMarkdown([{ ...merged, labels: { ...merged.labels, stack: "c7g" } }]);
    const section = markdown.slice(markdown.indexOf("## Where the time goes"));
    // 800 requests over 10 s, a quarter to each (server, model) pair; s1 fails every model1 request.
    expect(section).toContain("- Unbalanced: s0:8080 served 40 req/s and s1:8080 20 req/s (50.0% errors there)");
    expect(section).toContain("| server | req/s | share | p50 | p90 | p99 | errors |");
    expect(section).toMatch(/\| s0:8080 \| 40 \| 67% \| [\d.]+ ms \| [\d.]+ ms \| [\d.]+ ms \| 0 \|/);
    expect(section).toMatch(/\| s1:8080 \| 20 \| 33% \| 4\d(\.\d+)? ms \| 4\d(\.\d+)? ms \| 4\d(\.\d+)? ms \| 200 \(50\.0%\) \|/);
    expect(section).toMatch(/\| model1 \| 20 \| 33% \| [\d.]+ ms \| [\d.]+ ms \| [\d.]+ ms \| 200 \(50\.0%\) \|/);
    expect(section).toContain("> No queue vs inference split: k6 in the cluster does not read the servers' /metrics");
    const html = renderHtml([merged]);
    expect(html).toContain("<h2>Where the time goes</h2>");
    expect(html).toContain("<h4>Per server</h4>");
    expect(html).toContain("<h4>Per model</h4>");
    expect(html).toContain('<td data-label="server">s1:8080</td>');
  });
});
