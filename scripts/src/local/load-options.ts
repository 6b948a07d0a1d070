// The one mapping from a stack's load test onto the built-in generator's options for a fleet on
// loopback: what `fleet local` runs, each capacity-search step, and `fleet tune`'s probe share it.
import type { FleetConfig } from "@inference-fleet/fleet-config";
import type { RunLoadOptions } from "@inference-fleet/load-test";

/** Repository mode: each server holds only its shard, so each request goes to its model's owner. */
export function routingOf(config: FleetConfig): NonNullable<RunLoadOptions["routing"]> {
  return config.model.repository ? "shard" : "any";
}

/** The options every local run shares (where the load goes, how requests pick a model, the timeout), with the run's own on top. */
export function fleetLoadOptions(
  config: FleetConfig,
  fleet: { readonly targets: readonly string[]; readonly models: readonly string[] },
  run: Omit<RunLoadOptions, "targets" | "models">,
): RunLoadOptions {
  const { loadTest } = config;
  return {
    targets: [...fleet.targets],
    models: [...fleet.models],
    timeoutMs: loadTest.requestTimeout * 1000,
    distribution: loadTest.modelChoice.distribution,
    zipfS: loadTest.modelChoice.s,
    routing: routingOf(config),
    ...(loadTest.texts === undefined ? {} : { texts: loadTest.texts }),
    ...run,
  };
}
