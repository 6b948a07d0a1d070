// Turns k6's end-of-test summary into the shared results format. Pure: the k6 script's
// handleSummary is a thin call of this.
import { stepAtCapacity, withFiguresOfStep } from "../capacity/at-capacity.js";
import { capacityFromSteps } from "../capacity/curve.js";
import type { CapacityStep, CapacityWindow } from "../capacity/step.js";
import { stepFromWindows } from "../capacity/windows.js";
import { percentilesFromHistogram } from "../histogram.js";
import { buildResult, totalErrors, type LoadTestResult, type ServerInfo } from "../results.js";
import type { K6RunConfig } from "./config.js";
import { countsFromCounters, type K6SummaryMetrics } from "./counters.js";
import { partsOfK6Summary, type K6PartsPlan } from "./parts.js";
import { stepMetric, type K6Staircase } from "./staircase.js";

/** What the script's setup() hands every VU and handleSummary. */
export interface K6SetupData {
  /** When the load started (setup() finished), Unix ms; the warm-up runs from here. */
  startMs: number;
  /** What each target said it runs on. */
  servers?: ServerInfo[];
}

/** The part of k6's handleSummary argument this reads (https://grafana.com/docs/k6/latest/results-output/end-of-test/custom-summary/). */
export interface K6SummaryData extends K6SummaryMetrics {
  setup_data?: Partial<K6SetupData> | null;
}

/** A staircase step's measured window as scheduled from the load's start, cut where the pod stopped. */
function stepWindow(step: K6Staircase["steps"][number], startMs: number, endMs: number) {
  const fromMs = startMs + (step.startSeconds + step.warmupSeconds) * 1000;
  const scheduledEndMs = fromMs + step.windowSeconds * 1000;
  return { fromMs, seconds: (Math.min(endMs, scheduledEndMs) - fromMs) / 1000, stoppedEarly: endMs < scheduledEndMs };
}

/** One window of the staircase as this pod measured it: its counts and histogram from the window's submetrics. */
function windowFromK6Summary(data: K6SummaryData, planned: K6Staircase["steps"][number], seconds: number): CapacityWindow {
  const counts = countsFromCounters(data, (metric) => stepMetric(metric, planned.index));
  return {
    durationSeconds: seconds,
    achievedRate: Math.max(0, counts.requests - totalErrors(counts.errors)) / seconds,
    ...counts,
    latencyMs: percentilesFromHistogram(counts.histogram),
  };
}

/**
 * The staircase's steps as this pod measured them, one per rate, each with its own histogram and errors (read
 * from its windows' submetrics) and, with several windows per rate, its windows and the stability rule they are
 * judged by, and its counts per target and per model (read from its rate's submetrics). A window the pod never
 * measured (it stopped before) is left out, a rate with none too; a step the pod stopped in (a clear breach) is
 * marked stoppedEarly. offeredRate is the total of all pods, the key their steps merge by; achievedRate is this pod's.
 */
function stepsFromK6Summary(
  data: K6SummaryData,
  plan: K6PartsPlan & { staircase: K6Staircase },
  startMs: number,
  endMs: number,
): { step: CapacityStep; fromMs: number }[] {
  const { staircase } = plan;
  const byRate = new Map<number, { planned: K6Staircase["steps"][number]; window: CapacityWindow; fromMs: number; stoppedEarly: boolean }[]>();
  for (const planned of staircase.steps) {
    const span = stepWindow(planned, startMs, endMs);
    if (!(span.seconds > 0)) continue;
    const measured = { planned, window: windowFromK6Summary(data, planned, span.seconds), fromMs: span.fromMs, stoppedEarly: span.stoppedEarly };
    byRate.set(planned.rateIndex, [...(byRate.get(planned.rateIndex) ?? []), measured]);
  }
  return [...byRate.values()].map((windows) => {
    const first = windows[0]!;
    const parts = partsOfK6Summary(data, plan, first.planned.rateIndex);
    const stoppedEarly = windows.some((w) => w.stoppedEarly);
    const options = { warmupSeconds: first.planned.warmupSeconds, stoppedEarly };
    if (staircase.windows === 1) {
      const { window } = first;
      return {
        step: {
          offeredRate: first.planned.offeredRate,
          warmupSeconds: first.planned.warmupSeconds,
          ...window,
          ...(stoppedEarly ? { stoppedEarly } : {}),
          ...parts,
        },
        fromMs: first.fromMs,
      };
    }
    const stability = { windows: staircase.windows, maxWindows: staircase.windows, share: staircase.stability };
    const step = stepFromWindows(
      first.planned.offeredRate,
      windows.map((w) => w.window),
      { ...options, stability },
    );
    return { step: { ...step, ...parts }, fromMs: first.fromMs };
  });
}

/**
 * A pod's capacity: its steps judged by its share of each offered rate (what it offered, against what
 * it achieved), named by the total rate. Merging the pods' results judges the merged steps again.
 */
function podCapacity(steps: readonly CapacityStep[], generators: number, config: K6RunConfig): number {
  const shares = steps.map((s) => ({ ...s, offeredRate: s.offeredRate / generators }));
  const { capacityAtSlo } = capacityFromSteps(shares, config.slo);
  const at = shares.findIndex((s) => capacityAtSlo > 0 && s.offeredRate === capacityAtSlo);
  return at >= 0 ? steps[at]!.offeredRate : 0;
}

export function resultFromK6Summary(data: K6SummaryData, config: K6RunConfig, endMs: number): LoadTestResult {
  const startMs = data.setup_data?.startMs;
  const result = buildResult({
    generator: "k6",
    mode: config.mode,
    targets: config.targets,
    models: config.models,
    labels: config.labels,
    // The figures cover what came after the warm-up.
    startMs: startMs === undefined ? endMs : startMs + config.warmupSeconds * 1000,
    warmupSeconds: config.warmupSeconds,
    endMs,
    ...countsFromCounters(data),
    // k6 keeps no per-second data in its summary; merged k6 results have totals only.
    series: [],
    servers: data.setup_data?.servers ?? [],
    // A staircase keeps them per step: the step at the capacity brings its own below.
    ...(config.staircase ? {} : partsOfK6Summary(data, config)),
  });
  const { staircase } = config;
  if (!staircase) return result;
  // A staircase's result leads with its step at the capacity, as the local search's does.
  const measured = startMs === undefined ? [] : stepsFromK6Summary(data, { ...config, staircase }, startMs, endMs);
  const steps = measured.map((m) => m.step);
  const capacityAtSlo = podCapacity(steps, staircase.generators, config);
  const at = stepAtCapacity(steps, capacityAtSlo);
  const figures = at ? withFiguresOfStep(result, at, measured.find((m) => m.step === at)!.fromMs) : result;
  return { ...figures, capacity: { capacityAtSlo, slo: config.slo, steps } };
}

/** One line for the pod log, next to the JSON. */
export function summaryLine(result: LoadTestResult): string {
  const errors =
    Object.entries(result.errors)
      .map(([k, n]) => `${k}=${n}`)
      .join(" ") || "none";
  const l = result.latencyMs;
  const capacity = result.capacity ? `capacity=${result.capacity.capacityAtSlo}/s (${result.capacity.steps.length} steps; this pod's share judged) at ` : "";
  return (
    capacity +
    `requests=${result.requests} throughput=${result.throughput.toFixed(1)}/s p50=${l.p50.toFixed(2)}ms p90=${l.p90.toFixed(2)}ms ` +
    `p99=${l.p99.toFixed(2)}ms errors: ${errors}`
  );
}
