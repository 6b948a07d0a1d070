// The capacity bracket: the rate that holds the SLO below every rate that broke it, and the lowest
// rate that broke it. One rule for the planners (what to offer next) and the curve (the answer).
import type { Slo } from "../thresholds.js";
import { judgeStep, type CapacityStep, type StepVerdict } from "./step.js";

export interface JudgedStep {
  readonly step: CapacityStep;
  readonly verdict: StepVerdict;
}

export interface CapacityBracket {
  /** Every step with its verdict, by offered rate. */
  readonly judged: JudgedStep[];
  /** The highest step that held below `bad`: the capacity so far (absent when none held there). */
  readonly good?: JudgedStep;
  /** The lowest step that broke the SLO (absent when every step held). */
  readonly bad?: JudgedStep;
}

/**
 * Judges the steps and brackets the capacity. A step that held above one that broke is taken for
 * noise: the bracket ends at the lowest rate that broke, the rate a fleet can be trusted with.
 */
export function bracketOf(steps: readonly CapacityStep[], slo: Slo): CapacityBracket {
  const judged = [...steps].sort((a, b) => a.offeredRate - b.offeredRate).map((step) => ({ step, verdict: judgeStep(step, slo) }));
  const bad = judged.find((j) => !j.verdict.holds);
  const good = judged.filter((j) => j.verdict.holds && (!bad || j.step.offeredRate < bad.step.offeredRate)).pop();
  return { judged, ...(good ? { good } : {}), ...(bad ? { bad } : {}) };
}
