import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { buildVerdict, renderHtml, summarizeRun } from "@inference-fleet/reports";
import type { Slo } from "@inference-fleet/fleet-config";
import { renderComparisonMarkdown, type StackFailure, type StackSummary } from "./comparison.js";
import type { StackRun } from "./run-matrix.js";

export interface MatrixReport {
  readonly summaries: StackSummary[];
  readonly failures: StackFailure[];
  readonly markdown: string;
}

/** Sorts the runs into compared stacks and failures (a failed destroy counts as a failure: resources are left up). */
export function buildMatrixReport(runs: readonly StackRun[], slo: Slo): MatrixReport {
  const summaries: StackSummary[] = [];
  const failures: StackFailure[] = [];
  for (const run of runs) {
    if (run.status === "measured") summaries.push(run.summary);
    if (run.status === "failed") failures.push({ stack: run.stack, reason: `${run.step} failed: ${run.reason}` });
    if (run.status !== "previewed" && run.destroyError) failures.push({ stack: run.stack, reason: run.destroyError });
  }
  // The same verdict report.html leads with, so comparison.md and the page cannot disagree.
  const measured = runs.flatMap((run) => (run.status === "measured" ? [run.merged] : []));
  const verdict = measured.length > 0 ? buildVerdict(measured.map((merged, i) => summarizeRun(merged, i))).headline : undefined;
  return { summaries, failures, markdown: renderComparisonMarkdown(summaries, failures, slo, verdict) };
}

/** Writes comparison.md, comparison.json, report.html (charts across stacks) and each stack's merged results (<stack>.json) into `outDir`. */
export function writeMatrixReport(outDir: string, runs: readonly StackRun[], report: MatrixReport): string[] {
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  const write = (name: string, text: string) => {
    const file = path.join(outDir, name);
    writeFileSync(file, text);
    written.push(file);
  };
  write("comparison.md", report.markdown);
  write("comparison.json", `${JSON.stringify({ summaries: report.summaries, failures: report.failures }, null, 2)}\n`);
  const measured = runs.flatMap((run) => (run.status === "measured" ? [run] : []));
  for (const run of measured) write(`${run.stack}.json`, `${JSON.stringify(run.merged, null, 2)}\n`);
  if (measured.length > 0)
    write(
      "report.html",
      renderHtml(
        measured.map((run) => run.merged),
        "Instance-type comparison",
      ),
    );
  return written;
}

/** What a preview-only run prints: the changes each stack would make. */
export function renderPreviewSummary(runs: readonly StackRun[]): string {
  return runs
    .map((run) => {
      if (run.status === "previewed") {
        const changes = Object.entries(run.changes)
          .map(([op, count]) => `${count} ${op}`)
          .join(", ");
        return `${run.stack}: preview ok (${changes || "no changes"})`;
      }
      return `${run.stack}: ${run.status === "failed" ? `${run.step} failed: ${run.reason}` : run.status}`;
    })
    .join("\n");
}
