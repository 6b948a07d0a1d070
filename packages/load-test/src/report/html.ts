import type { LoadTestResult } from "../results.js";
import { describeExecutionProviders, describePrecisions } from "../servers.js";
import { formatErrors, formatMs, formatNumber, formatUsd } from "./format.js";
import { priceNote, seriesRows, summarizeRun, type RunSummary } from "./runs.js";
import { barChart, escapeHtml, lineChart, PALETTE } from "./svg.js";

const STYLE = `
:root { color-scheme: light; --ink: #0f172a; --muted: #64748b; --line: #e2e8f0; --card: #ffffff; --bg: #f8fafc; }
* { box-sizing: border-box; }
body { margin: 0; padding: 32px; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 12px; }
.sub { color: var(--muted); margin-bottom: 24px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 16px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 16px; }
.card h3 { margin: 0 0 10px; font-size: 15px; display: flex; align-items: center; gap: 8px; }
.dot { width: 10px; height: 10px; border-radius: 50%; display: inline-block; }
.kpis { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 16px; }
.kpi b { display: block; font-size: 20px; } .kpi span { color: var(--muted); font-size: 12px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
.chart { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 16px; }
.table-scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; background: var(--card); border: 1px solid var(--line); border-radius: 10px; overflow: hidden; }
th, td { padding: 8px 10px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; white-space: normal; min-width: 12em; } th { background: #f1f5f9; font-weight: 600; }
.note { color: var(--muted); font-size: 12px; margin-top: 12px; }
svg text { font-family: inherit; } .chart-title { font-size: 14px; font-weight: 600; fill: var(--ink); }
.tick, .axis { font-size: 11px; fill: var(--muted); }
.legend, .bar-label { font-size: 12px; fill: var(--ink); } .bar-value { font-size: 12px; fill: var(--muted); }
.grid { stroke: var(--line); stroke-width: 1; }
`;

function runNote(run: RunSummary): string {
  const r = run.result;
  const warmup = r.warmupSeconds > 0 ? ` (after a ${formatNumber(r.warmupSeconds)} s warm-up, left out)` : "";
  const servers = `${run.servers} server(s)${run.instanceType ? ` of ${run.instanceType}` : ""}`;
  return `${r.mode} · ${r.generator} · ${r.requests.toLocaleString("en-US")} requests in ${formatNumber(r.durationSeconds)} s${warmup} · ${servers}`;
}

function card(run: RunSummary, color: string): string {
  const r = run.result;
  const kpi = (value: string, label: string) => `<div class="kpi"><b>${escapeHtml(value)}</b><span>${escapeHtml(label)}</span></div>`;
  return `<div class="card"><h3><span class="dot" style="background:${color}"></span>${escapeHtml(run.name)}</h3><div class="kpis">
${kpi(`${formatNumber(r.throughput)}/s`, "throughput")}${kpi(formatMs(r.latencyMs.p90), "p90 latency")}
${kpi(`${(run.errorRate * 100).toFixed(2)}%`, `errors (${formatErrors(r.errors)})`)}${kpi(formatUsd(run.usdPerMillion), "USD per million inferences")}
</div><div class="note">${escapeHtml(runNote(run))}</div>
<div class="note">${escapeHtml(`Execution provider: ${describeExecutionProviders(r)}. Model precision: ${describePrecisions(r)}.`)}</div></div>`;
}

function comparison(runs: RunSummary[]): string {
  const bars = (value: (run: RunSummary) => number | undefined, text: (v: number) => string) =>
    runs.map((run, i) => ({
      label: run.name,
      value: value(run) ?? Number.NaN,
      text: value(run) === undefined ? "no price" : text(value(run)!),
      color: PALETTE[i % PALETTE.length]!,
    }));
  return `<h2>Side by side</h2><div class="charts">
<div class="chart">${barChart({
    title: "Throughput per instance (req/s)",
    bars: bars(
      (r) => r.throughputPerInstance,
      (v) => `${formatNumber(v)}/s`,
    ),
  })}</div>
<div class="chart">${barChart({ title: "p90 latency", bars: bars((r) => r.result.latencyMs.p90, formatMs) })}</div>
<div class="chart">${barChart({
    title: "USD per million inferences (lower is better)",
    bars: bars(
      (r) => r.usdPerMillion,
      (v) => formatUsd(v),
    ),
  })}</div>
</div>`;
}

function timeCharts(runs: RunSummary[]): string {
  const throughput = lineChart({
    title: "Throughput over time",
    yUnit: "req/s",
    xUnit: "seconds",
    lines: runs.map((run, i) => ({ name: run.name, color: PALETTE[i % PALETTE.length]!, points: seriesRows(run.result).map((p) => [p.t, p.throughput]) })),
  });
  const latency = runs.map((run, i) => {
    const rows = seriesRows(run.result).filter((p) => p.p50 !== undefined);
    const color = PALETTE[i % PALETTE.length]!;
    return `<div class="chart">${lineChart({
      title: `Latency percentiles over time: ${run.name}`,
      yUnit: "ms",
      xUnit: "seconds",
      lines: [
        { name: "p50", color: "#94a3b8", points: rows.map((p) => [p.t, p.p50!]) },
        { name: "p90", color, points: rows.map((p) => [p.t, p.p90!]) },
        { name: "p99", color, dashed: true, points: rows.map((p) => [p.t, p.p99!]) },
      ],
    })}</div>`;
  });
  return `<h2>Over time</h2><div class="charts"><div class="chart">${throughput}</div>${latency.join("")}</div>`;
}

function table(runs: RunSummary[]): string {
  const columns = ["Run", "Execution provider", "Mode", "Requests", "Throughput", "p50", "p90", "p95", "p99", "max", "Errors", "USD / 1M"];
  const head = columns.map((h) => `<th>${h}</th>`).join("");
  const rows = runs.map((run) => {
    const r = run.result;
    const l = r.latencyMs;
    const percentiles = [l.p50, l.p90, l.p95, l.p99, l.max].map(formatMs);
    const cells = [run.name, describeExecutionProviders(r), r.mode, r.requests.toLocaleString("en-US"), `${formatNumber(r.throughput)}/s`, ...percentiles];
    cells.push(formatErrors(r.errors), formatUsd(run.usdPerMillion));
    return `<tr>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`;
  });
  // Its own scroller: a wide table must not push the whole page sideways.
  return `<h2>Numbers</h2><div class="table-scroll"><table><thead><tr>${head}</tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

/** A self-contained HTML report (inline CSS and SVG, no scripts, nothing fetched). */
export function renderHtml(results: readonly LoadTestResult[], title = "Load test report"): string {
  const runs = results.map(summarizeRun);
  const priced = runs.some((run) => run.usdPerMillion !== undefined);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1><div class="sub">${runs.length} run(s) · percentiles from merged latency histograms (1% buckets), never averaged</div>
<div class="cards">${runs.map((run, i) => card(run, PALETTE[i % PALETTE.length]!)).join("")}</div>
${runs.length > 1 ? comparison(runs) : ""}
${timeCharts(runs)}
${table(runs)}
${priced ? `<p class="note">${escapeHtml(priceNote())} USD per million inferences = hourly price × servers ÷ (throughput × 3600) × 10⁶.</p>` : ""}
</body></html>
`;
}
