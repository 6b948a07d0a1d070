import type { LoadTestResult } from "@inference-fleet/load-test";
import { describeExecutionProviders, describePrecisions } from "@inference-fleet/load-test";
import { formatErrors, formatMs, formatNumber, formatUsd } from "./format.js";
import { priceNote } from "./pricing.js";
import { seriesRows, summarizeRun, type RunSummary } from "./runs.js";
import { describeSlo, describeSloInFull } from "@inference-fleet/fleet-config";
import { autoscaleHtml } from "./autoscale-report.js";
import { breakdownHtml, stackedTable } from "./html-breakdown.js";
import { barChart, chartFigure, escapeHtml, lineChart, OTHER_COLOR, PALETTE, PERCENTILE_STYLE, WINNER_COLOR, type Guide, type LineSeries } from "./svg.js";
import { buildVerdict, shortNames } from "./verdict.js";

const STYLE = `
:root { color-scheme: light; --ink: #0f172a; --muted: #64748b; --line: #e2e8f0; --card: #ffffff; --bg: #f8fafc; }
* { box-sizing: border-box; }
body { margin: 0; padding: 32px; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
h1 { font-size: 24px; margin: 0 0 12px; overflow-wrap: anywhere; } h2 { font-size: 18px; margin: 32px 0 12px; }
.sub { color: var(--muted); margin: 8px 0 0; }
.verdict { background: #ecfdf5; border: 1px solid #6ee7b7; border-radius: 10px; padding: 16px 20px; }
.verdict .label { text-transform: uppercase; letter-spacing: .06em; font-size: 12px; color: #047857; font-weight: 700; }
.verdict .headline { font-size: 20px; font-weight: 650; margin: 4px 0 8px; overflow-wrap: anywhere; }
.verdict ul { margin: 0; padding-left: 20px; } .verdict .note { color: #334155; }
.verdict.none { background: #fffbeb; border-color: #fcd34d; } .verdict.none .label { color: #b45309; }
.incomplete { background: #fffbeb; border: 1px solid #fcd34d; border-radius: 6px; padding: 6px 10px; margin: 0 0 10px; font-weight: 600; }
.finding { margin: 0 0 8px; } h4 { font-size: 13px; margin: 14px 0 6px; }
table.breakdown th { white-space: normal; vertical-align: bottom; } table.breakdown th:first-child, table.breakdown td:first-child { min-width: 8em; }
.stacks { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 560px), 1fr)); gap: 16px; }
.stack { display: grid; gap: 12px; align-content: start; }
.stack:only-child { grid-template-columns: repeat(auto-fit, minmax(min(100%, 460px), 1fr)); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 16px; }
.card h3 { margin: 0 0 10px; font-size: 15px; display: flex; align-items: baseline; gap: 8px; overflow-wrap: anywhere; }
.dot { width: 10px; height: 10px; border-radius: 50%; display: inline-block; flex: none; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(120px, 1fr)); gap: 8px 16px; }
.kpi b { display: block; font-size: 20px; } .kpi span { color: var(--muted); font-size: 12px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 460px), 1fr)); gap: 16px; }
.chart { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 16px; min-width: 0; }
.chart-title { font-size: 14px; font-weight: 600; margin-bottom: 6px; overflow-wrap: anywhere; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 12px; margin-top: 4px; }
.legend-item { display: inline-flex; align-items: center; gap: 6px; } .swatch { flex: none; }
.bars { display: grid; gap: 10px; }
.bar-label { font-size: 13px; overflow-wrap: anywhere; } .bar-track { display: flex; align-items: center; gap: 8px; }
.bar { display: inline-block; height: 16px; min-width: 2px; border-radius: 3px; } .bar-value { color: var(--muted); font-size: 12px; white-space: nowrap; }
.table-scroll { overflow-x: auto; }
/* On a narrow page each row of a stacked table becomes a block of labelled lines: nothing scrolls sideways. */
@media (max-width: 1000px) {
  body { padding: 16px; }
  table.stacked, table.stacked tbody, table.stacked tr, table.stacked td { display: block; width: 100%; }
  table.stacked thead { display: none; } table.stacked tr { border-bottom: 2px solid var(--line); padding: 4px 0; }
  table.stacked td { text-align: right; white-space: normal; border: 0; padding: 2px 10px; min-width: 0; overflow-wrap: anywhere; }
  table.stacked td::before { content: attr(data-label); float: left; color: var(--muted); margin-right: 12px; text-align: left; }
  table.stacked td:first-child { font-weight: 600; text-align: left; } table.stacked td:first-child::before { content: none; }
}
table { border-collapse: collapse; width: 100%; background: var(--card); border: 1px solid var(--line); border-radius: 10px; overflow: hidden; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; white-space: normal; min-width: 12em; } th { background: #f1f5f9; font-weight: 600; }
details { margin-top: 8px; } summary { cursor: pointer; color: var(--muted); font-size: 12px; }
.note { color: var(--muted); font-size: 12px; margin-top: 8px; }
svg text { font-family: inherit; } .tick, .axis { font-size: 11px; fill: var(--muted); }
.guide-label { font-size: 11px; font-weight: 600; paint-order: stroke; stroke: #ffffff; stroke-width: 3px; }
.chart svg { display: block; max-height: 460px; } .slo-label { fill: #b91c1c; } .capacity-label { fill: #047857; }
.grid { stroke: var(--line); stroke-width: 1; }
`;

const color = (i: number) => PALETTE[i % PALETTE.length]!;

function runNote(run: RunSummary): string {
  const r = run.result;
  const warmup = r.warmupSeconds > 0 ? ` (after a ${formatNumber(r.warmupSeconds)} s warm-up, left out)` : "";
  const servers = `${run.servers} node(s)${run.instanceType ? ` of ${run.instanceType}` : ""}`;
  const what = run.capacity ? `capacity search, ${run.capacity.curve.length} steps; the figures above are those of the step at the capacity` : r.mode;
  return `${what} · ${r.generator} · ${r.requests.toLocaleString("en-US")} requests in ${formatNumber(r.durationSeconds)} s${warmup} · ${servers}`;
}

function card(run: RunSummary, index: number, name: string): string {
  const r = run.result;
  const slo = run.slo;
  const kpi = (value: string, label: string) => `<div class="kpi"><b>${escapeHtml(value)}</b><span>${escapeHtml(label)}</span></div>`;
  const rate = run.capacity ? "capacity at the SLO, per node" : "measured throughput, per node";
  const kpis = [
    kpi(`${run.capacityIsLowerBound ? ">= " : ""}${formatNumber(run.ratePerInstance)}/s`, rate),
    kpi(formatMs(run.latencyAtRateMs), `p${run.percentile} latency${run.capacity ? " there" : ""}`),
    kpi(`${(run.errorRate * 100).toFixed(2)}%`, `errors (${formatErrors(r.errors)})`),
    kpi(run.usdPerMillion === undefined ? "no cost" : formatUsd(run.usdPerMillion), "USD per million inferences"),
  ];
  const notes = [
    slo ? `SLO: ${describeSloInFull(slo)}.` : "No SLO recorded with these results.",
    run.price ? `Cost: ${run.price.description}.` : `No cost: ${run.costAbsent}.`,
    runNote(run),
    `Execution provider: ${describeExecutionProviders(r)}. Model precision: ${describePrecisions(r)}.`,
  ];
  const incomplete = run.interrupted
    ? `<p class="incomplete">Interrupted after ${formatNumber(r.durationSeconds)} s of measurement: partial results, no verdict.</p>`
    : "";
  return (
    `<div class="card"><h3><span class="dot" style="background:${color(index)}"></span><span>${escapeHtml(name)}</span></h3>${incomplete}` +
    `${name !== run.name ? `<div class="note">${escapeHtml(run.name)}</div>` : ""}<div class="kpis">${kpis.join("")}</div>` +
    notes.map((n) => `<div class="note">${escapeHtml(n)}</div>`).join("") +
    `</div>`
  );
}

function percentileLines(points: Array<{ x: number; p50: number; p90: number; p99: number }>, hollow?: boolean[]): LineSeries[] {
  return (["p50", "p90", "p99"] as const).map((p) => ({
    name: p,
    color: PERCENTILE_STYLE[p].color,
    dash: PERCENTILE_STYLE[p].dash,
    points: points.map((pt) => [pt.x, pt[p]] as [number, number]),
    ...(hollow ? { markers: { hollow } } : {}),
  }));
}

/** One x and y scale for every stack's curve, so side-by-side curves compare at a glance. */
interface SharedAxes {
  xMax: number;
  yExtent: number[];
}

function sharedCurveAxes(runs: readonly RunSummary[]): SharedAxes {
  const xs = runs.map((run) => (run.capacity ? Math.max(0, ...run.capacity.curve.map((p) => p.offeredRate)) : run.result.throughput * 1.25));
  const ys = runs.flatMap((run) =>
    run.capacity ? run.capacity.curve.flatMap((p) => [p.p50, p.p90, p.p99]) : [run.result.latencyMs.p50, run.result.latencyMs.p99],
  );
  const positive = ys.filter((y) => y > 0 && Number.isFinite(y));
  return { xMax: Math.max(1, ...xs), yExtent: positive.length > 0 ? [Math.min(...positive), Math.max(...positive)] : [] };
}

/** The latency-throughput curve of a capacity search, with the SLO line and the capacity marked; one point for other runs. */
function curve(run: RunSummary, name: string, axes: SharedAxes): string {
  const slo = run.slo;
  const guides: Guide[] = slo ? [{ axis: "y", value: slo.latencyMs, label: `SLO ${describeSlo(slo)}`, kind: "slo" }] : [];
  if (!run.capacity) {
    const l = run.result.latencyMs;
    const chart = lineChart({
      title: `Latency at the measured load: ${name}`,
      xUnit: "req/s",
      yUnit: "ms (log)",
      logY: true,
      lines: percentileLines([{ x: run.result.throughput, p50: l.p50, p90: l.p90, p99: l.p99 }], [false]),
      ...axes,
      guides,
    });
    const search = `fleet local --stack ${run.result.labels.stack ?? "NAME"} --capacity`;
    const note = `One load level was measured, not a curve: run a capacity search (\`${search}\`) for latency against load.`;
    return chartFigure(`Latency at the measured load: ${name}`, `${chart}<div class="note">${escapeHtml(note)}</div>`, "curve");
  }
  const points = run.capacity.curve;
  if (run.capacity.capacityAtSlo > 0) {
    guides.push({
      axis: "x",
      value: run.capacity.capacityAtSlo,
      label: `capacity ${run.capacityIsLowerBound ? ">= " : ""}${formatNumber(run.capacity.capacityAtSlo)} req/s`,
      kind: "capacity",
    });
  }
  const chart = lineChart({
    title: `Latency against offered load: ${name}`,
    xUnit: "offered req/s",
    yUnit: "ms (log)",
    logY: true,
    lines: percentileLines(
      points.map((p) => ({ x: p.offeredRate, p50: p.p50, p90: p.p90, p99: p.p99 })),
      points.map((p) => !p.holds),
    ),
    ...axes,
    guides,
  });
  const rows = points.map((p) => {
    const cells = [formatNumber(p.offeredRate), formatNumber(p.achievedRate), formatMs(p.p50), formatMs(p.p90), formatMs(p.p99), String(p.errors)];
    return [...cells, p.holds ? "holds" : `breaks: ${p.reasons.join("; ")}`];
  });
  const steps =
    `<details><summary>${points.length} steps (filled markers hold the SLO, open ones break it)</summary>` +
    `<div class="table-scroll">${stackedTable(["offered req/s", "achieved req/s", "p50", "p90", "p99", "errors", "SLO"], rows)}</div></details>`;
  return chartFigure(`Latency against offered load: ${name}`, chart + steps, "curve");
}

function costSection(runs: RunSummary[], names: string[]): string {
  const priced = runs.some((run) => run.usdPerMillion !== undefined);
  const why = runs.flatMap((run, i) => (run.costAbsent ? [`${names[i]}: no cost, ${run.costAbsent}.`] : []));
  const sources = runs.flatMap((run, i) => (run.price ? [`${names[i]}: ${run.price.description}.`] : []));
  const notes = [...sources, ...why, ...(priced ? [`USD per million inferences = price per hour x nodes / (req/s x 3600) x 10^6. ${priceNote()}`] : [])];
  // Colour by meaning: the cheapest run that gives a verdict is green, the others grey.
  const cheapest = Math.min(...runs.filter((run) => !run.interrupted && run.meetsSlo !== false).map((run) => run.usdPerMillion ?? Infinity));
  const bars = priced
    ? chartFigure(
        "USD per million inferences at the capacity (or the measured throughput), lower is better; the cheapest in green",
        barChart(
          runs.map((run, i) => ({
            label: names[i]!,
            value: run.usdPerMillion ?? Number.NaN,
            text: run.usdPerMillion === undefined ? "no cost" : formatUsd(run.usdPerMillion),
            color: run.usdPerMillion === cheapest ? WINNER_COLOR : OTHER_COLOR,
          })),
        ),
      )
    : "";
  return `<h2>Cost</h2>${bars}${notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join("")}`;
}

function comparison(runs: RunSummary[], names: string[]): string {
  const bars = (value: (run: RunSummary) => number, text: (v: number) => string) =>
    barChart(runs.map((run, i) => ({ label: names[i]!, value: value(run), text: text(value(run)), color: color(i) })));
  return `<h2>Side by side</h2><div class="charts">
${chartFigure(
  "Requests per second per node (capacity at the SLO, or measured)",
  bars(
    (r) => r.ratePerInstance,
    (v) => `${formatNumber(v)}/s`,
  ),
)}
${chartFigure(
  "Latency at that rate (the SLO's percentile, else p90)",
  bars((r) => r.latencyAtRateMs, formatMs),
)}
</div>`;
}

function timeCharts(runs: RunSummary[], names: string[]): string {
  // A capacity search keeps the seconds of its step at the capacity only: say so where it shows.
  const searches = runs.filter((run) => run.capacity).length;
  const throughputTitle =
    "Throughput over time" +
    (searches === 0 ? "" : searches === runs.length ? " (the step at the capacity only)" : " (a capacity search shows its step at the capacity only)");
  const latencies = runs.flatMap((run) => seriesRows(run.result).flatMap((p) => (p.p50 === undefined ? [] : [p.p50, p.p99!])));
  const yExtent = latencies.length > 0 ? [Math.min(...latencies), Math.max(...latencies)] : [];
  const xMax = Math.max(1, ...runs.flatMap((run) => seriesRows(run.result).map((p) => p.t)));
  const throughput = lineChart({
    title: throughputTitle,
    yUnit: "req/s",
    xUnit: "seconds",
    lines: runs.map((run, i) => ({ name: names[i]!, color: color(i), points: seriesRows(run.result).map((p) => [p.t, p.throughput] as [number, number]) })),
    empty: "no per-second data (k6 summaries carry totals only)",
  });
  const latency = runs.map((run, i) => {
    const rows = seriesRows(run.result).filter((p) => p.p50 !== undefined);
    const slo = run.slo;
    const title = `Latency over time: ${names[i]}${run.capacity ? " (the step at the capacity)" : ""}`;
    const chart = lineChart({
      title,
      yUnit: "ms (log)",
      xUnit: "seconds",
      logY: true,
      lines: percentileLines(rows.map((p) => ({ x: p.t, p50: p.p50!, p90: p.p90!, p99: p.p99! }))),
      xMax,
      yExtent,
      guides: slo ? [{ axis: "y", value: slo.latencyMs, label: `SLO ${describeSlo(slo)}`, kind: "slo" }] : [],
      empty: "no per-second latencies (k6 summaries carry totals only)",
    });
    return chartFigure(title, chart);
  });
  return `<h2>Over time</h2><div class="charts">${chartFigure(throughputTitle, throughput)}${latency.join("")}</div>`;
}

function table(runs: RunSummary[], names: string[]): string {
  const columns = ["Run", "Execution provider", "Mode", "Requests", "Throughput", "Capacity at SLO", "p50", "p90", "p95", "p99", "max", "Errors", "USD / 1M"];
  const rows = runs.map((run, i) => {
    const r = run.result;
    const l = r.latencyMs;
    const capacity = run.capacity ? `${run.capacityIsLowerBound ? ">= " : ""}${formatNumber(run.capacity.capacityAtSlo)}/s` : "not searched";
    const cells = [
      names[i]!,
      describeExecutionProviders(r),
      run.capacity ? "capacity" : r.mode,
      r.requests.toLocaleString("en-US"),
      `${formatNumber(r.throughput)}/s`,
    ];
    cells.push(capacity, ...[l.p50, l.p90, l.p95, l.p99, l.max].map(formatMs), formatErrors(r.errors), formatUsd(run.usdPerMillion));
    return cells;
  });
  // Wide on a wide page; stacked into labelled lines on a narrow one, so it never scrolls sideways.
  return `<h2>Numbers</h2>${stackedTable(columns, rows, "numbers")}`;
}

/**
 * A self-contained HTML report (inline CSS and SVG, no scripts, nothing fetched), answer first: the
 * verdict, then each stack's latency-throughput curve with its SLO and capacity, the cost, the
 * side-by-side bars, the time series and the numbers.
 */
export function renderHtml(results: readonly LoadTestResult[], title = "Load test report"): string {
  const runs = results.map(summarizeRun);
  const names = shortNames(runs);
  const verdict = buildVerdict(runs);
  const verdictHtml =
    `<section class="verdict${verdict.decided ? "" : " none"}" id="verdict"><div class="label">Verdict</div>` +
    `<p class="headline">${escapeHtml(verdict.headline)}</p>` +
    (runs.length > 1 ? `<ul>${verdict.lines.map((line) => `<li>${escapeHtml(line)}</li>`).join("")}</ul>` : "") +
    verdict.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join("") +
    `</section>`;
  const axes = sharedCurveAxes(runs);
  const stacks = runs.map((run, i) => `<div class="stack">${card(run, i, names[i]!)}${curve(run, names[i]!, axes)}</div>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${verdictHtml}
<div class="sub">${runs.length} run(s) · percentiles from merged latency histograms (1% buckets), never averaged</div>
<h2>Latency against load, per stack</h2><div class="stacks">${stacks.join("")}</div>
${costSection(runs, names)}
${runs.length > 1 ? comparison(runs, names) : ""}
${breakdownHtml(runs, names)}
${autoscaleHtml(runs, names)}
${timeCharts(runs, names)}
${table(runs, names)}
</body></html>
`;
}
