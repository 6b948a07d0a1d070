// One step of a capacity search: an open-loop run at one offered rate, and whether it holds the SLO.
// Pure and free of zod and Node APIs, so the k6 script can bundle it and `fleet matrix` can judge
// k6 staircase steps exactly as the local search judges its own.
import { LatencyHistogram, type HistogramData, type LatencyPercentiles } from "../histogram.js";
import { totalErrors, type LoadTestResult, type ResultPart } from "../results.js";
import type { Slo } from "@inference-fleet/fleet-config";

/** A step's figures as results files keep them (the measured window only; the warm-up counts nowhere). */
export interface CapacityStep {
  /** Requests per second the generators sent, all of them together. */
  offeredRate: number;
  /** Successful requests per second over the measured window. */
  achievedRate: number;
  /** The measured window, seconds. */
  durationSeconds: number;
  /** Seconds of load before the measured window that count nowhere. */
  warmupSeconds: number;
  /** Requests that finished in the measured window, failed ones included. */
  requests: number;
  /** Failed requests by kind (http_<status>, timeout, connection). */
  errors: Record<string, number>;
  histogram: HistogramData;
  /** Read from `histogram`; kept for people reading the file. */
  latencyMs: LatencyPercentiles;
  /** The step was cut short because it clearly broke the SLO (see isClearBreach). */
  stoppedEarly?: boolean;
  /** The measured window's consecutive windows, in order (absent where the generator cannot split them): what the step is judged by. */
  windows?: CapacityWindow[];
  /** How the windows must agree for the step to count (absent: the step is judged by its whole window). */
  stability?: StabilityRule;
  /**
   * Which measurement of this offered rate the step is (absent: 1): a break is measured again before it is
   * believed. Generators' steps merge when rate and attempt both match.
   */
  attempt?: number;
  /**
   * The step's counts per target and per model (absent where the generator keeps them per run, not per step: the
   * local search keeps them in its result): their merge is the step's own counts, and a result led by the step leads with them.
   */
  byTarget?: ResultPart[];
  byModel?: ResultPart[];
}

/** One of a step's consecutive measurement windows: its own counts and histogram. */
export type CapacityWindow = Pick<CapacityStep, "durationSeconds" | "achievedRate" | "requests" | "errors" | "histogram" | "latencyMs">;

/** perf_analyzer's stability rule: a step counts once its last `windows` windows agree. */
export interface StabilityRule {
  /** Consecutive windows that must agree (perf_analyzer: 3). */
  readonly windows: number;
  /** Windows measured at most before the majority decides (the step is then marked unstable). */
  readonly maxWindows: number;
  /** Achieved rates agree when (highest - lowest) is at most this share of their mean (0.1 = 10%). */
  readonly share: number;
}

/** Achieved under this share of offered means the fleet is not keeping up, whatever the latency says. */
const MIN_ACHIEVED_SHARE = 0.95;
/** A clear breach: achieved under this share of offered ... */
const CLEAR_BREACH_ACHIEVED_SHARE = 0.8;
/** ... or the SLO percentile over this many times its threshold. */
export const CLEAR_BREACH_LATENCY_FACTOR = 3;
/** Seconds of a step's measured window before a clear breach may cut it short: a few slow first responses are no verdict. */
export const CLEAR_BREACH_MIN_SECONDS = 3;

/** The figures a verdict reads: a finished step, or a step still running. */
export interface StepFigures {
  offeredRate: number;
  achievedRate: number;
  /** The SLO percentile's latency, ms. */
  percentileMs: number;
  errorRate: number;
}

export interface StepVerdict extends StepFigures {
  holds: boolean;
  /** So far over the SLO that a step showing it may be cut short, and bisection may skip past it. */
  clearBreach: boolean;
  /** Why the step breaks the SLO, in words (empty when it holds). */
  reasons: string[];
}

/** A step from the result of an open-loop run at `offeredRate` (its warm-up already left out). */
export function stepFromResult(result: LoadTestResult, offeredRate: number, stoppedEarly = false): CapacityStep {
  return {
    offeredRate,
    achievedRate: result.throughput,
    durationSeconds: result.durationSeconds,
    warmupSeconds: result.warmupSeconds,
    requests: result.requests,
    errors: result.errors,
    histogram: result.histogram,
    latencyMs: result.latencyMs,
    ...(stoppedEarly ? { stoppedEarly } : {}),
  };
}

/** The figures of a finished step, as judged against an SLO. */
function stepFigures(step: CapacityStep, slo: Slo): StepFigures {
  return {
    offeredRate: step.offeredRate,
    achievedRate: step.achievedRate,
    percentileMs: LatencyHistogram.from(step.histogram).percentile(slo.percentile),
    errorRate: step.requests > 0 ? totalErrors(step.errors) / step.requests : 1,
  };
}

/** Whether figures are so far over the SLO that waiting for the rest of the step would tell nothing new. */
export function isClearBreach(figures: StepFigures, slo: Slo): boolean {
  return (
    figures.achievedRate < CLEAR_BREACH_ACHIEVED_SHARE * figures.offeredRate ||
    figures.percentileMs > CLEAR_BREACH_LATENCY_FACTOR * slo.latencyMs ||
    // Half the requests failing is no near miss, whatever the error budget.
    figures.errorRate >= 0.5
  );
}

/** Judges figures (a finished step's, or a running step's so far) against the SLO. */
function judgeFigures(figures: StepFigures, slo: Slo): StepVerdict {
  const reasons: string[] = [];
  if (figures.percentileMs > slo.latencyMs) reasons.push(`p${slo.percentile} ${figures.percentileMs.toFixed(1)} ms > ${slo.latencyMs} ms`);
  if (figures.errorRate > slo.maxErrorRate) reasons.push(`${(figures.errorRate * 100).toFixed(2)}% errors > ${(slo.maxErrorRate * 100).toFixed(2)}%`);
  if (figures.achievedRate < MIN_ACHIEVED_SHARE * figures.offeredRate) {
    reasons.push(`achieved ${figures.achievedRate.toFixed(1)} < ${MIN_ACHIEVED_SHARE * 100}% of ${figures.offeredRate} req/s offered`);
  }
  return { ...figures, holds: reasons.length === 0, clearBreach: isClearBreach(figures, slo), reasons };
}

/**
 * Whether one measured window holds the SLO: its percentile (read from its histogram) at most the
 * threshold, its error rate at most the budget, and its achieved rate at least 95% of the offered rate.
 * A window that served nothing, or was cut short for a clear breach, breaks it.
 */
export function judgeMeasurement(step: CapacityStep, slo: Slo): StepVerdict {
  const verdict = judgeFigures(stepFigures(step, slo), slo);
  if (step.requests === 0 && verdict.holds) return { ...verdict, holds: false, reasons: ["no request finished in the measured window"] };
  if (step.stoppedEarly && verdict.holds) return { ...verdict, holds: false, clearBreach: true, reasons: ["cut short after a clear breach"] };
  return verdict;
}
