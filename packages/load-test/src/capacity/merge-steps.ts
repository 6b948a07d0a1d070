// Steps of one capacity search written by several generators at once (local workers, k6 pods):
// each offered its share of the same step, so steps with the same offered rate add up exactly.
import { percentilesFromHistogram } from "../histogram.js";
import { mergeCounts, mergeParts } from "../merge-counts.js";
import type { CapacityStep, CapacityWindow } from "./step.js";

/** Windows measured side by side (the same window of each generator's step): counts add up, as do achieved rates. */
function mergeWindows(parts: readonly CapacityWindow[]): CapacityWindow {
  const counts = mergeCounts(parts);
  return {
    durationSeconds: Math.max(...parts.map((w) => w.durationSeconds)),
    achievedRate: parts.reduce((sum, w) => sum + w.achievedRate, 0),
    ...counts,
    latencyMs: percentilesFromHistogram(counts.histogram),
  };
}

/** The generators' windows merged window by window, when every one measured as many (else none: they cannot be lined up). */
function mergedWindowsOf(group: readonly CapacityStep[]): Pick<CapacityStep, "windows" | "stability"> {
  const count = group[0]!.windows?.length ?? 0;
  if (count === 0 || group.some((s) => s.windows?.length !== count)) return {};
  const windows = Array.from({ length: count }, (_, k) => mergeWindows(group.map((s) => s.windows![k]!)));
  const { stability } = group[0]!;
  return { windows, ...(stability ? { stability } : {}) };
}

/** The generators' per-target and per-model counts merged by name, when every one kept them. */
function mergedPartsOf(group: readonly CapacityStep[]): Pick<CapacityStep, "byTarget" | "byModel"> {
  const byTarget = mergeParts(group.map((s) => s.byTarget));
  const byModel = mergeParts(group.map((s) => s.byModel));
  return { ...(byTarget ? { byTarget } : {}), ...(byModel ? { byModel } : {}) };
}

/**
 * Merges the steps of generators that ran side by side: for each offered rate (the total over all
 * generators) and attempt, requests, errors and achieved rates add up, histograms add up bucket by bucket and
 * the percentiles are read from the merged histogram; their windows merge window by window, their per-target and
 * per-model counts by name. In rate order, or (a confirmation's holds, whose
 * last one is the answer) in the order first seen.
 */
export function mergeSteps(steps: readonly CapacityStep[], order: "by-rate" | "as-given" = "by-rate"): CapacityStep[] {
  const byRate = new Map<string, CapacityStep[]>();
  for (const step of steps) {
    const key = `${step.offeredRate}/${step.attempt ?? 1}`;
    byRate.set(key, [...(byRate.get(key) ?? []), step]);
  }
  const groups = [...byRate.values()];
  if (order === "by-rate") groups.sort(([a], [b]) => a!.offeredRate - b!.offeredRate || (a!.attempt ?? 1) - (b!.attempt ?? 1));
  return groups.map((group) => {
    // One generator's step keeps its windows and stability rule as they were measured.
    if (group.length === 1) return group[0]!;
    const counts = mergeCounts(group);
    const { offeredRate, attempt } = group[0]!;
    return {
      offeredRate,
      ...(attempt !== undefined ? { attempt } : {}),
      achievedRate: group.reduce((sum, s) => sum + s.achievedRate, 0),
      durationSeconds: Math.max(...group.map((s) => s.durationSeconds)),
      warmupSeconds: Math.max(...group.map((s) => s.warmupSeconds)),
      ...counts,
      latencyMs: percentilesFromHistogram(counts.histogram),
      ...(group.some((s) => s.stoppedEarly) ? { stoppedEarly: true } : {}),
      ...mergedWindowsOf(group),
      ...mergedPartsOf(group),
    };
  });
}
