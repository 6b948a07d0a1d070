// `fleet tune` on this machine: one candidate = its servers started on loopback, a short capacity
// search (the same one `fleet local --capacity` runs), the servers stopped. The node is this machine.
import { type FleetConfig } from "@inference-fleet/fleet-config";
import { probeServers, roundRate, runLoad } from "@inference-fleet/load-test";
import { capacitySettings, runCapacitySearch } from "../local/capacity-run.js";
import { fleetLoadOptions, routingOf } from "../local/load-options.js";
import { runLabels } from "../local/run-local.js";
import { startServerFleet, type StartFleetOptions } from "../local/server-fleet.js";
import { applyCandidate } from "./candidate.js";
import { measurementOf, START_SHARE, type Evaluator } from "./search.js";

/** The rate search grows by GROWTH per step (from START_SHARE of its hint). */
const GROWTH = 1.5;
/** The closed-loop probe that finds where the first search starts: requests in flight per server, and its length. */
const PROBE_CONCURRENCY_PER_SERVER = 8;
const PROBE_SECONDS = 1;
const PROBE_WARMUP_SECONDS = 0.5;

export interface LocalEvaluatorOptions {
  readonly modelDir: string;
  readonly log: (line: string) => void;
  readonly readyTimeoutMs?: number;
  /** Overridable for tests; production runs `fleet serve`. */
  readonly launch?: StartFleetOptions["launch"];
}

/**
 * The evaluator for this machine. Its clock starts before the servers do: start-up, probe, steps and
 * shut-down all count against the measurement's budget.
 */
export function localEvaluator(config: FleetConfig, options: LocalEvaluatorOptions): Evaluator {
  return async (candidate, fidelity, { budgetSeconds, hint, signal }) => {
    const startedAt = Date.now();
    const seconds = () => (Date.now() - startedAt) / 1000;
    // One node's worth of servers: the node is this machine.
    const tuned = applyCandidate({ ...config, cluster: { ...config.cluster, fleetNodes: 1 } }, candidate);
    let fleet;
    try {
      fleet = await startServerFleet(tuned, {
        modelDir: options.modelDir,
        readyTimeoutMs: options.readyTimeoutMs,
        signal,
        launch: options.launch,
        pinCpus: false,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      return { capacity: 0, steps: 0, seconds: seconds(), note: `the servers did not start: ${(error as Error).message}` };
    }
    try {
      const servers = await probeServers(fleet.targets, fleet.models, { routing: routingOf(tuned), signal });
      const start = hint ?? (await saturation(tuned, fleet, servers, signal));
      // Shut-down takes a moment too: keep a second of the budget for it.
      const settings = capacitySettings(tuned, {
        budget: budgetSeconds - 1,
        precision: fidelity.precision,
        stepSeconds: fidelity.stepSeconds,
        confirm: false,
        warmupSeconds: fidelity.warmupSeconds,
        startRate: Math.max(1, roundRate(start * START_SHARE)),
        growth: GROWTH,
      });
      const { verdict } = await runCapacitySearch(tuned, {
        ...fleet,
        servers,
        labels: runLabels(tuned),
        settings,
        startedAtMs: startedAt,
        signal,
        say: () => {},
      });
      return measurementOf(verdict, 1, seconds());
    } catch (error) {
      if (signal?.aborted) throw error;
      return { capacity: 0, steps: 0, seconds: seconds(), note: (error as Error).message };
    } finally {
      await fleet.stop();
    }
  };
}

/** Requests per second the fleet answers when saturated (closed loop): an upper bound on its capacity at any SLO. */
async function saturation(
  config: FleetConfig,
  fleet: { targets: readonly string[]; models: readonly string[] },
  servers: Awaited<ReturnType<typeof probeServers>>,
  signal?: AbortSignal,
): Promise<number> {
  const result = await runLoad(
    fleetLoadOptions(config, fleet, {
      mode: "bmk",
      concurrency: PROBE_CONCURRENCY_PER_SERVER * fleet.targets.length,
      durationSeconds: PROBE_SECONDS + PROBE_WARMUP_SECONDS,
      warmupSeconds: PROBE_WARMUP_SECONDS,
      labels: { probe: "saturation" },
      servers,
      ...(signal ? { signal } : {}),
    }),
  );
  return result.throughput;
}
