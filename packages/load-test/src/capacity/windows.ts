// A step judged over consecutive measurement windows, as perf_analyzer judges a measurement: the step
// counts only once its last few windows agree (the same SLO verdict, achieved rates within the
// stability share of each other), so one window spiked by a neighbour neither breaks a step that
// holds nor lets a step that breaks pass. Pure, like step.ts: the local search and `fleet matrix`
// judge with it.
import { LatencyHistogram, percentilesFromHistogram } from "../histogram.js";
import { mergeCounts } from "../merge-counts.js";
import type { LoadTestResult } from "../results.js";
import type { Slo } from "@inference-fleet/fleet-config";
import { judgeMeasurement, type CapacityStep, type CapacityWindow, type StabilityRule, type StepVerdict } from "./step.js";

export const DEFAULT_STABILITY: StabilityRule = { windows: 3, maxWindows: 6, share: 0.1 };

/** Whether the step's windows so far settle its verdict, and which windows made it. */
export type WindowsJudgement =
  | { readonly settled: false; readonly reason: string }
  | {
      readonly settled: true;
      /** The windows agreed (false: maxWindows ran out and the majority decided). */
      readonly stable: boolean;
      readonly verdict: StepVerdict;
      /** Indices of the windows the verdict rests on. */
      readonly used: readonly number[];
    };

/** Windows as one measurement at the step's rate: counts and histograms add up exactly. */
function mergedWindows(step: Pick<CapacityStep, "offeredRate" | "warmupSeconds">, windows: readonly CapacityWindow[]): CapacityStep {
  const counts = mergeCounts(windows);
  const durationSeconds = windows.reduce((sum, w) => sum + w.durationSeconds, 0);
  const successes = windows.reduce((sum, w) => sum + w.achievedRate * w.durationSeconds, 0);
  return {
    offeredRate: step.offeredRate,
    achievedRate: durationSeconds > 0 ? successes / durationSeconds : 0,
    durationSeconds,
    warmupSeconds: step.warmupSeconds,
    ...counts,
    latencyMs: percentilesFromHistogram(counts.histogram),
  };
}

/**
 * A step from its consecutive windows (in order): its figures are all the windows' together, its verdict
 * comes from the windows under `stability` (see judgeStep).
 */
export function stepFromWindows(
  offeredRate: number,
  windows: readonly CapacityWindow[],
  options: { warmupSeconds: number; stability?: StabilityRule; attempt?: number; stoppedEarly?: boolean },
): CapacityStep {
  const merged = mergedWindows({ offeredRate, warmupSeconds: options.warmupSeconds }, windows);
  return {
    ...merged,
    ...(options.stoppedEarly ? { stoppedEarly: true } : {}),
    windows: [...windows],
    ...(options.stability ? { stability: options.stability } : {}),
    ...(options.attempt !== undefined && options.attempt > 1 ? { attempt: options.attempt } : {}),
  };
}

/** Whether achieved rates agree: (highest - lowest) at most `share` of their mean. */
function ratesAgree(rates: readonly number[], share: number): boolean {
  if (rates.length === 0) return false;
  const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
  return mean > 0 && (Math.max(...rates) - Math.min(...rates)) / mean <= share;
}

/**
 * Judges a step from its windows, in the order measured:
 * - the last two windows both clear breaches settle it as a clear breach at once (one spike cannot);
 * - else the last `windows` windows settle it when they give the same verdict and their achieved
 *   rates agree within `share`; the verdict is theirs, read from their merged histogram;
 * - else, once `maxWindows` were measured, the majority of all windows decides (a tie breaks), unstable;
 * - else more windows are needed.
 */
export function judgeWindows(step: CapacityStep, windows: readonly CapacityWindow[], slo: Slo, rule: StabilityRule = DEFAULT_STABILITY): WindowsJudgement {
  const asStep = (w: CapacityWindow): CapacityStep => ({ ...w, offeredRate: step.offeredRate, warmupSeconds: 0 });
  const verdicts = windows.map((w) => judgeMeasurement(asStep(w), slo));
  const n = windows.length;
  const indices = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  const settle = (used: number[], stable: boolean): Settled => {
    const merged = mergedWindows(
      step,
      used.map((i) => windows[i]!),
    );
    const verdict = judgeMeasurement(merged, slo);
    const holds = used.filter((i) => verdicts[i]!.holds).length * 2 > used.length;
    // The majority decides an unstable step; its merged figures still say why it broke.
    if (holds === verdict.holds) return { settled: true, stable, verdict, used };
    const reasons = holds ? [] : verdict.reasons.length > 0 ? verdict.reasons : ["most windows broke the SLO"];
    return { settled: true, stable, verdict: { ...verdict, holds, reasons }, used };
  };
  const clearRun = Math.min(2, rule.windows);
  if (n >= clearRun && verdicts.slice(n - clearRun).every((v) => v.clearBreach && !v.holds)) {
    const settled = settle(indices(n - clearRun, n), true);
    return { ...settled, verdict: { ...settled.verdict, holds: false, clearBreach: true } };
  }
  if (n >= rule.windows) {
    const last = indices(n - rule.windows, n);
    const sameVerdict = last.every((i) => verdicts[i]!.holds === verdicts[last[0]!]!.holds);
    if (
      sameVerdict &&
      ratesAgree(
        last.map((i) => windows[i]!.achievedRate),
        rule.share,
      )
    )
      return settle(last, true);
  }
  if (n >= rule.maxWindows) return settle(indices(0, n), false);
  return { settled: false, reason: `${n} of at least ${rule.windows} windows, ${n < rule.windows ? "too few yet" : "not agreeing yet"}` };
}

/**
 * Whether a step holds the SLO: a search's step with windows and a stability rule by its windows (see
 * judgeWindows; one whose windows never settled, e.g. cut short, as if they had run out), any other
 * (a confirmation's sustained hold, a k6 step) by its whole measured window (judgeMeasurement).
 */
export function judgeStep(step: CapacityStep, slo: Slo): StepVerdict {
  const windows = step.windows ?? [];
  if (windows.length === 0 || !step.stability) return judgeMeasurement(step, slo);
  const rule = step.stability;
  const judged = judgeWindows(step, windows, slo, rule);
  const verdict = judged.settled ? judged.verdict : (judgeWindows(step, windows, slo, { ...rule, maxWindows: windows.length }) as Settled).verdict;
  if (step.stoppedEarly && verdict.holds) return { ...verdict, holds: false, clearBreach: true, reasons: ["cut short after a clear breach"] };
  return verdict;
}

type Settled = Extract<WindowsJudgement, { settled: true }>;

/** The windows a step's verdict rests on (every window when it never settled, or has no stability rule); undefined for a step without windows. */
export function settledWindows(step: CapacityStep, slo: Slo): readonly number[] | undefined {
  const windows = step.windows ?? [];
  if (windows.length === 0) return undefined;
  if (!step.stability) return windows.map((_, i) => i);
  const judged = judgeWindows(step, windows, slo, step.stability);
  return judged.settled ? judged.used : windows.map((_, i) => i);
}

/** The lowest and highest achieved rate of the windows a verdict rests on (all windows when `used` is absent). */
export function windowSpread(windows: readonly CapacityWindow[], used?: readonly number[]): { low: number; high: number } | undefined {
  const rates = (used ? used.map((i) => windows[i]!) : windows).map((w) => w.achievedRate);
  return rates.length > 0 ? { low: Math.min(...rates), high: Math.max(...rates) } : undefined;
}

/**
 * Cuts a run's measured window into windows of `windowSeconds` whole seconds from its per-second series
 * (by completion time, as the recorder files them): the first window also takes the part-second before
 * the first whole second, the last one the remainder, so every response counts in exactly one window.
 * A result without per-second latencies (k6) gives no windows.
 */
export function windowsFromResult(result: LoadTestResult, windowSeconds: number): CapacityWindow[] {
  return windowsFromSeries(result.series, Date.parse(result.startTime), Date.parse(result.endTime), windowSeconds);
}

/** windowsFromResult over a run's per-second series from `fromMs` to `endMs` (Unix ms): also mid-run, from its progress. */
export function windowsFromSeries(series: LoadTestResult["series"], fromMs: number, endMs: number, windowSeconds: number): CapacityWindow[] {
  if (!(windowSeconds > 0)) throw new Error(`A measurement window must last a positive number of seconds, got ${windowSeconds}.`);
  if (series.length === 0 || series.some((p) => !p.latency)) return [];
  const firstWhole = Math.ceil(fromMs / 1000);
  const count = Math.max(1, Math.floor((endMs / 1000 - firstWhole) / windowSeconds));
  const windowOf = (second: number) => Math.min(count - 1, Math.max(0, Math.floor((second - firstWhole) / windowSeconds)));
  const groups = Array.from({ length: count }, () => [] as LoadTestResult["series"]);
  for (const point of series) groups[windowOf(point.second)]!.push(point);
  return groups.map((points, k): CapacityWindow => {
    const startMs = k === 0 ? fromMs : (firstWhole + k * windowSeconds) * 1000;
    const stopMs = k === count - 1 ? endMs : (firstWhole + (k + 1) * windowSeconds) * 1000;
    const durationSeconds = Math.max(0, stopMs - startMs) / 1000;
    const histogram = new LatencyHistogram();
    for (const p of points) histogram.merge(p.latency!);
    const requests = points.reduce((sum, p) => sum + p.requests, 0);
    const failed = points.reduce((sum, p) => sum + p.errors, 0);
    const data = histogram.toJSON();
    return {
      durationSeconds,
      achievedRate: durationSeconds > 0 ? Math.max(0, requests - failed) / durationSeconds : 0,
      requests,
      // The series counts failures without their kinds; the step keeps the kinds for the whole run.
      errors: failed > 0 ? { failed } : {},
      histogram: data,
      latencyMs: percentilesFromHistogram(data),
    };
  });
}
