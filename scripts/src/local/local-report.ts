// What `fleet local` leaves behind: results JSON, a Markdown summary (also printed) and an HTML report.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { totalErrors } from "@inference-fleet/load-test";
import { renderHtml, renderMarkdown } from "@inference-fleet/reports";
import { describeSloInFull, figuresMeetSlo, type Slo } from "@inference-fleet/fleet-config";
import type { LocalRun } from "./run-local.js";

/** results/<name>-2025-11-25T20-01-02 under the repo root. */
export function timestampedDir(resultsRoot: string, name: string, now = new Date()): string {
  return path.join(resultsRoot, `${name}-${now.toISOString().slice(0, 19).replace(/:/g, "-")}`);
}

function verdict(run: LocalRun, slo: Slo): string {
  const { result } = run;
  const errorRate = result.requests > 0 ? totalErrors(result.errors) / result.requests : 1;
  const met = !run.sloBreachReported && figuresMeetSlo({ throughput: result.throughput, latencyMs: result.latencyMs, errorRate }, slo);
  const note = (run.interrupted ? " (interrupted by Ctrl-C: partial results)" : "") + (run.failure ? ` (FAILED: ${run.failure})` : "");
  // Partial figures judge nothing: an interrupted run neither meets nor misses its SLO.
  const outcome = run.interrupted ? "no verdict on" : met && !run.failure ? "meets" : "misses";
  return (
    `- ${run.stack}: ${outcome} the SLO (${describeSloInFull(slo)}): ${result.latencyMs[`p${slo.percentile}` as "p90"].toFixed(1)} ms at ` +
    `${result.throughput.toFixed(1)} req/s, ${(errorRate * 100).toFixed(2)}% errors${note}`
  );
}

/**
 * Summary of one or more local runs: the report's Markdown (the verdict, the table, each capacity
 * search's curve), then whether each stack's measured figures met its SLO.
 */
function renderLocalSummary(runs: readonly { run: LocalRun; slo: Slo }[]): string {
  const report = renderMarkdown(runs.map(({ run }) => run.result)).trimEnd();
  return `${report}\n\n## SLO\n\n${runs.map(({ run, slo }) => verdict(run, slo)).join("\n")}\n`;
}

/**
 * Writes results.json (several runs: results-<stack>.json each), summary.md and report.html into `dir`;
 * returns the summary text.
 */
export function writeLocalResults(dir: string, runs: readonly { run: LocalRun; slo: Slo }[], title: string): string {
  mkdirSync(dir, { recursive: true });
  const results = runs.map(({ run }) => run.result);
  const summary = renderLocalSummary(runs);
  for (const { run } of runs) {
    const file = runs.length === 1 ? "results.json" : `results-${run.stack}.json`;
    writeFileSync(path.join(dir, file), `${JSON.stringify(run.result, null, 2)}\n`);
  }
  writeFileSync(path.join(dir, "summary.md"), summary);
  writeFileSync(path.join(dir, "report.html"), renderHtml(results, title));
  return summary;
}
