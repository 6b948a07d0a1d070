// The report's "Where the time goes" section: per run, the findings (unbalanced, queue-bound,
// CPU-bound), then the per-server, per-model and queue vs inference tables (see breakdown.ts).
import type { RunSummary } from "./runs.js";
import { breakdownOf, breakdownTables, missingSplitNote, type BreakdownTable } from "./breakdown.js";
import { escapeHtml } from "./svg.js";

/** A table that stacks its rows as labelled blocks on a narrow page (see .stacked in the report's CSS), so it never scrolls sideways. */
export function stackedTable(columns: readonly string[], rows: readonly (readonly string[])[], className = ""): string {
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = rows.map((row) => `<tr>${row.map((cell, i) => `<td data-label="${escapeHtml(columns[i]!)}">${escapeHtml(cell)}</td>`).join("")}</tr>`);
  return `<table class="stacked${className ? ` ${className}` : ""}"><thead><tr>${head}</tr></thead><tbody>${body.join("")}</tbody></table>`;
}

function tableHtml(table: BreakdownTable): string {
  return `<h4>${escapeHtml(table.title)}</h4>${stackedTable(table.columns, table.rows, "breakdown")}`;
}

export function breakdownHtml(runs: readonly RunSummary[], names: readonly string[]): string {
  const cards = runs.flatMap((run, i) => {
    const breakdown = breakdownOf(run.result);
    if (!breakdown) return [];
    const missing = missingSplitNote(run.result);
    return [
      `<div class="card where"><h3><span>${escapeHtml(names[i]!)}</span></h3>` +
        breakdown.findings.map((f) => `<p class="finding">${escapeHtml(f)}</p>`).join("") +
        breakdownTables(breakdown).map(tableHtml).join("") +
        (missing ? `<p class="note">${escapeHtml(missing)}</p>` : "") +
        `</div>`,
    ];
  });
  return cards.length > 0 ? `<h2>Where the time goes</h2><div class="stacks">${cards.join("")}</div>` : "";
}
