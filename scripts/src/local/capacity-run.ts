// `fleet local --capacity`: the open-loop search for the capacity at the SLO against servers that
// are already up. Each step is one run of the built-in generator in rate mode (its warm-up left
// out); which rate comes next, and whether a step holds, is decided by the pure planner and judge
// in @inference-fleet/load-test, the same functions that read k6 staircases.
import { parseDurationSeconds, type FleetConfig, type Slo } from "@inference-fleet/fleet-config";
import {
  capacityFromSteps,
  capacityRecord,
  CLEAR_BREACH_MIN_SECONDS,
  confirmedHold,
  isClearBreach,
  breachingWindows,
  holdIsLost,
  holdKeptSlo,
  judgeStep,
  judgeWindows,
  mergeResults,
  nextConfirmation,
  nextRate,
  probeServers,
  queuedOnServers,
  runLoad,
  searchCeiling,
  settledWindows,
  sloOfConfig,
  stepAtCapacity,
  stepFromResult,
  stepFromWindows,
  windowsFromResult,
  windowsFromSeries,
  withFiguresOfStep,
  type CapacityStep,
  type CapacityVerdict,
  type LoadProgress,
  type LoadTestResult,
  type SearchEnd,
  type ServerInfo,
  type StabilityRule,
} from "@inference-fleet/load-test";
import { UsageError } from "../command.js";
import { fleetLoadOptions, routingOf } from "./load-options.js";

/** The search's knobs, from the stack's loadTest.capacity with the command line's overrides. */
export interface CapacitySettings {
  readonly startRate: number;
  readonly precision: number;
  /** One measurement window; a step is stability.windows of them (more while they disagree) after its warm-up. */
  readonly windowSeconds: number;
  readonly warmupSeconds: number;
  readonly stability: StabilityRule;
  readonly budgetSeconds: number;
  /** Each growth step offers this many times the last (default: the planner's, 2). */
  readonly growth?: number;
  /** The confirmation's sustained hold of the rate found (0: none, as `fleet tune`'s short searches). */
  readonly confirmSeconds: number;
  /** Each hold that breaks steps down by this share. */
  readonly stepDown: number;
  /** Holds tried at most. */
  readonly confirmAttempts: number;
  /** No hold starts that would end later than this many seconds after the first hold began. */
  readonly confirmBudgetSeconds: number;
}

/** What a caller may set instead of the stack's loadTest.capacity: the command line's strings, or numbers (`fleet tune`'s rungs). */
export interface CapacityOverrides {
  readonly budget?: string | number;
  readonly precision?: string | number;
  readonly startRate?: number;
  /** A step's measured time: split into the stack's number of windows. */
  readonly stepSeconds?: number;
  readonly warmupSeconds?: number;
  readonly growth?: number;
  /** false: no confirmation after the search (`fleet tune` compares candidates by the search alone). */
  readonly confirm?: boolean;
}

/** Idle time after a step that broke the SLO. */
const COOL_DOWN_MS = 1000;

/** Seconds one step takes at least: its warm-up and the windows that must agree. */
function stepTotalSeconds(settings: Pick<CapacitySettings, "warmupSeconds" | "windowSeconds" | "stability">): number {
  return settings.warmupSeconds + settings.stability.windows * settings.windowSeconds;
}

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
  const stability: StabilityRule = { windows: capacity.windows, maxWindows: capacity.maxWindows, share: capacity.stability };
  const windowSeconds = overrides.stepSeconds !== undefined ? overrides.stepSeconds / stability.windows : capacity.windowSeconds;
  const warmupSeconds = overrides.warmupSeconds ?? capacity.warmupSeconds;
  const stepTotal = stepTotalSeconds({ warmupSeconds, windowSeconds, stability });
  if (budgetSeconds < 2 * stepTotal) {
    throw new UsageError(
      `A budget of ${budgetSeconds} s leaves no room for a search: one step takes ${stepTotal} s ` +
        "(loadTest.capacity.warmupSeconds + windows x windowSeconds). " +
        `Give --budget ${Math.ceil((6 * stepTotal) / 60)}m or more.`,
    );
  }
  return {
    startRate: overrides.startRate ?? capacity.startRate,
    precision,
    windowSeconds,
    warmupSeconds,
    stability,
    budgetSeconds,
    ...(overrides.growth !== undefined ? { growth: overrides.growth } : {}),
    confirmSeconds: overrides.confirm === false ? 0 : capacity.confirmSeconds,
    stepDown: capacity.stepDown,
    confirmAttempts: capacity.confirmAttempts,
    confirmBudgetSeconds: capacity.confirmBudget,
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

const rate = (n: number) => Math.round(n).toLocaleString("en-US");

/** A progress line for a finished step: its rate, its windows' achieved rates, the SLO percentile and the verdict. */
export function describeStep(index: number, step: CapacityStep, slo: Slo): string {
  const verdict = judgeStep(step, slo);
  const p = `p${slo.percentile} ${verdict.percentileMs.toFixed(1)} ms`;
  const errors = verdict.errorRate > 0 ? `, ${(verdict.errorRate * 100).toFixed(2)}% errors` : "";
  const windows = step.windows ?? [];
  const used = settledWindows(step, slo) ?? [];
  const judged = step.stability ? judgeWindows(step, windows, slo, step.stability) : undefined;
  const agreement =
    !judged || step.stoppedEarly ? "" : !judged.settled || !judged.stable ? ", windows never agreed: majority" : `, ${used.length} windows agree`;
  const outcome = verdict.holds ? "holds" : `breaks (${verdict.reasons.join("; ")})`;
  return (
    `step ${index}: ${rate(step.offeredRate)} req/s offered${(step.attempt ?? 1) > 1 ? " (measured again)" : ""}, ` +
    (windows.length > 0 ? `windows ${windows.map((w) => rate(w.achievedRate)).join("/")} achieved` : `${rate(step.achievedRate)} achieved`) +
    `, ${p}${errors} -> ${outcome}${agreement}` +
    (step.stoppedEarly ? ", cut short" : "")
  );
}

/**
 * One open-loop run of the built-in generator at `rate`: `warmupSeconds` left out, then `seconds` measured,
 * cut short once its figures so far clearly break the SLO, or once `lost` says (from its progress) it cannot hold.
 */
async function runHold(
  config: FleetConfig,
  options: Omit<CapacityRunOptions, "startedAtMs" | "say">,
  rate: number,
  warmupSeconds: number,
  seconds: number,
  lost?: (progress: LoadProgress) => boolean,
): Promise<{ result: LoadTestResult; cut: boolean }> {
  const slo = sloOfConfig(config);
  const cut = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, cut.signal]) : cut.signal;
  const result = await runLoad(
    fleetLoadOptions(config, options, {
      mode: "rate",
      rate,
      durationSeconds: warmupSeconds + seconds,
      warmupSeconds,
      labels: { ...options.labels, offeredRate: String(rate) },
      ...(options.servers ? { servers: options.servers } : {}),
      signal,
      progressIntervalMs: 1000,
      onProgress: (p) => {
        const measured = p.elapsedSeconds - warmupSeconds;
        if (p.warmingUp || measured < CLEAR_BREACH_MIN_SECONDS) return;
        const figures = {
          offeredRate: rate,
          achievedRate: (p.requests - p.errors) / measured,
          // The progress reports p90: a lower bound on p95 and p99, so a clear p90 breach is one of theirs too.
          percentileMs: slo.percentile >= 90 ? p.p90Ms : 0,
          errorRate: p.requests > 0 ? p.errors / p.requests : 0,
        };
        if (isClearBreach(figures, slo) || lost?.(p)) cut.abort();
      },
    }),
  );
  return { result, cut: cut.signal.aborted && !options.signal?.aborted };
}

/** Longest wait for a fleet pushed past its capacity to finish its backlog. */
const DRAIN_LIMIT_MS = 20_000;

/**
 * A fleet pushed past its capacity still holds a backlog (measured: a confirmation that began right after a broken
 * step met 0.5-0.9 s of queue and broke at rates the fleet held otherwise): wait until the servers' queues are empty
 * (at most DRAIN_LIMIT_MS), then COOL_DOWN_MS more, so the next run's warm-up starts clean.
 */
async function coolDownAfter(step: CapacityStep, slo: Slo, targets: readonly string[], signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || judgeStep(step, slo).holds) return;
  const until = Date.now() + DRAIN_LIMIT_MS;
  while (Date.now() < until && !signal?.aborted && ((await queuedOnServers(targets, signal)) ?? 0) > 0) {
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await new Promise((resolve) => setTimeout(resolve, COOL_DOWN_MS));
}

/**
 * One step: its warm-up, then windows until the stability rule settles it (the rule's number of windows
 * in one run, then one more window at a time while they disagree, up to maxWindows, none past `deadlineMs`),
 * cut short at a clear breach. `attempt` is 2 when a rate that broke is measured again.
 */
export async function runCapacityStep(
  config: FleetConfig,
  options: Omit<CapacityRunOptions, "startedAtMs" | "say">,
  rate: number,
  attempt = 1,
  deadlineMs = Infinity,
): Promise<{ result: LoadTestResult; step: CapacityStep }> {
  const { settings } = options;
  const rule = settings.stability;
  const slo = sloOfConfig(config);
  const first = await runHold(config, options, rate, settings.warmupSeconds, rule.windows * settings.windowSeconds);
  const results = [first.result];
  let cut = first.cut;
  let windows = windowsFromResult(first.result, settings.windowSeconds);
  const stepOf = () => stepFromWindows(rate, windows, { warmupSeconds: settings.warmupSeconds, stability: rule, attempt, stoppedEarly: cut });
  // One more window while they disagree, up to maxWindows, never past the budget (an unsettled step is then judged by its majority).
  const roomFor = () => Date.now() + settings.windowSeconds * 1000 <= deadlineMs;
  while (
    !cut &&
    !options.signal?.aborted &&
    windows.length > 0 &&
    windows.length < rule.maxWindows &&
    roomFor() &&
    !judgeWindows(stepOf(), windows, slo, rule).settled
  ) {
    const more = await runHold(config, options, rate, 0, settings.windowSeconds);
    results.push(more.result);
    cut = more.cut;
    windows = [...windows, ...windowsFromResult(more.result, settings.windowSeconds)];
  }
  // The windows count failures without their kinds: the step keeps the runs' kinds.
  const step = windows.length > 0 ? { ...stepOf(), errors: mergeResults(results).errors } : stepFromResult(first.result, rate, cut);
  await coolDownAfter(step, slo, options.targets, options.signal);
  return { result: withFiguresOfStep(first.result, step, Date.parse(first.result.startTime)), step };
}

/**
 * Whether a confirmation's hold at `rate` is lost by its progress so far (holdIsLost): over the windows finished by the
 * report's time, the last one left out as it may still be filling. The run's own clock, not Date.now(): measured, in a
 * process minutes old the two had drifted apart by seconds, windows not yet begun counted as empty, and five calm
 * holds (p90 4-38 ms) were cut after 3 s each.
 */
export function holdLostCheck(settings: CapacitySettings, rate: number, slo: Slo): (progress: LoadProgress) => boolean {
  const holdWindows = Math.floor(settings.confirmSeconds / settings.windowSeconds);
  return (p) => holdIsLost(windowsFromSeries(p.series(), p.measuredFromMs, p.atMs, settings.windowSeconds).slice(0, -1), holdWindows, rate, slo);
}

/** The confirmation's sustained hold at `rate`: judged as a whole, its windows kept for their spread; cut once lost. */
async function runConfirmationHold(
  config: FleetConfig,
  options: Omit<CapacityRunOptions, "startedAtMs" | "say">,
  rate: number,
): Promise<{ result: LoadTestResult; step: CapacityStep }> {
  const { settings } = options;
  const slo = sloOfConfig(config);
  const { result, cut } = await runHold(config, options, rate, settings.warmupSeconds, settings.confirmSeconds, holdLostCheck(settings, rate, slo));
  const step = { ...stepFromResult(result, rate, cut), windows: windowsFromResult(result, settings.windowSeconds) };
  await coolDownAfter(step, slo, options.targets, options.signal);
  return { result, step };
}

/** "1,080 req/s, windows 1,050-1,110": the verdict's figure with the spread of the windows that made it. */
function describeCapacity(verdict: CapacityVerdict): string {
  const spread = verdict.windows ? `, windows ${rate(verdict.windows.low)}-${rate(verdict.windows.high)}` : "";
  return `${rate(verdict.capacityAtSlo)} req/s${spread}`;
}

type SearchOptions = CapacityRunOptions & { servers: ServerInfo[] };
type Hold = { result: LoadTestResult; step: CapacityStep };

/** The plan, said once before the search: start, step shape, stability rule, precision, budget, confirmation, SLO. */
function describeSearchPlan(settings: CapacitySettings, slo: Slo): string {
  const rule = settings.stability;
  return (
    `capacity search: start ${settings.startRate} req/s; each step ${settings.warmupSeconds} s warm-up, then ${rule.windows} windows of ` +
    `${settings.windowSeconds} s that must agree within ${(rule.share * 100).toFixed(0)}% (up to ${rule.maxWindows}); a break is measured again; ` +
    `precision ${(settings.precision * 100).toFixed(0)}%, budget ${settings.budgetSeconds} s` +
    (settings.confirmSeconds > 0 ? `, then ${settings.confirmSeconds} s holds to confirm (within ${settings.confirmBudgetSeconds} s)` : "") +
    `; SLO p${slo.percentile} <= ${slo.latencyMs} ms`
  );
}

/** The search: steps at the rates nextRate picks until it is done, the budget is spent or Ctrl-C. */
async function searchSteps(
  config: FleetConfig,
  options: SearchOptions,
  slo: Slo,
): Promise<{ steps: CapacityStep[]; results: LoadTestResult[]; endedBy?: SearchEnd }> {
  const { settings, say } = options;
  const steps: CapacityStep[] = [];
  const results: LoadTestResult[] = [];
  for (;;) {
    if (options.signal?.aborted) break;
    const decision = nextRate(steps, {
      slo,
      startRate: settings.startRate,
      precision: settings.precision,
      ...(settings.growth !== undefined ? { growth: settings.growth } : {}),
      budgetSeconds: settings.budgetSeconds,
      stepSeconds: stepTotalSeconds(settings),
      elapsedSeconds: (Date.now() - options.startedAtMs) / 1000,
      remeasureBreaks: true,
    });
    if (decision.kind === "done") {
      say(`search done: ${decision.reason}`);
      if (decision.endedBy === "budget") say("the time budget, not the SLO, ended the search: the capacity may be higher than found (raise --budget).");
      return { steps, results, endedBy: decision.endedBy };
    }
    const attempt = steps.filter((s) => s.offeredRate === decision.rate).length + 1;
    const deadlineMs = options.startedAtMs + settings.budgetSeconds * 1000;
    const { result, step } = await runCapacityStep(config, options, decision.rate, attempt, deadlineMs);
    // Ctrl-C: a step stopped half-way is not judged.
    if (options.signal?.aborted) break;
    steps.push(step);
    results.push(result);
    say(describeStep(steps.length, step, slo));
  }
  return { steps, results };
}

/** "confirmation 2: 1,000 req/s for 60 s, 998 achieved, p90 41.0 ms -> holds". */
function describeHold(count: number, offered: number, step: CapacityStep, slo: Slo): string {
  const verdict = judgeStep(step, slo);
  const why = verdict.holds ? `${breachingWindows(step, slo)} of ${step.windows?.length ?? 0} windows over the SLO` : verdict.reasons.join("; ");
  const outcome = holdKeptSlo(step, slo) ? "holds" : `breaks (${why})`;
  return (
    `confirmation ${count}: ${rate(offered)} req/s for ${step.durationSeconds.toFixed(0)} s, ${rate(step.achievedRate)} achieved, ` +
    `p${slo.percentile} ${verdict.percentileMs.toFixed(1)} ms -> ${outcome}`
  );
}

/** Sustained holds at the capacity the search found, stepping down while they break and refining towards a break far above (nextConfirmation). */
async function confirmCapacity(config: FleetConfig, options: SearchOptions, steps: readonly CapacityStep[], slo: Slo): Promise<Hold[]> {
  const { settings, say } = options;
  const { capacityAtSlo: found, ...search } = capacityFromSteps(steps, slo);
  const holds: Hold[] = [];
  const confirmStartedMs = Date.now();
  for (;;) {
    if (options.signal?.aborted) break;
    const next = nextConfirmation(
      found,
      holds.map((h) => h.step),
      slo,
      {
        stepDown: settings.stepDown,
        maxAttempts: settings.confirmAttempts,
        ...searchCeiling(search),
        secondsLeft: settings.confirmBudgetSeconds - (Date.now() - confirmStartedMs) / 1000,
        holdSeconds: settings.warmupSeconds + settings.confirmSeconds,
      },
    );
    if (next.kind === "done") {
      say(`confirmation done: ${next.reason}`);
      break;
    }
    say(`confirming ${rate(next.rate)} req/s: holding it for ${settings.confirmSeconds} s`);
    const hold = await runConfirmationHold(config, options, next.rate);
    if (options.signal?.aborted) break;
    holds.push(hold);
    say(describeHold(holds.length, next.rate, hold.step, slo));
  }
  return holds;
}

/**
 * Searches the arrival rate for the capacity at the stack's SLO, then confirms it (unless settings.confirmSeconds
 * is 0), and returns a result whose top-level figures are those of the confirmed hold (else the step at the
 * capacity, the lowest step when none held), with every step, window and hold under `capacity`.
 */
export async function runCapacitySearch(config: FleetConfig, options: CapacityRunOptions): Promise<{ result: LoadTestResult; verdict: CapacityVerdict }> {
  const { settings, say } = options;
  const slo = sloOfConfig(config);
  say(describeSearchPlan(settings, slo));
  const servers = options.servers ?? (await probeServers(options.targets, options.models, { routing: routingOf(config), signal: options.signal }));
  const { steps, results, endedBy } = await searchSteps(config, { ...options, servers }, slo);
  if (steps.length === 0) {
    throw new Error(
      options.signal?.aborted ? "Interrupted before the first step of the capacity search finished." : "The capacity search ran no step: raise --budget.",
    );
  }
  const holds = settings.confirmSeconds > 0 ? await confirmCapacity(config, { ...options, servers }, steps, slo) : [];
  const confirmations = holds.map((h) => h.step);
  const verdict = capacityFromSteps(steps, slo, confirmations);
  say(
    `capacity: ${describeCapacity(verdict)} at p${slo.percentile} <= ${slo.latencyMs} ms` +
      (confirmations.length > 0
        ? ` (confirmed over ${settings.confirmSeconds} s; the search found ${rate(verdict.searchCapacity)} req/s)`
        : " (not confirmed)"),
  );
  const confirmed = holds.find((h) => h.step === confirmedHold(confirmations, slo));
  const top = confirmed?.result ?? results[steps.indexOf(stepAtCapacity(steps, verdict.searchCapacity)!)]!;
  const capacity = capacityRecord(verdict, { slo, steps, confirmations, ...(endedBy ? { endedBy } : {}) });
  return { result: { ...top, labels: { ...options.labels }, capacity }, verdict };
}
