// The report's autoscaling and slowest-request sections: replicas over time beside the latency percentiles and the
// SLO (one time axis, the run's per-second series), the scaling events, and the 10 slowest requests with the
// breakdown their servers returned (batch, queue vs inference).
import type { LoadTestResult, SlowRequest } from "@inference-fleet/load-test";
import { targetName } from "./breakdown.js";
import { formatMs, formatNumber } from "./format.js";
import { stackedTable } from "./html-breakdown.js";
import { seriesRows, type RunSummary } from "./runs.js";
import { describeSlo } from "@inference-fleet/fleet-config";
import { chartFigure, escapeHtml, lineChart, PERCENTILE_STYLE, PALETTE, type LineSeries } from "./svg.js";

/** Seconds from the run's first series second (the x of seriesRows), so replicas and latency share one axis. */
function originMs(result: LoadTestResult): number {
  return (result.series[0]?.second ?? Math.floor(Date.parse(result.startTime) / 1000)) * 1000;
}

/** Replicas over time as (t seconds, replicas) steps: each decision's count holds until the next. */
export function replicaSteps(result: LoadTestResult): Array<[number, number]> {
  const record = result.autoscale;
  if (!record) return [];
  const origin = originMs(result);
  const steps: Array<[number, number]> = [];
  for (const point of record.points) {
    const t = (point.atMs - origin) / 1000;
    if (steps.length > 0) steps.push([t, steps.at(-1)![1]]);
    steps.push([t, point.replicas]);
  }
  return steps;
}

function slowestColumns(): string[] {
  return ["trace id", "server", "latency", "batch", "batch size", "queue", "inference", "rest"];
}

/** One row per slow request: where its time went by its server's own account (rest: HTTP, tokenizing, the network). */
function slowestRows(slowest: readonly SlowRequest[]): string[][] {
  return slowest.map((r) => {
    const s = r.server;
    const accounted = (s?.queueMs ?? 0) + (s?.inferenceMs ?? 0);
    return [
      r.traceId,
      targetName(r.target),
      formatMs(r.latencyMs),
      s?.batch ?? "-",
      s?.batchSize === undefined ? "-" : String(s.batchSize),
      s?.queueMs === undefined ? "-" : formatMs(s.queueMs),
      s?.inferenceMs === undefined ? "-" : formatMs(s.inferenceMs),
      s ? formatMs(Math.max(0, r.latencyMs - accounted)) : "-",
    ];
  });
}

function describeRule(result: LoadTestResult): string {
  const rule = result.autoscale!.rule;
  const triggers = rule.triggers ?? [{ metric: rule.metric, target: rule.target }];
  const at = triggers.map((t) => `${formatNumber(t.target)} ${t.metric}`).join(" or ");
  return (
    `${rule.min} to ${rule.max} servers at ${at} per server${triggers.length > 1 ? ", whichever asks for more" : ""} (tolerance ${rule.tolerance}, ` +
    `scale-down window ${formatNumber(rule.scaleDownWindowSeconds)} s, every ${formatNumber(rule.intervalSeconds)} s)`
  );
}

function eventLines(result: LoadTestResult): string[] {
  const origin = originMs(result);
  return result.autoscale!.events.map((e) => `${formatNumber((e.atMs - origin) / 1000)} s: ${targetName(e.target)} ${e.action}`);
}

/** Markdown: per autoscaled run, the rule, replicas at start/most/end, the events; per run, its 10 slowest requests. */
export function autoscaleMarkdown(runs: readonly RunSummary[], names: readonly string[]): string[] {
  const lines: string[] = [];
  runs.forEach((run, i) => {
    const r = run.result;
    if (!r.autoscale) return;
    const replicas = r.autoscale.points.map((p) => p.replicas);
    const first = replicas[0] ?? 0;
    const most = Math.max(0, ...replicas);
    const last = replicas.at(-1) ?? 0;
    const timeline = r.autoscale.points
      .filter((p, k, all) => k === 0 || p.replicas !== all[k - 1]!.replicas)
      .map((p) => `${formatNumber((p.atMs - originMs(r)) / 1000)} s: ${p.replicas}`);
    lines.push(`**${names[i]}**: ${describeRule(r)}. Servers: ${first} at the start, at most ${most}, ${last} at the end.`, "");
    lines.push(`- Replicas over time (seconds from the start: servers taking load): ${timeline.join(", ")}`);
    if (r.autoscale.events.length > 0) lines.push(`- Events: ${eventLines(r).join("; ")}`);
    lines.push("");
  });
  const slow = runs.flatMap((run, i) => {
    const rows = slowestRows(run.result.slowest ?? []);
    if (rows.length === 0) return [];
    return [
      `**${names[i]}**`,
      "",
      `| ${slowestColumns().join(" | ")} |`,
      `|---|---|${"--:|".repeat(slowestColumns().length - 2)}`,
      ...rows.map((row) => `| ${row.join(" | ")} |`),
      "",
    ];
  });
  return [
    ...(lines.length > 0 ? ["## Autoscaling", "", ...lines] : []),
    ...(slow.length > 0
      ? ["## The 10 slowest requests", "", "Each by the trace id it was sent with (grep the servers' logs for it) and its server's Server-Timing.", "", ...slow]
      : []),
  ];
}

/** HTML: per autoscaled run, replicas over time beside its latency over time with the SLO; per run, its slowest requests. */
export function autoscaleHtml(runs: readonly RunSummary[], names: readonly string[]): string {
  const charts = runs.flatMap((run, i) => {
    const r = run.result;
    if (!r.autoscale) return [];
    const steps = replicaSteps(r);
    const rows = seriesRows(r).filter((p) => p.p50 !== undefined);
    const xMax = Math.max(1, ...steps.map(([t]) => t), ...rows.map((p) => p.t));
    const replicas = lineChart({
      title: `Servers taking load: ${names[i]}`,
      yUnit: "servers",
      xUnit: "seconds",
      lines: [{ name: "servers taking load", color: PALETTE[0]!, points: steps, width: 2.5 }],
      xMax,
      yExtent: [r.autoscale.rule.max],
      empty: "no autoscaling decisions recorded",
    });
    const latencyLines: LineSeries[] = (["p50", "p90", "p99"] as const).map((p) => ({
      name: p,
      color: PERCENTILE_STYLE[p].color,
      dash: PERCENTILE_STYLE[p].dash,
      points: rows.map((row) => [row.t, row[p]!] as [number, number]),
    }));
    const latency = lineChart({
      title: `Latency over time: ${names[i]}`,
      yUnit: "ms (log)",
      xUnit: "seconds",
      logY: true,
      lines: latencyLines,
      xMax,
      guides: run.slo ? [{ axis: "y", value: run.slo.latencyMs, label: `SLO ${describeSlo(run.slo)}`, kind: "slo" }] : [],
      empty: "no per-second latencies",
    });
    const events = eventLines(r);
    return [
      `<div class="card"><h3><span>${escapeHtml(names[i]!)}</span></h3><p class="note">${escapeHtml(describeRule(r))}</p>` +
        `<div class="charts">${chartFigure(`Servers taking load: ${names[i]}`, replicas)}${chartFigure(`Latency over time: ${names[i]}`, latency)}</div>` +
        (events.length > 0 ? `<p class="note">${escapeHtml(events.join("; "))}</p>` : "") +
        `</div>`,
    ];
  });
  const slow = runs.flatMap((run, i) => {
    const rows = slowestRows(run.result.slowest ?? []);
    return rows.length === 0 ? [] : [`<h3>${escapeHtml(names[i]!)}</h3>${stackedTable(slowestColumns(), rows, "slowest")}`];
  });
  return (
    (charts.length > 0 ? `<h2>Autoscaling: replicas beside latency</h2>${charts.join("")}` : "") +
    (slow.length > 0
      ? `<h2>The 10 slowest requests</h2><p class="note">Each by the trace id it was sent with (grep the servers' logs for it) and its server's ` +
        `Server-Timing: the batch it joined, its wait in the queue, the batch's inference, and the rest (HTTP, tokenizing).</p>${slow.join("")}`
      : "")
  );
}
