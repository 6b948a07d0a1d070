import type { LoadTestResult } from "../results.js";
import { formatErrors, formatMs, formatNumber, formatUsd } from "./format.js";
import { priceNote, summarizeRun } from "./runs.js";

/** A Markdown summary of one or more results: one table row per result, cheapest first when priced. */
export function renderMarkdown(results: readonly LoadTestResult[]): string {
  const runs = results.map(summarizeRun);
  const lines = [
    "# Load test results",
    "",
    "| Run | Instance type | Servers | Mode | Requests | Throughput (req/s) | Per instance (req/s) | p50 | p90 | p99 | max | Error rate | USD / 1M inferences |",
    "|---|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
  ];
  for (const run of runs) {
    const r = run.result;
    const l = r.latencyMs;
    lines.push(
      `| ${run.name} | ${run.instanceType ?? "-"} | ${run.servers} | ${r.mode} | ${r.requests.toLocaleString("en-US")} | ${formatNumber(r.throughput)} | ${formatNumber(run.throughputPerInstance)} | ${formatMs(l.p50)} | ${formatMs(l.p90)} | ${formatMs(l.p99)} | ${formatMs(l.max)} | ${(run.errorRate * 100).toFixed(2)}% | ${formatUsd(run.usdPerMillion)} |`,
    );
  }
  lines.push("");
  for (const run of runs) {
    const r = run.result;
    lines.push(`- **${run.name}**: ${r.startTime} to ${r.endTime} (${formatNumber(r.durationSeconds)} s), ${r.generator} generator, ${r.sources} source(s), targets ${r.targets.join(", ")}; models ${r.models.join(", ")}; errors: ${formatErrors(r.errors)}.`);
  }
  if (runs.some((run) => run.usdPerMillion !== undefined)) lines.push("", priceNote());
  lines.push("", "Percentiles are read from the merged latency histograms (1% buckets), never averaged across generators.");
  return lines.join("\n") + "\n";
}
