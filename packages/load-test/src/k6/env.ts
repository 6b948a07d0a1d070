// The one place that turns a fleet config into the k6 script's environment (read back by k6ConfigFromEnv),
// so infra's in-cluster Job and the local k6 runner cannot drift apart.
import { sloOfStack, type FleetConfig, type Slo } from "@inference-fleet/fleet-config";
import { planStaircase, type StaircaseOptions } from "../capacity/staircase.js";

export interface K6EnvInputs {
  /** Base URLs of the servers. */
  readonly targets: readonly string[];
  readonly models: readonly string[];
  /** Where handleSummary writes the results file. */
  readonly resultsPath: string;
  /** Labels carried into the results (stack, instanceType, servers = instances billed, ...). */
  readonly labels: Readonly<Record<string, string>>;
  /**
   * How many k6 processes share the load: rates in the config are totals, so each gets rate / generators.
   * A single local k6 runs all of it (concurrency x pods VUs).
   */
  readonly generators: number;
}

/** The stack's SLO in the load-test package's terms. */
export function sloOfConfig(config: FleetConfig): Slo {
  return sloOfStack(config.loadTest.slo);
}

/** The staircase search's settings from loadTest.capacity: the same growth, precision and budget as the local search. */
export function staircaseOptionsOf(config: FleetConfig): StaircaseOptions {
  const { capacity } = config.loadTest;
  return {
    slo: sloOfConfig(config),
    startRate: capacity.startRate,
    precision: capacity.precision,
    budgetSeconds: capacity.budget,
    stepSeconds: capacity.warmupSeconds + capacity.stepSeconds,
    remeasureBreaks: true,
  };
}

/** The rates of the k6 pass a config asks for: loadTest.capacity.rates as given, else the first staircase of the search. */
export function staircaseRatesOf(config: FleetConfig): number[] {
  const { rates } = config.loadTest.capacity;
  if (rates) return [...rates];
  const options = staircaseOptionsOf(config);
  const plan = planStaircase([], options);
  if (plan.kind === "done") {
    throw new Error(
      `Stack ${config.stack}: loadTest.capacity.budget (${config.loadTest.capacity.budget} s) leaves no room for one step of ` +
        `${options.stepSeconds} s (warmupSeconds + stepSeconds): raise the budget.`,
    );
  }
  return plan.rates;
}

/** Seconds of load the k6 Job's run plans (its deadline adds start-up and upload time on top). */
export function k6RunSeconds(config: FleetConfig): number {
  const { loadTest } = config;
  if (loadTest.mode !== "capacity") return loadTest.duration;
  return staircaseRatesOf(config).length * (loadTest.capacity.warmupSeconds + loadTest.capacity.stepSeconds);
}

export function k6EnvFromConfig(config: FleetConfig, inputs: K6EnvInputs): Record<string, string> {
  const { loadTest } = config;
  const share = (total: number) => String(total / inputs.generators);
  const env: Record<string, string> = {
    TARGETS: inputs.targets.join(","),
    MODELS: inputs.models.join(","),
    MODE: loadTest.mode,
    SLO_PERCENTILE: loadTest.slo.percentile.slice(1),
    SLO_MS: String(loadTest.slo.thresholdMs),
    MAX_ERROR_RATE: String(loadTest.slo.maxErrorRate),
    TIMEOUT: `${loadTest.requestTimeout}s`,
    MODEL_DISTRIBUTION: loadTest.modelChoice.distribution,
    ...(loadTest.texts === undefined ? {} : { TEXTS: loadTest.texts }),
    ZIPF_S: String(loadTest.modelChoice.s),
    // Repository mode: each server holds only its shard, so requests must go to the model's owner.
    MODEL_ROUTING: config.model.repository ? "shard" : "any",
    LABELS: Object.entries(inputs.labels)
      .map(([key, value]) => `${key}=${value}`)
      .join(","),
    RESULTS_PATH: inputs.resultsPath,
  };
  if (loadTest.mode === "capacity") {
    // Rates are totals: each pod offers its share, and records the total as the step's key for merging.
    return {
      ...env,
      CAPACITY_RATES: staircaseRatesOf(config).join(","),
      CAPACITY_WARMUP: `${loadTest.capacity.warmupSeconds}s`,
      CAPACITY_WINDOW: `${loadTest.capacity.stepSeconds}s`,
      // The measured time splits into windows that must agree, as the local search's do.
      CAPACITY_WINDOWS: String(loadTest.capacity.windows),
      CAPACITY_STABILITY: String(loadTest.capacity.stability),
      GENERATORS: String(inputs.generators),
    };
  }
  Object.assign(env, {
    DURATION: `${loadTest.duration}s`,
    // Part of DURATION: load is sent, but responses before it ends count nowhere.
    WARMUP: `${loadTest.warmup}s`,
    VUS: String((loadTest.concurrency * loadTest.pods) / inputs.generators),
    RATE: share(loadTest.rate),
    RAMP_START_RATE: share(loadTest.ramp.startRate),
    RAMP_MAX_RATE: share(loadTest.ramp.maxRate),
  });
  if (loadTest.maxRequests !== undefined) env.MAX_REQUESTS = String(loadTest.maxRequests);
  return env;
}
