// The measured candidates sized for the rate (`fleet plan --for-rate`'s sizing, with the same headroom) and ranked
// by $/month; those that cannot meet the SLO at any load say why; the answer fits on one screen.
import type { LoadTestResult } from "@inference-fleet/load-test";
import { measuredCapacityOf } from "../plan/measured-capacity.js";
import { sizeFleet, type FleetSizing } from "../plan/size-fleet.js";
import type { Candidate, RefusedCandidate } from "./candidates.js";

export interface RankedCandidate {
  readonly candidate: Candidate;
  readonly result: LoadTestResult;
  readonly sizing: FleetSizing;
  /** $/month at the low and high ends of the capacity's windows (the measurement's noise). */
  readonly usdPerMonthRange: { readonly low: number; readonly high: number };
}

export interface Ranking {
  readonly ranked: RankedCandidate[];
  /** Measured, but no load met the SLO; or refused before measuring. */
  readonly unmet: RefusedCandidate[];
}

/** Why a measured candidate holds no capacity: its latency floor (the lowest rate's percentile) or its errors. */
function whyNoCapacity(result: LoadTestResult): string {
  const record = result.capacity;
  const lowest = record?.steps.slice().sort((a, b) => a.offeredRate - b.offeredRate)[0];
  if (!record || !lowest) return "the search measured no step: see its results.json.";
  const percentile = `p${record.slo.percentile}` as keyof typeof lowest.latencyMs;
  const floor = lowest.latencyMs[percentile];
  if (floor > record.slo.latencyMs) {
    return (
      `latency floor above the SLO: ${percentile} ${floor.toFixed(1)} ms already at ${Math.round(lowest.offeredRate)} req/s (the lowest rate measured), ` +
      `over ${record.slo.latencyMs} ms; a faster instance type, int8 or a smaller model can meet it.`
    );
  }
  return "no rate held the SLO through the confirmation (errors over the budget, or a hold that broke): see its results.json.";
}

function withCapacity(config: Candidate["config"], result: LoadTestResult, capacity: number | undefined, rate: number, headroom: number): number | undefined {
  if (!capacity) return undefined;
  const measured = measuredCapacityOf(result, "")!;
  return sizeFleet(config, { ...measured, capacityAtSlo: capacity * measured.nodes }, rate, headroom).usdPerMonth;
}

export function rankCandidates(
  measured: readonly { candidate: Candidate; result: LoadTestResult; file: string }[],
  refused: readonly RefusedCandidate[],
): Ranking {
  const ranked: RankedCandidate[] = [];
  const unmet: RefusedCandidate[] = [...refused];
  for (const { candidate, result, file } of measured) {
    const capacity = measuredCapacityOf(result, file);
    if (!capacity || !(capacity.capacityAtSlo > 0)) {
      unmet.push({ label: candidate.label, reason: whyNoCapacity(result) });
      continue;
    }
    const { forRate, headroom } = candidate.config.loadTest.sizing;
    const sizing = sizeFleet(candidate.config, capacity, forRate!, headroom);
    const perNode = (x: number | undefined) => (x === undefined ? undefined : x / capacity.nodes);
    const low = withCapacity(candidate.config, result, perNode(capacity.windows?.high), forRate!, headroom) ?? sizing.usdPerMonth;
    const high = withCapacity(candidate.config, result, perNode(capacity.windows?.low), forRate!, headroom) ?? sizing.usdPerMonth;
    ranked.push({ candidate, result, sizing, usdPerMonthRange: { low: Math.min(low, sizing.usdPerMonth), high: Math.max(high, sizing.usdPerMonth) } });
  }
  ranked.sort((a, b) => a.sizing.usdPerMonth - b.sizing.usdPerMonth);
  return { ranked, unmet };
}

/** The runner-up's cost range overlaps the winner's: the measurements cannot tell them apart. */
function withinNoise(first: RankedCandidate, second: RankedCandidate): boolean {
  return second.usdPerMonthRange.low <= first.usdPerMonthRange.high;
}

const count = (n: number) => Math.round(n).toLocaleString("en-US");
const usd = (n: number) => `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

function fleetOf(entry: RankedCandidate): string {
  return `${entry.sizing.nodes} x ${entry.sizing.instanceType}, ${entry.candidate.precision}`;
}

/** "serve R req/s at p90 <= T ms with N x TYPE, PRECISION, for $X/month; next: ..." and a line per other candidate. */
export function renderAnswer(ranking: Ranking, local: boolean): string {
  const lines: string[] = [];
  const [first, second] = ranking.ranked;
  const shortOfTime = ranking.ranked.filter((entry) => entry.result.capacity?.endedBy === "budget").map((entry) => entry.candidate.label);
  if (first) {
    const { slo } = first.candidate.config.loadTest;
    const apart = second && withinNoise(first, second) ? "within noise of the first" : "clearly dearer";
    const next = second ? `; next: ${fleetOf(second)}, ${usd(second.sizing.usdPerMonth)}/month, ${apart}` : "";
    lines.push(
      `Serve ${count(first.sizing.forRate)} req/s at ${slo.percentile} <= ${slo.thresholdMs} ms with ${fleetOf(first)}, ` +
        `for ${usd(first.sizing.usdPerMonth)}/month${next}.`,
    );
    if (local)
      lines.push(`(Measured on this machine, one node standing for ${first.sizing.instanceType}: the figures are this CPU's, not the instance type's.)`);
    if (shortOfTime.length > 0)
      lines.push(`(The budget, not the SLO, ended the search of ${shortOfTime.join("; ")}: its capacity may be higher; a larger --budget measures further.)`);
  } else {
    lines.push("No candidate meets the SLO at the rates measured, or none could be measured: see why below.");
  }
  lines.push("", "| rank | candidate | capacity per node | nodes | $/month (noise range) |", "|---|---|---|---|---|");
  for (const [index, entry] of ranking.ranked.entries()) {
    const { sizing, usdPerMonthRange: range } = entry;
    lines.push(
      `| ${index + 1} | ${entry.candidate.label} | ${count(sizing.capacityPerNode)} req/s | ${sizing.nodes} | ` +
        `${usd(sizing.usdPerMonth)} (${usd(range.low)}-${usd(range.high)}) |`,
    );
  }
  for (const entry of ranking.unmet) lines.push(`| - | ${entry.label} | not ranked: ${entry.reason} | | |`);
  return lines.join("\n");
}
