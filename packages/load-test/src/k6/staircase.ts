// The capacity search in k6: a staircase of constant-arrival-rate scenarios, one per step, each
// starting when the one before ends, with the step's warm-up and measured window. k6 cannot change
// its plan while it runs and a VU cannot read metrics, so the rates come from outside (CAPACITY_RATES,
// planned by planStaircase); `fleet matrix` judges a pass and plans the next (scripts/src/matrix/capacity-passes.ts).
// Per-step figures reach handleSummary as submetrics tagged `step`, which k6 only summarises when a
// threshold names them: each gets one that always passes. Pure, so vitest checks the plan.
import { parseDurationSeconds } from "@inference-fleet/fleet-config";
import type { Options } from "k6/options";
import { CLEAR_BREACH_LATENCY_FACTOR, CLEAR_BREACH_MIN_SECONDS } from "../capacity/step.js";
import type { Slo } from "@inference-fleet/fleet-config";
import type { Thresholds } from "../thresholds.js";
import { countedMetricNames, SLO_FAILED_METRIC, SLO_LATENCY_METRIC, submetric } from "./metrics.js";

type Env = Record<string, string | undefined>;
type Scenario = NonNullable<Options["scenarios"]>[string];

/** The tag each measured sample of a step carries; its value is the step's index. */
export const STEP_TAG = "step";
/** The tag each measured sample of a step carries for its rate (the rateIndex, shared by the rate's windows). */
export const RATE_TAG = "rate";
/**
 * VUs one pod may use in a step unless MAX_VUS says otherwise: a k6 pod has 1 GiB (K6_RESOURCES) and
 * each VU holds the script's metric objects. 300 in flight keep 3,000 req/s per pod at 100 ms.
 */
const STAIRCASE_MAX_VUS = 300;

/**
 * One scenario of the staircase: one measurement window of one rate. A rate runs CAPACITY_WINDOWS of them
 * back to back (its warm-up before the first), so its windows can be judged as the local search judges them.
 */
interface K6StaircaseStep {
  /** 0, 1, ... in the order the scenarios run; also the value of the `step` tag. */
  readonly index: number;
  /** The scenario's k6 name. */
  readonly scenario: string;
  /** Requests per second all pods together offer (the step's key when pods' results merge). */
  readonly offeredRate: number;
  /** Which rate of CAPACITY_RATES (0, 1, ...) this window measures. */
  readonly rateIndex: number;
  /** Which of the rate's windows this is (0, 1, ...). */
  readonly window: number;
  /** When the scenario starts, seconds after the load starts. */
  readonly startSeconds: number;
  /** The rate's warm-up (first window only; 0 for the others). */
  readonly warmupSeconds: number;
  /** The measured window after the warm-up. */
  readonly windowSeconds: number;
}

export interface K6Staircase {
  readonly steps: readonly K6StaircaseStep[];
  /** Windows per rate, and the share within which their achieved rates must agree (CAPACITY_WINDOWS, CAPACITY_STABILITY). */
  readonly windows: number;
  readonly stability: number;
  /** k6 pods sharing each step's rate. */
  readonly generators: number;
  /** The whole staircase, seconds: when the last step ends. */
  readonly totalSeconds: number;
}

function stepScenarioName(index: number): string {
  return `step_${String(index).padStart(2, "0")}`;
}

/** The submetric of `metric` that holds step `index`'s samples only, as thresholds and the summary name it. */
export function stepMetric(metric: string, index: number): string {
  return submetric(metric, { [STEP_TAG]: index });
}

function seconds(env: Env, name: string, fallback: number, example: string): number {
  const raw = env[name]?.trim() ?? "";
  if (raw === "") return fallback;
  const value = parseDurationSeconds(raw);
  if (value === undefined || value < 0) throw new Error(`${name}="${env[name]}" is not a duration: write e.g. ${example}.`);
  return value;
}

/**
 * CAPACITY_RATES (req/s of all pods together, in the order to run), CAPACITY_WARMUP and CAPACITY_WINDOW (the
 * measured time) per rate, split into CAPACITY_WINDOWS windows (default 1) that must agree within CAPACITY_STABILITY, GENERATORS.
 */
export function staircaseFromEnv(env: Env): K6Staircase {
  const rates = (env.CAPACITY_RATES ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (rates.length === 0 || rates.some((r) => !(r > 0 && Number.isFinite(r)))) {
    throw new Error(`CAPACITY_RATES="${env.CAPACITY_RATES ?? ""}" must list the steps' total rates in req/s, e.g. CAPACITY_RATES=50,100,200.`);
  }
  const warmupSeconds = seconds(env, "CAPACITY_WARMUP", 2, "2s");
  const windowSeconds = seconds(env, "CAPACITY_WINDOW", 8, "8s");
  if (!(windowSeconds > 0)) throw new Error(`CAPACITY_WINDOW="${env.CAPACITY_WINDOW}" must be longer than 0 s: it is each step's measured window.`);
  const generators = Number(env.GENERATORS ?? "1");
  if (!Number.isInteger(generators) || generators < 1) throw new Error(`GENERATORS="${env.GENERATORS}" must be the number of k6 pods, 1 or more.`);
  const windows = Number(env.CAPACITY_WINDOWS ?? "1");
  if (!Number.isInteger(windows) || windows < 1)
    throw new Error(`CAPACITY_WINDOWS="${env.CAPACITY_WINDOWS}" must be the number of windows per rate, 1 or more.`);
  const stability = Number(env.CAPACITY_STABILITY ?? "0.1");
  if (!(stability > 0 && stability < 1)) throw new Error(`CAPACITY_STABILITY="${env.CAPACITY_STABILITY}" must be a share between 0 and 1, e.g. 0.1.`);
  const stepSeconds = warmupSeconds + windowSeconds;
  const each = windowSeconds / windows;
  const steps = rates.flatMap((offeredRate, rateIndex) =>
    Array.from({ length: windows }, (_, window) => {
      const index = rateIndex * windows + window;
      // Millisecond resolution: k6 reads "4.667s", and a millisecond between windows counts nowhere.
      const startSeconds = Number((rateIndex * stepSeconds + (window === 0 ? 0 : warmupSeconds + window * each)).toFixed(3));
      return {
        index,
        scenario: stepScenarioName(index),
        offeredRate,
        rateIndex,
        window,
        startSeconds,
        warmupSeconds: window === 0 ? warmupSeconds : 0,
        windowSeconds: Number(each.toFixed(3)),
      };
    }),
  );
  return { steps, generators, windows, stability, totalSeconds: rates.length * stepSeconds };
}

/** k6 wants a whole number of iterations per time unit: a fractional share is counted per 1000 s. */
export function arrivalRate(perSecond: number): { rate: number; timeUnit: string } {
  return Number.isInteger(perSecond) ? { rate: perSecond, timeUnit: "1s" } : { rate: Math.round(perSecond * 1000), timeUnit: "1000s" };
}

/**
 * One constant-arrival-rate scenario per step. VUs follow Little's law: the SLO latency's worth of
 * requests in flight is allocated up front, and twice the clear-breach latency's worth at most, so
 * k6 drops iterations (and the step's achieved rate falls) only once the fleet is clearly too slow.
 */
export function staircaseScenarios(staircase: K6Staircase, slo: Slo, options: { timeout: string; maxVUs?: number }): Record<string, Scenario> {
  const cap = options.maxVUs ?? STAIRCASE_MAX_VUS;
  return Object.fromEntries(
    staircase.steps.map((step) => {
      const share = step.offeredRate / staircase.generators;
      const inFlight = (share * slo.latencyMs) / 1000;
      const maxVUs = Math.min(cap, Math.ceil(2 * CLEAR_BREACH_LATENCY_FACTOR * inFlight) + 1);
      const scenario: Scenario = {
        executor: "constant-arrival-rate",
        ...arrivalRate(share),
        startTime: `${step.startSeconds}s`,
        duration: `${step.warmupSeconds + step.windowSeconds}s`,
        preAllocatedVUs: Math.min(maxVUs, Math.ceil(inFlight) + 1),
        maxVUs,
        // Requests in flight when the step ends finish (and count for it) during the next step's warm-up.
        gracefulStop: options.timeout,
        tags: { [STEP_TAG]: String(step.index) },
      };
      return [step.scenario, scenario];
    }),
  );
}

/** Seconds after a step's window ends before its SLO verdict may stop the pod: its last responses arrive. */
const STEP_VERDICT_DELAY_SECONDS = 1;

/**
 * Per window: a threshold that always passes on each metric handleSummary reads (so k6 keeps the window's
 * submetric), and up to four that stop the pod, because no step above one that broke can raise the capacity
 * (the bracket ends at the lowest rate that broke): a clear breach cuts the window short as the local
 * search does (the percentile over 3x the threshold, or half the requests failing, after a few measured
 * seconds), and a rate whose last window ended over the SLO's percentile or error budget stops the staircase
 * there (an earlier window that broke does not: the windows are judged together afterwards). k6 then exits
 * 99; the steps so far are still written. (Achieved under 95% of offered is judged afterwards, from the
 * counts: no threshold can read a step's rate.)
 */
export function staircaseThresholds(staircase: K6Staircase, slo: Slo): Thresholds {
  const read = countedMetricNames();
  const percentile = `p(${slo.percentile})`;
  const thresholds: Thresholds = {};
  for (const step of staircase.steps) {
    for (const metric of read) thresholds[stepMetric(metric, step.index)] = ["count>=0"];
    const measuredFrom = step.startSeconds + step.warmupSeconds;
    const clear = { abortOnFail: true, delayAbortEval: `${measuredFrom + CLEAR_BREACH_MIN_SECONDS}s` };
    const ended = { abortOnFail: true, delayAbortEval: `${measuredFrom + step.windowSeconds + STEP_VERDICT_DELAY_SECONDS}s` };
    const last = step.window === staircase.windows - 1;
    thresholds[stepMetric(SLO_LATENCY_METRIC, step.index)] = [
      { threshold: `${percentile}<=${CLEAR_BREACH_LATENCY_FACTOR * slo.latencyMs}`, ...clear },
      ...(last ? [{ threshold: `${percentile}<=${slo.latencyMs}`, ...ended }] : []),
    ];
    thresholds[stepMetric(SLO_FAILED_METRIC, step.index)] = [
      { threshold: "rate<0.5", ...clear },
      ...(last ? [{ threshold: `rate<=${slo.maxErrorRate}`, ...ended }] : []),
    ];
  }
  return thresholds;
}
