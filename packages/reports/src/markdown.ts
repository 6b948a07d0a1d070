import type { LoadTestResult } from "@inference-fleet/load-test";
import { describeExecutionProviders, describePrecisions } from "@inference-fleet/load-test";
import { autoscaleMarkdown } from "./autoscale-report.js";
import { breakdownOf, breakdownTables, missingSplitNote } from "./breakdown.js";
import { describeServedModel } from "@inference-fleet/load-test";
import { formatErrors, formatMs, formatNumber, formatUsd } from "./format.js";
import { priceNote } from "./pricing.js";
import { summarizeRun, type RunSummary } from "./runs.js";
import { describeSloInFull } from "@inference-fleet/fleet-config";
import { buildVerdict, shortNames } from "./verdict.js";

/** A capacity search's curve: one row per step, by offered rate. */
function curveTable(run: RunSummary, name: string): string[] {
  const verdict = run.capacity!;
  const at = verdict.atCapacity;
  const capacity = `${run.capacityIsLowerBound ? "at least " : ""}${formatNumber(verdict.capacityAtSlo)} req/s`;
  const there =
    at && `${formatNumber(at.achievedRate)} req/s achieved, p${run.percentile} ${formatMs(run.latencyAtRateMs)}, ${(at.errorRate * 100).toFixed(2)}% errors`;
  const answer = at ? `capacity ${capacity} at ${describeSloInFull(verdict.slo)} (there: ${there})` : `no step held ${describeSloInFull(verdict.slo)}`;
  const rows = verdict.curve.map((p) => {
    const outcome = p.holds ? "holds" : `breaks: ${p.reasons.join("; ")}`;
    const cells = [formatNumber(p.offeredRate), formatNumber(p.achievedRate), formatMs(p.p50), formatMs(p.p90), formatMs(p.p99), String(p.errors), outcome];
    return `| ${cells.join(" | ")} |`;
  });
  return [`**${name}**: ${answer}`, "", "| offered req/s | achieved req/s | p50 | p90 | p99 | errors | SLO |", "|--:|--:|--:|--:|--:|--:|---|", ...rows, ""];
}

/** Where the time goes in each run that says: findings, then per server, per model and the servers' queue vs inference split. */
function breakdownSection(runs: readonly RunSummary[], names: readonly string[]): string[] {
  const lines: string[] = [];
  runs.forEach((run, i) => {
    const breakdown = breakdownOf(run.result);
    if (!breakdown) return;
    lines.push(`**${names[i]}**`, "", ...breakdown.findings.map((f) => `- ${f}`), "");
    for (const table of breakdownTables(breakdown)) {
      lines.push(`${table.title}:`, "", `| ${table.columns.join(" | ")} |`, `|---|${"--:|".repeat(table.columns.length - 1)}`);
      lines.push(...table.rows.map((row) => `| ${row.join(" | ")} |`), "");
    }
    const missing = missingSplitNote(run.result);
    if (missing) lines.push(`> ${missing}`, "");
  });
  return lines.length > 0 ? ["## Where the time goes", "", ...lines] : [];
}

/** A Markdown summary of one or more results: the verdict first, then one table row per result, then each capacity search's curve. */
export function renderMarkdown(results: readonly LoadTestResult[]): string {
  const runs = results.map(summarizeRun);
  const names = shortNames(runs);
  const verdict = buildVerdict(runs);
  const lines = ["# Load test results", "", `**Verdict: ${verdict.headline}**`, ""];
  if (runs.length > 1) lines.push(...verdict.lines.map((line) => `- ${line}`), "");
  if (verdict.notes.length > 0) lines.push(...verdict.notes.map((note) => `> ${note}`), "");
  const columns = ["Run", "Instance type", "Nodes", "Execution provider", "Mode", "Requests", "Throughput (req/s)", "Capacity at SLO (req/s)"];
  columns.push("Per node (req/s)", "p50", "p90", "p99", "max", "Error rate", "USD / 1M inferences");
  lines.push(`| ${columns.join(" | ")} |`, `|---|---|--:|---|---|${"--:|".repeat(columns.length - 5)}`);
  runs.forEach((run, i) => {
    const r = run.result;
    const l = r.latencyMs;
    const cells = [names[i]!, run.instanceType ?? "-", String(run.servers), describeExecutionProviders(r), run.capacity ? "capacity" : r.mode];
    cells.push(
      r.requests.toLocaleString("en-US"),
      formatNumber(r.throughput),
      run.capacity ? `${run.capacityIsLowerBound ? ">= " : ""}${formatNumber(run.capacity.capacityAtSlo)}` : "-",
    );
    cells.push(formatNumber(run.ratePerInstance), ...[l.p50, l.p90, l.p99, l.max].map(formatMs));
    cells.push(`${(run.errorRate * 100).toFixed(2)}%`, formatUsd(run.usdPerMillion));
    lines.push(`| ${cells.join(" | ")} |`);
  });
  lines.push("");
  const searches = runs.flatMap((run, i) => (run.capacity ? [curveTable(run, names[i]!)] : []));
  if (searches.length > 0) lines.push("## Capacity at the SLO", "", ...searches.flat());
  lines.push(...breakdownSection(runs, names));
  lines.push(...autoscaleMarkdown(runs, names));
  runs.forEach((run, i) => {
    const r = run.result;
    const warmup = r.warmupSeconds > 0 ? ` after a ${formatNumber(r.warmupSeconds)} s warm-up left out of the figures` : "";
    const when = `${r.startTime} to ${r.endTime} (${formatNumber(r.durationSeconds)} s${warmup})`;
    const cost = run.price ? ` Cost: ${run.price.description}.` : "";
    lines.push(
      `- **${names[i]}**${names[i] !== run.name ? ` (${run.name})` : ""}: ${when}, ${r.generator} generator, ${r.sources} source(s), ` +
        `targets ${r.targets.join(", ")}; models ${r.models.join(", ")}; errors: ${formatErrors(r.errors)}. ` +
        `Execution provider: ${describeExecutionProviders(r)}. Model precision: ${describePrecisions(r)}.${cost}` +
        (r.model ? ` Model: ${describeServedModel(r.model)}.` : ""),
    );
  });
  if (runs.some((run) => run.usdPerMillion !== undefined)) lines.push("", priceNote());
  lines.push("", "Percentiles are read from the merged latency histograms (1% buckets), never averaged across generators.");
  return lines.join("\n") + "\n";
}
