export { stepAtCapacity, withFiguresOfStep } from "./at-capacity.js";
export { bracketOf } from "./bracket.js";
export type { CapacityBracket, JudgedStep } from "./bracket.js";
export { capacityFromSteps } from "./curve.js";
export type { CapacityVerdict, CurvePoint } from "./curve.js";
export { mergeSteps } from "./merge-steps.js";
export { DEFAULT_GROWTH, DEFAULT_PRECISION, nextRate, roundRate } from "./planner.js";
export type { PlannerDecision, PlannerOptions } from "./planner.js";
export { planStaircase } from "./staircase.js";
export type { StaircaseOptions, StaircasePlan } from "./staircase.js";
export {
  CLEAR_BREACH_ACHIEVED_SHARE,
  CLEAR_BREACH_LATENCY_FACTOR,
  CLEAR_BREACH_MIN_SECONDS,
  isClearBreach,
  judgeFigures,
  judgeStep,
  MIN_ACHIEVED_SHARE,
  stepFromResult,
  stepFigures,
} from "./step.js";
export type { CapacityStep, StepFigures, StepVerdict } from "./step.js";
