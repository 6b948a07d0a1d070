// The verdict across instance types: throughput, latency at that load, cost, and the cheapest that meets the SLO.
import { describeSloInFull, figuresMeetSlo, getInstanceType, PRICE_SOURCE, usdPerMillionInferences, type Slo } from "@inference-fleet/fleet-config";
import { totalErrors, type LoadTestResult } from "@inference-fleet/load-test";

/** One stack's measured figures, ready to compare. */
export interface StackSummary {
  readonly stack: string;
  readonly instanceType: string;
  /** Fleet nodes the servers ran on: what the bill counts. */
  readonly instances: number;
  /** Successful requests per second the fleet sustained at the configured load; in a capacity search, the capacity at the SLO. */
  readonly throughput: number;
  /** A capacity search's answer (req/s at which the SLO holds), which the price is per; absent for other modes. */
  readonly capacityAtSlo?: number;
  /** The capacity held the SLO for the confirmation's sustained window (a search without one is not confirmed). */
  readonly confirmed?: boolean;
  readonly latencyMs: LoadTestResult["latencyMs"];
  readonly errorRate: number;
  readonly usdPerHour: number;
  readonly usdPerMillionInferences: number;
  /** k6 reported a threshold failure (exit code 99). */
  readonly sloBreachReported: boolean;
  /** The stack's own SLO, which it is judged against (stacks may differ). */
  readonly slo?: Slo;
}

export function summarizeStack(
  stack: string,
  instanceType: string,
  instances: number,
  merged: LoadTestResult,
  sloBreachReported = false,
  slo?: Slo,
): StackSummary {
  // A capacity search is priced at its capacity (mergeResults computed it from the merged steps with
  // capacityFromSteps, as the local search does); its top-level figures are those of the step there.
  const capacityAtSlo = merged.capacity?.capacityAtSlo;
  const throughput = capacityAtSlo ?? merged.throughput;
  const confirmed = merged.capacity?.confirmations ? { confirmed: (capacityAtSlo ?? 0) > 0 } : {};
  return {
    stack,
    instanceType,
    instances,
    throughput,
    ...(capacityAtSlo !== undefined ? { capacityAtSlo, ...confirmed } : {}),
    latencyMs: merged.latencyMs,
    errorRate: merged.requests > 0 ? totalErrors(merged.errors) / merged.requests : 1,
    usdPerHour: getInstanceType(instanceType).onDemandUsdPerHour * instances,
    usdPerMillionInferences: usdPerMillionInferences(instanceType, throughput, instances),
    sloBreachReported,
    ...(slo ? { slo } : {}),
  };
}

/** Judged against the stack's own SLO when it carries one, else the one given. */
export function meetsSlo(summary: StackSummary, slo: Slo): boolean {
  return !summary.sloBreachReported && figuresMeetSlo(summary, summary.slo ?? slo);
}

const sameSlo = (a: Slo, b: Slo) => a.percentile === b.percentile && a.latencyMs === b.latencyMs && a.maxErrorRate === b.maxErrorRate;

/** The stack that meets the SLO at the lowest cost per inference, or undefined when none does. */
export function pickCheapestMeetingSlo(summaries: readonly StackSummary[], slo: Slo): StackSummary | undefined {
  return summaries
    .filter((summary) => meetsSlo(summary, slo))
    .reduce<StackSummary | undefined>((best, summary) => (!best || summary.usdPerMillionInferences < best.usdPerMillionInferences ? summary : best), undefined);
}

const ms = (value: number) => value.toFixed(1);

/** What the throughput column holds for a capacity search: the capacity confirmed by a sustained hold, or one the search found alone. */
function capacityNote(s: StackSummary): string {
  if (s.capacityAtSlo === undefined) return "";
  const perNode = s.instances > 1 ? `, ${(s.capacityAtSlo / s.instances).toFixed(1)}/node` : "";
  return s.confirmed ? ` (confirmed capacity at SLO${perNode})` : ` (capacity at SLO${perNode}, not confirmed)`;
}
const usd = (value: number) => (Number.isFinite(value) ? `$${value < 1 ? value.toFixed(4) : value.toFixed(2)}` : "n/a");

/** A stack that produced no comparable figures, and why. */
export interface StackFailure {
  readonly stack: string;
  readonly reason: string;
}

/** The comparison as Markdown: the report's verdict (when given), a table per instance type, the cheapest meeting the SLO, and the stacks that failed. */
export function renderComparisonMarkdown(summaries: readonly StackSummary[], failures: readonly StackFailure[], slo: Slo, verdict?: string): string {
  const mixed = summaries.some((s) => !sameSlo(s.slo ?? slo, slo));
  const sloLine = mixed ? "SLO: each stack is judged against its own (SLO column)." : `SLO: ${describeSloInFull(slo)}.`;
  const lines = [
    `# Instance-type comparison`,
    "",
    ...(verdict ? [`**Verdict: ${verdict}**`, ""] : []),
    `${sloLine} Prices: on-demand Linux in ${PRICE_SOURCE.region} as of ${PRICE_SOURCE.date} (${PRICE_SOURCE.source}).`,
    "",
  ];
  if (summaries.length > 0) {
    lines.push(
      `| Instance type | Stack | Nodes | Throughput (req/s) | p50 (ms) | p90 (ms) | p99 (ms) | Errors | USD/hour | USD per 1M inferences ` +
        `|${mixed ? " SLO |" : ""} Meets SLO |`,
      `|---|---|--:|--:|--:|--:|--:|--:|--:|--:|${mixed ? "---|" : ""}---|`,
    );
    for (const s of [...summaries].sort((a, b) => a.usdPerMillionInferences - b.usdPerMillionInferences)) {
      const verdict = meetsSlo(s, slo) ? "yes" : s.sloBreachReported ? "no (k6 thresholds failed)" : "no";
      lines.push(
        `| ${s.instanceType} | ${s.stack} | ${s.instances} | ${s.throughput.toFixed(1)}${capacityNote(s)} | ` +
          `${ms(s.latencyMs.p50)} | ${ms(s.latencyMs.p90)} | ` +
          `${ms(s.latencyMs.p99)} | ` +
          `${(s.errorRate * 100).toFixed(2)}% | ${usd(s.usdPerHour)} | ${usd(s.usdPerMillionInferences)} |` +
          `${mixed ? ` ${describeSloInFull(s.slo ?? slo)} |` : ""} ` +
          `${verdict} |`,
      );
    }
    lines.push("");
    if (summaries.some((s) => s.capacityAtSlo !== undefined)) {
      lines.push("Ranked by USD per million inferences at each stack's capacity at its SLO (the rate its confirmation held for minutes).", "");
    }
  }
  const best = pickCheapestMeetingSlo(summaries, slo);
  lines.push(
    best
      ? `**Cheapest meeting the SLO: ${best.instanceType}** (stack ${best.stack}) at ${usd(best.usdPerMillionInferences)} per million inferences, ` +
          `${best.throughput.toFixed(1)} req/s on ${best.instances} node(s).`
      : "**No stack met the SLO.** Try more servers or copies per node, batching, or a larger instance type.",
  );
  if (failures.length > 0) {
    lines.push("", "## Stacks without results", "");
    for (const failure of failures) lines.push(`- ${failure.stack}: ${failure.reason}`);
  }
  return `${lines.join("\n")}\n`;
}
