// The capacity bracket: the rate that holds the SLO below every rate that broke it, and the lowest
// rate that broke it. One rule for the planners (what to offer next) and the curve (the answer).
// A break is believed only once a second measurement at the same rate breaks too: until then the
// planners measure it again, and the curve (the search over) takes it for a break.
import type { Slo } from "@inference-fleet/fleet-config";
import type { CapacityStep, StepVerdict } from "./step.js";
import { judgeStep } from "./windows.js";

interface JudgedStep {
  readonly step: CapacityStep;
  readonly verdict: StepVerdict;
}

export interface CapacityBracket {
  /** Every step with its verdict, by offered rate (steps at the same rate in the order measured). */
  readonly judged: JudgedStep[];
  /** The highest step that held below `bad`: the capacity so far (absent when none held there). */
  readonly good?: JudgedStep;
  /** The latest measurement of the lowest rate that broke the SLO (absent when every step held). */
  readonly bad?: JudgedStep;
  /** `bad` broke once and was not measured again yet: a planner measures it again before it believes it. */
  readonly badUnconfirmed?: boolean;
}

/** Breaks at a rate measured this many times are believed. */
const BREAK_MEASUREMENTS = 2;

/**
 * Judges the steps and brackets the capacity. A rate holds when any of its measurements held (a break
 * that a second measurement did not repeat is not believed). A rate that held above one that broke is
 * taken for noise: the bracket ends at the lowest rate that broke, the rate a fleet can be trusted with.
 */
export function bracketOf(steps: readonly CapacityStep[], slo: Slo): CapacityBracket {
  const judged = steps.map((step, order) => ({ step, order, verdict: judgeStep(step, slo) }));
  judged.sort((a, b) => a.step.offeredRate - b.step.offeredRate || a.order - b.order);
  const byRate = new Map<number, JudgedStep[]>();
  for (const j of judged) byRate.set(j.step.offeredRate, [...(byRate.get(j.step.offeredRate) ?? []), j]);
  const rates = [...byRate.values()];
  const broken = rates.find((measured) => !measured.some((m) => m.verdict.holds));
  const bad = broken?.[broken.length - 1];
  const good = rates
    .filter((measured) => measured.some((m) => m.verdict.holds) && (!bad || measured[0]!.step.offeredRate < bad.step.offeredRate))
    .map((measured) => measured.filter((m) => m.verdict.holds).pop()!)
    .pop();
  return {
    judged: judged.map(({ step, verdict }) => ({ step, verdict })),
    ...(good ? { good } : {}),
    ...(bad ? { bad, ...(broken!.length < BREAK_MEASUREMENTS ? { badUnconfirmed: true } : {}) } : {}),
  };
}
