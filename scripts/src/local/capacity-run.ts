// `fleet local --capacity`: the open-loop search for the capacity at the SLO against servers that
// are already up. Each step is one run of the built-in generator in rate mode (its warm-up left
// out); which rate comes next, and whether a step holds, is decided by the pure planner and judge
// in @inference-fleet/load-test, the same functions that read k6 staircases.
import { parseDurationSeconds, type FleetConfig } from "@inference-fleet/fleet-config";
import {
  capacityFromSteps,
  isClearBreach,
  judgeStep,
  nextRate,
  probeServers,
  runLoad,
  sloOfConfig,
  stepAtCapacity,
  stepFromResult,
  type CapacityStep,
  type CapacityVerdict,
  type LoadTestResult,
  type ServerInfo,
  type Slo as LoadSlo,
} from "@inference-fleet/load-test";
import { UsageError } from "../command.js";
import { fleetLoadOptions, routingOf } from "./load-options.js";

/** The search's knobs, from the stack's loadTest.capacity with the command line's overrides. */
export interface CapacitySettings {
  readonly startRate: number;
  readonly precision: number;
  readonly stepSeconds: number;
  readonly warmupSeconds: number;
  readonly budgetSeconds: number;
  /** Each growth step offers this many times the last (default: the planner's, 2). */
  readonly growth?: number;
}

/** What a caller may set instead of the stack's loadTest.capacity: the command line's strings, or numbers (`fleet tune`'s rungs). */
export interface CapacityOverrides {
  readonly budget?: string | number;
  readonly precision?: string | number;
  readonly startRate?: number;
  readonly stepSeconds?: number;
  readonly warmupSeconds?: number;
  readonly growth?: number;
}

/** A step needs this much of its measured window before it may be cut short: a few slow first responses are no verdict. */
const MIN_SECONDS_BEFORE_CUT = 3;
/** Idle time after a step that broke the SLO. */
const COOL_DOWN_MS = 1000;

/** The one builder of a capacity search's settings: the stack's loadTest.capacity with the caller's overrides, checked. */
export function capacitySettings(config: FleetConfig, overrides: CapacityOverrides = {}): CapacitySettings {
  const { capacity } = config.loadTest;
  let budgetSeconds = capacity.budget;
  if (overrides.budget !== undefined) {
    const seconds = parseDurationSeconds(overrides.budget);
    if (seconds === undefined || !(seconds > 0)) throw new UsageError(`--budget must be a duration such as 3m, 90s or 1m30s, got "${overrides.budget}".`);
    budgetSeconds = seconds;
  }
  let precision = capacity.precision;
  if (overrides.precision !== undefined) {
    precision = Number(overrides.precision);
    if (!(precision > 0 && precision < 1)) throw new UsageError(`--precision must be a share between 0 and 1 (0.05 is 5%), got "${overrides.precision}".`);
  }
  const stepSeconds = overrides.stepSeconds ?? capacity.stepSeconds;
  const warmupSeconds = overrides.warmupSeconds ?? capacity.warmupSeconds;
  const stepTotal = stepSeconds + warmupSeconds;
  if (budgetSeconds < 2 * stepTotal) {
    throw new UsageError(
      `A budget of ${budgetSeconds} s leaves no room for a search: one step takes ${stepTotal} s (loadTest.capacity.stepSeconds + warmupSeconds). ` +
        `Give --budget ${Math.ceil((6 * stepTotal) / 60)}m or more.`,
    );
  }
  return {
    startRate: overrides.startRate ?? capacity.startRate,
    precision,
    stepSeconds,
    warmupSeconds,
    budgetSeconds,
    ...(overrides.growth !== undefined ? { growth: overrides.growth } : {}),
  };
}

export interface CapacityRunOptions {
  readonly targets: readonly string[];
  readonly models: readonly string[];
  readonly labels: Record<string, string>;
  readonly settings: CapacitySettings;
  /** When the budget started counting (Date.now()): the servers' start-up is part of it. */
  readonly startedAtMs: number;
  readonly signal?: AbortSignal;
  readonly say: (line: string) => void;
  /** What each server runs on, asked once for the whole search (not again before every step). */
  readonly servers?: ServerInfo[];
}

export function describeStep(index: number, step: CapacityStep, slo: LoadSlo): string {
  const verdict = judgeStep(step, slo);
  const p = `p${slo.percentile} ${verdict.percentileMs.toFixed(1)} ms`;
  const errors = verdict.errorRate > 0 ? `, ${(verdict.errorRate * 100).toFixed(2)}% errors` : "";
  const outcome = verdict.holds ? "holds" : `breaks (${verdict.reasons.join("; ")})`;
  return (
    `step ${index}: ${step.offeredRate} req/s offered, ${step.achievedRate.toFixed(0)} achieved, ${p}${errors} -> ${outcome}` +
    (step.stoppedEarly ? ", cut short" : "")
  );
}

/**
 * One step: an open-loop run of the built-in generator at `rate` with the settings' warm-up (left out)
 * and window, cut short once its figures so far clearly break the SLO.
 */
export async function runCapacityStep(
  config: FleetConfig,
  options: Omit<CapacityRunOptions, "startedAtMs" | "say">,
  rate: number,
): Promise<{ result: LoadTestResult; step: CapacityStep }> {
  const { settings } = options;
  const slo = sloOfConfig(config);
  const cut = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, cut.signal]) : cut.signal;
  const result = await runLoad(
    fleetLoadOptions(config, options, {
      mode: "rate",
      rate,
      durationSeconds: settings.warmupSeconds + settings.stepSeconds,
      warmupSeconds: settings.warmupSeconds,
      labels: { ...options.labels, offeredRate: String(rate) },
      ...(options.servers ? { servers: options.servers } : {}),
      signal,
      progressIntervalMs: 1000,
      onProgress: (p) => {
        const measured = p.elapsedSeconds - settings.warmupSeconds;
        if (p.warmingUp || measured < MIN_SECONDS_BEFORE_CUT) return;
        const figures = {
          offeredRate: rate,
          achievedRate: (p.requests - p.errors) / measured,
          // The progress reports p90: a lower bound on p95 and p99, so a clear p90 breach is one of theirs too.
          percentileMs: slo.percentile >= 90 ? p.p90Ms : 0,
          errorRate: p.requests > 0 ? p.errors / p.requests : 0,
        };
        if (isClearBreach(figures, slo)) cut.abort();
      },
    }),
  );
  const step = stepFromResult(result, rate, cut.signal.aborted && !options.signal?.aborted);
  // A fleet pushed past its capacity still holds a backlog: let it drain so the next step's warm-up starts clean.
  if (!options.signal?.aborted && !judgeStep(step, slo).holds) await new Promise((resolve) => setTimeout(resolve, COOL_DOWN_MS));
  return { result, step };
}

/**
 * Searches the arrival rate for the capacity at the stack's SLO and returns a result whose top-level
 * figures are those of the step at the capacity (the lowest step when none held), with the
 * capacity and every step's histogram under `capacity`.
 */
export async function runCapacitySearch(config: FleetConfig, options: CapacityRunOptions): Promise<{ result: LoadTestResult; verdict: CapacityVerdict }> {
  const { settings, say } = options;
  const slo = sloOfConfig(config);
  const steps: CapacityStep[] = [];
  const results: LoadTestResult[] = [];
  say(
    `capacity search: start ${settings.startRate} req/s, steps of ${settings.warmupSeconds} s warm-up + ${settings.stepSeconds} s, ` +
      `precision ${(settings.precision * 100).toFixed(0)}%, budget ${settings.budgetSeconds} s, SLO p${slo.percentile} <= ${slo.latencyMs} ms`,
  );
  const servers = options.servers ?? (await probeServers(options.targets, options.models, { routing: routingOf(config), signal: options.signal }));
  for (;;) {
    if (options.signal?.aborted) break;
    const decision = nextRate(steps, {
      slo,
      startRate: settings.startRate,
      precision: settings.precision,
      ...(settings.growth !== undefined ? { growth: settings.growth } : {}),
      budgetSeconds: settings.budgetSeconds,
      stepSeconds: settings.stepSeconds + settings.warmupSeconds,
      elapsedSeconds: (Date.now() - options.startedAtMs) / 1000,
    });
    if (decision.kind === "done") {
      say(`search done: ${decision.reason}`);
      break;
    }
    const { result, step } = await runCapacityStep(config, { ...options, servers }, decision.rate);
    // Ctrl-C: a step stopped half-way is not judged.
    if (options.signal?.aborted) break;
    steps.push(step);
    results.push(result);
    say(describeStep(steps.length, step, slo));
  }
  if (steps.length === 0) {
    throw new Error(
      options.signal?.aborted ? "Interrupted before the first step of the capacity search finished." : "The capacity search ran no step: raise --budget.",
    );
  }
  const verdict = capacityFromSteps(steps, slo);
  const at = steps.indexOf(stepAtCapacity(steps, verdict.capacityAtSlo)!);
  const result: LoadTestResult = { ...results[at]!, labels: { ...options.labels }, capacity: { capacityAtSlo: verdict.capacityAtSlo, slo, steps } };
  return { result, verdict };
}
