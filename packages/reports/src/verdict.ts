// The answer a report leads with, in words: which run serves the most for the least at its SLO.
// The Markdown summary and the HTML report both print this, so they cannot disagree.
import { formatMs, formatNumber, formatUsd } from "./format.js";
import type { RunSummary } from "./runs.js";
import { describeSlo } from "@inference-fleet/fleet-config";

export interface Verdict {
  /** The answer in one sentence, e.g. "c7g.2xlarge: 1,840 req/s per node at p90 <= 100 ms, $0.0490 per million inferences; 1.6x cheaper than c7i.2xlarge". */
  headline: string;
  /** One line per run, the best first. */
  lines: string[];
  /** What the figures are not (a measured throughput, not a capacity), and why a cost is missing. */
  notes: string[];
  /** Whether some run gave an answer: false when every run was interrupted or missed its SLO. */
  decided: boolean;
}

/** A short name per run: the instance type for cloud runs when it tells them apart, else the stack, else the full name. */
export function shortNames(runs: readonly RunSummary[]): string[] {
  const candidate = (run: RunSummary) => {
    const l = run.result.labels;
    return (l.where !== "local" ? l.instanceType : undefined) ?? l.stack ?? run.name;
  };
  const names = runs.map(candidate);
  return names.map((name, i) => (names.indexOf(name) === names.lastIndexOf(name) ? name : runs[i]!.name));
}

function ratio(a: number, b: number): string {
  const r = a / b;
  return `${r.toFixed(r < 1.1 ? 2 : 1)}x`;
}

/** "1,840 req/s per node at p90 <= 100 ms" (a capacity), or what was measured and how it fared. */
function rateText(run: RunSummary): string {
  const perNode = `${formatNumber(run.ratePerInstance)} req/s per node`;
  if (run.capacity) {
    const slo = run.capacity.slo;
    if (run.capacity.capacityAtSlo === 0) return `no step held ${describeSlo(slo)}`;
    return run.capacityIsLowerBound
      ? `at least ${perNode} at ${describeSlo(slo)} (no step broke it within the search's budget)`
      : `${perNode} at ${describeSlo(slo)}`;
  }
  const slo = run.slo;
  if (!slo) return `${perNode} measured (p90 ${formatMs(run.result.latencyMs.p90)}, no SLO recorded)`;
  const measured = `p${slo.percentile} ${formatMs(run.latencyAtRateMs)}`;
  return `${perNode} measured (${measured}: ${run.meetsSlo ? "holds" : "breaks"} ${describeSlo(slo)})`;
}

const costText = (run: RunSummary) => (run.usdPerMillion !== undefined ? `${formatUsd(run.usdPerMillion)} per million inferences` : "no cost");

/**
 * The answer as a buyer reads it: "2 x c7g.xlarge serve 1,840 req/s at p90 <= 100 ms for $177/month ($0.0490 per
 * million inferences)" when the instance type is known, else the run's name with its rate per node.
 */
function answerText(run: RunSummary, name: string): string {
  // The stack's name too where the instance type does not tell the runs apart (local runs priced as one type).
  const which = run.result.labels.stack ?? name;
  const fleet = run.instanceType ? `${run.servers} x ${run.instanceType}${name === run.instanceType ? "" : ` (${which})`}` : undefined;
  const slo = run.capacity?.slo ?? run.slo;
  if (!fleet || !slo || run.usdPerMonth === undefined || run.meetsSlo === false) return `${name}: ${rateText(run)}, ${costText(run)}`;
  const rate = `${run.capacityIsLowerBound ? "at least " : ""}${formatNumber(run.rate)} req/s`;
  const bound = run.capacityIsLowerBound ? " (no step broke it within the search's budget)" : "";
  const how = run.capacity ? "" : ` (measured at the configured load, not a capacity: p${slo.percentile} ${formatMs(run.latencyAtRateMs)})`;
  const verb = run.servers === 1 ? "serves" : "serve";
  return `${fleet} ${verb} ${rate} at ${describeSlo(slo)}${bound} for ${formatUsd(run.usdPerMonth)}/month (${costText(run)})${how}`;
}

const spreadText = ([low, high]: [number, number]) => `${formatUsd(low)}-${formatUsd(high)}`;

/** "1.6x cheaper than B" only when the runs' cost spreads do not overlap; else "within noise of B". */
function comparisonText(best: RunSummary, other: RunSummary, otherName: string): string {
  const [a, b] = [best.usdPerMillionSpread, other.usdPerMillionSpread];
  const factor = ratio(other.usdPerMillion!, best.usdPerMillion!);
  if (!a || !b) return `${factor} lower cost than ${otherName} by the point figures (too few whole seconds to judge the noise)`;
  if (a[1] < b[0]) return `${factor} cheaper than ${otherName} (per million: ${spreadText(a)} vs ${spreadText(b)})`;
  return `within noise of ${otherName} (per million: ${spreadText(a)} vs ${spreadText(b)} overlap)`;
}

function interruptedText(run: RunSummary, name: string): string {
  return `${name}: interrupted after ${formatNumber(run.result.durationSeconds)} s of measurement: partial results, no verdict`;
}

export function buildVerdict(runs: readonly RunSummary[]): Verdict {
  const names = shortNames(runs);
  const entries = runs.map((run, i) => ({ run, name: names[i]! }));
  const eligible = entries.filter(({ run }) => !run.interrupted && run.meetsSlo !== false && run.rate > 0);
  const priced = eligible.filter(({ run }) => run.usdPerMillion !== undefined).sort((a, b) => a.run.usdPerMillion! - b.run.usdPerMillion!);
  const byRate = [...eligible].sort((a, b) => b.run.ratePerInstance - a.run.ratePerInstance);
  const ranked = priced.length > 0 ? [...priced, ...byRate.filter((e) => !priced.includes(e))] : byRate;

  let headline: string;
  const [best, second] = ranked;
  const interrupted = entries.filter(({ run }) => run.interrupted);
  if (!best && interrupted.length > 0) {
    headline = `No verdict: ${interrupted.map(({ run, name }) => interruptedText(run, name)).join("; ")}.`;
  } else if (!best) {
    const slos = [...new Set(runs.map((run) => run.slo && describeSlo(run.slo)).filter(Boolean))];
    headline = `No run holds its SLO${slos.length === 1 ? ` (${slos[0]})` : ""}: see each run below.`;
  } else {
    headline = answerText(best.run, best.name);
    const cheaper = priced[0] === best && priced[1];
    if (cheaper) headline += `; ${comparisonText(best.run, cheaper.run, cheaper.name)}`;
    else if (second) headline += `; ${ratio(best.run.ratePerInstance, second.run.ratePerInstance)} the rate per node of ${second.name}`;
  }
  const order = [...ranked, ...entries.filter((e) => !ranked.includes(e))];
  const lines = order.map(({ run, name }) => (run.interrupted ? interruptedText(run, name) : answerText(run, name)));

  const notes: string[] = [];
  const measured = entries.filter(({ run }) => !run.capacity).map((e) => e.name);
  if (measured.length > 0) {
    notes.push(
      `${measured.join(", ")}: not a capacity search, so the rate is the throughput measured at the configured load, not the most the fleet serves ` +
        "at its SLO (`fleet local --capacity`, or loadTest.mode: capacity, finds that).",
    );
  }
  const reasons = new Map<string, string[]>();
  for (const { run, name } of entries) if (run.costAbsent) reasons.set(run.costAbsent, [...(reasons.get(run.costAbsent) ?? []), name]);
  for (const [reason, who] of reasons) notes.push(`No cost for ${who.join(", ")}: ${reason}.`);
  return { headline, lines, notes, decided: best !== undefined };
}
