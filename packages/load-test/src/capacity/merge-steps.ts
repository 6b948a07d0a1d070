// Steps of one capacity search written by several generators at once (local workers, k6 pods):
// each offered its share of the same step, so steps with the same offered rate add up exactly.
import { percentilesFromHistogram } from "../histogram.js";
import { mergeCounts } from "../merge-counts.js";
import type { CapacityStep } from "./step.js";

/**
 * Merges the steps of generators that ran side by side: for each offered rate (the total over all
 * generators), requests, errors and achieved rates add up, histograms add up bucket by bucket and
 * the percentiles are read from the merged histogram.
 */
export function mergeSteps(steps: readonly CapacityStep[]): CapacityStep[] {
  const byRate = new Map<number, CapacityStep[]>();
  for (const step of steps) byRate.set(step.offeredRate, [...(byRate.get(step.offeredRate) ?? []), step]);
  return [...byRate.entries()]
    .sort(([a], [b]) => a - b)
    .map(([offeredRate, group]) => {
      const counts = mergeCounts(group);
      return {
        offeredRate,
        achievedRate: group.reduce((sum, s) => sum + s.achievedRate, 0),
        durationSeconds: Math.max(...group.map((s) => s.durationSeconds)),
        warmupSeconds: Math.max(...group.map((s) => s.warmupSeconds)),
        ...counts,
        latencyMs: percentilesFromHistogram(counts.histogram),
        ...(group.some((s) => s.stoppedEarly) ? { stoppedEarly: true } : {}),
      };
    });
}
