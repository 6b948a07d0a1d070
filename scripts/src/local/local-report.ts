// What `fleet local` leaves behind: results JSON, a Markdown summary (also printed) and an HTML report.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { renderHtml, renderMarkdown, totalErrors } from "@inference-fleet/load-test";
import { describeSlo, figuresMeetSlo, type Slo } from "../slo.js";
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
  return (
    `- ${run.stack}: ${met && !run.failure ? "meets" : "misses"} the SLO (${describeSlo(slo)}): ${result.latencyMs[slo.percentile].toFixed(1)} ms at ` +
    `${result.throughput.toFixed(1)} req/s, ${(errorRate * 100).toFixed(2)}% errors${note}`
  );
}

const ms = (value: number) => value.toFixed(1);

/** A capacity search's answer, its price, and its curve (one row per step, by offered rate). */
function capacitySection(run: LocalRun, slo: Slo): string {
  const { verdict, instanceType, instances, usdPerHour, usdPerMillionInferences } = run.capacity!;
  const at = verdict.atCapacity;
  const answer = at
    ? `${verdict.capacityAtSlo} req/s at ${describeSlo(slo)} (there: ${at.achievedRate.toFixed(1)} req/s achieved, ${slo.percentile} ` +
      `${ms(at.latencyMs[slo.percentile])} ms, ${(at.errorRate * 100).toFixed(2)}% errors)`
    : `no step held the SLO (${describeSlo(slo)})`;
  const cost =
    usdPerMillionInferences !== undefined && usdPerHour !== undefined
      ? `; $${usdPerMillionInferences.toPrecision(3)} per million inferences, this machine priced as ${instances} x ${instanceType} ` +
        `($${usdPerHour.toFixed(4)}/h on-demand)`
      : at
        ? `; no cost: ${instanceType} has no on-demand price in the catalog`
        : "";
  const rows = verdict.curve.map((p) => {
    const outcome = p.holds ? "holds" : `breaks: ${p.reasons.join("; ")}`;
    return `| ${p.offeredRate} | ${p.achievedRate.toFixed(1)} | ${ms(p.p50)} | ${ms(p.p90)} | ${ms(p.p99)} | ${p.errors} | ${outcome} |`;
  });
  return [
    `- ${run.stack}: capacity ${answer}${cost}`,
    "",
    "| offered req/s | achieved req/s | p50 ms | p90 ms | p99 ms | errors | SLO |",
    "|---:|---:|---:|---:|---:|---:|---|",
    ...rows,
  ].join("\n");
}

/** Summary of one or more local runs: the load-test table, then the capacity (searches only), then the SLO verdict per stack. */
export function renderLocalSummary(runs: readonly { run: LocalRun; slo: Slo }[]): string {
  const searches = runs.filter(({ run }) => run.capacity);
  const capacity = searches.length > 0 ? `\n\n## Capacity at the SLO\n\n${searches.map(({ run, slo }) => capacitySection(run, slo)).join("\n\n")}` : "";
  const table = renderMarkdown(runs.map(({ run }) => run.result)).trimEnd();
  return `${table}${capacity}\n\n## SLO\n\n${runs.map(({ run, slo }) => verdict(run, slo)).join("\n")}\n`;
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
