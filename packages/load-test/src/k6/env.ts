// The one place that turns a fleet config into the k6 script's environment (read back by k6ConfigFromEnv),
// so infra's in-cluster Job and the local k6 runner cannot drift apart.
import type { FleetConfig } from "@inference-fleet/fleet-config";

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

export function k6EnvFromConfig(config: FleetConfig, inputs: K6EnvInputs): Record<string, string> {
  const { loadTest } = config;
  if (loadTest.mode === "capacity") {
    // Said here, before anything is deployed, rather than by the k6 script in the cluster.
    throw new Error(
      `Stack ${config.stack}: loadTest.mode capacity runs locally only for now (\`fleet local --stack ${config.stack} --capacity\`); ` +
        "the k6 staircase for the cluster is not built yet. Use mode rate or ramp for k6.",
    );
  }
  const share = (total: number) => String(total / inputs.generators);
  const env: Record<string, string> = {
    TARGETS: inputs.targets.join(","),
    MODELS: inputs.models.join(","),
    MODE: loadTest.mode,
    DURATION: `${loadTest.duration}s`,
    // Part of DURATION: load is sent, but responses before it ends count nowhere.
    WARMUP: `${loadTest.warmup}s`,
    VUS: String((loadTest.concurrency * loadTest.pods) / inputs.generators),
    RATE: share(loadTest.rate),
    RAMP_START_RATE: share(loadTest.ramp.startRate),
    RAMP_MAX_RATE: share(loadTest.ramp.maxRate),
    SLO_PERCENTILE: loadTest.slo.percentile.slice(1),
    SLO_MS: String(loadTest.slo.thresholdMs),
    MAX_ERROR_RATE: String(loadTest.slo.maxErrorRate),
    TIMEOUT: `${loadTest.requestTimeout}s`,
    MODEL_DISTRIBUTION: loadTest.modelChoice.distribution,
    ZIPF_S: String(loadTest.modelChoice.s),
    // Repository mode: each server holds only its shard, so requests must go to the model's owner.
    MODEL_ROUTING: config.model.repository ? "shard" : "any",
    LABELS: Object.entries(inputs.labels)
      .map(([key, value]) => `${key}=${value}`)
      .join(","),
    RESULTS_PATH: inputs.resultsPath,
  };
  if (loadTest.maxRequests !== undefined) env.MAX_REQUESTS = String(loadTest.maxRequests);
  return env;
}
