import type { LoadTestResult } from "../results.js";
import { describeExecutionProviders, describePrecisions } from "../servers.js";
import { formatErrors, formatMs, formatNumber, formatUsd } from "./format.js";
import { priceNote, summarizeRun } from "./runs.js";

/** A Markdown summary of one or more results: one table row per result, cheapest first when priced. */
export function renderMarkdown(results: readonly LoadTestResult[]): string {
  const runs = results.map(summarizeRun);
  const columns = ["Run", "Instance type", "Servers", "Execution provider", "Mode", "Requests", "Throughput (req/s)", "Per instance (req/s)"];
  columns.push("p50", "p90", "p99", "max", "Error rate", "USD / 1M inferences");
  const lines = ["# Load test results", "", `| ${columns.join(" | ")} |`, "|---|---|--:|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"];
  for (const run of runs) {
    const r = run.result;
    const l = r.latencyMs;
    const cells = [run.name, run.instanceType ?? "-", String(run.servers), describeExecutionProviders(r), r.mode, r.requests.toLocaleString("en-US")];
    cells.push(formatNumber(r.throughput), formatNumber(run.throughputPerInstance), ...[l.p50, l.p90, l.p99, l.max].map(formatMs));
    cells.push(`${(run.errorRate * 100).toFixed(2)}%`, formatUsd(run.usdPerMillion));
    lines.push(`| ${cells.join(" | ")} |`);
  }
  lines.push("");
  for (const run of runs) {
    const r = run.result;
    const warmup = r.warmupSeconds > 0 ? ` after a ${formatNumber(r.warmupSeconds)} s warm-up left out of the figures` : "";
    const when = `${r.startTime} to ${r.endTime} (${formatNumber(r.durationSeconds)} s${warmup})`;
    lines.push(
      `- **${run.name}**: ${when}, ${r.generator} generator, ${r.sources} source(s), targets ${r.targets.join(", ")}; models ${r.models.join(", ")}; ` +
        `errors: ${formatErrors(r.errors)}. Execution provider: ${describeExecutionProviders(r)}. Model precision: ${describePrecisions(r)}.`,
    );
  }
  if (runs.some((run) => run.usdPerMillion !== undefined)) lines.push("", priceNote());
  lines.push("", "Percentiles are read from the merged latency histograms (1% buckets), never averaged across generators.");
  return lines.join("\n") + "\n";
}
