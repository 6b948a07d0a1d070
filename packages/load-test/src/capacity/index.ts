export { stepAtCapacity, withFiguresOfStep } from "./at-capacity.js";
export { BREAK_MEASUREMENTS, bracketOf } from "./bracket.js";
export type { CapacityBracket, JudgedStep } from "./bracket.js";
export {
  breachingWindows,
  confirmedHold,
  DEFAULT_CONFIRM_ATTEMPTS,
  DEFAULT_STEP_DOWN,
  holdKeptSlo,
  MAX_BREACHING_WINDOWS,
  nextConfirmation,
} from "./confirm.js";
export type { ConfirmationDecision, ConfirmationOptions } from "./confirm.js";
export { capacityFromSteps, capacityRecord } from "./curve.js";
export type { CapacityVerdict, ConfirmationAttempt, CurvePoint } from "./curve.js";
export { mergeSteps } from "./merge-steps.js";
export { DEFAULT_GROWTH, DEFAULT_PRECISION, nextRate, roundRate } from "./planner.js";
export type { PlannerDecision, PlannerOptions, SearchEnd } from "./planner.js";
export { planStaircase } from "./staircase.js";
export type { StaircaseOptions, StaircasePlan } from "./staircase.js";
export {
  CLEAR_BREACH_ACHIEVED_SHARE,
  CLEAR_BREACH_LATENCY_FACTOR,
  CLEAR_BREACH_MIN_SECONDS,
  isClearBreach,
  judgeFigures,
  judgeMeasurement,
  MIN_ACHIEVED_SHARE,
  stepFromResult,
  stepFigures,
} from "./step.js";
export type { CapacityStep, CapacityWindow, StabilityRule, StepFigures, StepVerdict } from "./step.js";
export {
  checkStabilityRule,
  DEFAULT_STABILITY,
  judgeStep,
  judgeWindows,
  ratesAgree,
  settledWindows,
  stepFromWindows,
  windowSpread,
  windowsFromResult,
} from "./windows.js";
export type { WindowsJudgement } from "./windows.js";
