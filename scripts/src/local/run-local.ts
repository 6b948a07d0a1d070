// `fleet local` for one stack: model, servers on loopback, load test, servers stopped.
import type { FleetConfig } from "@inference-fleet/fleet-config";
import { runLoad, type LoadTestResult, type ServedModel } from "@inference-fleet/load-test";
import { acceleratorFallback } from "../shared/accelerator-check.js";
import { runAutoscaledLoad } from "./autoscale/autoscaled-run.js";
import { capacitySettings, runCapacitySearch, type CapacitySettings } from "./capacity-run.js";
import { ensureModel } from "./ensure-model.js";
import { describeModelServed } from "./served-model.js";
import { findBinary } from "./find-binary.js";
import { fleetLoadOptions } from "./load-options.js";
import { runK6 } from "./k6-runner.js";
import { startServerFleet, type ServerFleet, type StartFleetOptions } from "./server-fleet.js";
import { localSizeWarning } from "./size-warning.js";

/** auto: k6 when a `k6` binary is on PATH, else the built-in generator. */
export type GeneratorChoice = "auto" | "local" | "k6";

export interface LocalRunOptions {
  /** Base of relative model paths in the stack config. */
  readonly repoRoot: string;
  readonly generator?: GeneratorChoice;
  /** Ctrl-C: stops the load test early (partial results are kept) or the start-up (nothing is kept). */
  readonly signal?: AbortSignal;
  readonly log: (line: string) => void;
  readonly readyTimeoutMs?: number;
  /** Overridable for tests; production runs `fleet serve`. */
  readonly launch?: StartFleetOptions["launch"];
  /** Search the capacity at the SLO with these settings instead of running the configured load test. */
  readonly capacity?: CapacitySettings;
  /** Autoscale the servers (server.autoscaling) under the stack's ramp (or rate) instead of running a fixed fleet. */
  readonly autoscale?: boolean;
}

export interface LocalRun {
  readonly stack: string;
  readonly result: LoadTestResult;
  /** Stopped by Ctrl-C before the configured duration. */
  readonly interrupted: boolean;
  /** k6 reported a failed threshold (exit code 99). */
  readonly sloBreachReported: boolean;
  /** Why the measurement must not count although it was written (e.g. a GPU stack served by CPU). */
  readonly failure?: string;
}

/** How a run is named in reports: the stack and what distinguishes its fleet. */
export function runLabels(config: FleetConfig, autoscale = false): Record<string, string> {
  const { server, model } = config;
  if (autoscale) {
    const { minReplicas: min, maxReplicas: max } = server.autoscaling;
    const name = `${min}-${max} servers (autoscaled) x ${server.numModels} models, maxBatch ${server.maxBatch}, ${model.padding} padding`;
    // One machine whatever the servers on it: the count behind the targets changes, the cost does not.
    return { stack: config.stack, where: "local", servers: "1", autoscaled: `${min}-${max}`, name };
  }
  return {
    stack: config.stack,
    where: "local",
    servers: String(server.numServers),
    name: `${server.numServers} servers x ${server.numModels} models, maxBatch ${server.maxBatch}, ${model.padding} padding`,
  };
}

function pickGenerator(choice: GeneratorChoice): { kind: "local" } | { kind: "k6"; path: string } {
  if (choice === "local") return { kind: "local" };
  const k6 = findBinary("k6");
  if (k6) return { kind: "k6", path: k6 };
  if (choice === "k6")
    throw new Error("--generator k6: no `k6` binary on PATH. Install it (https://grafana.com/docs/k6/latest/set-up/install-k6/) or use --generator local.");
  return { kind: "local" };
}

/**
 * The run with the model it served in its results, and failed if it measured the wrong thing: a gpu stack whose
 * servers fell back to cpu keeps its results but fails (unless server.allowCpuFallback).
 */
function finish(run: LocalRun, config: FleetConfig, model: ServedModel): LocalRun {
  const recorded = { ...run, result: { ...run.result, model } };
  const failure = acceleratorFallback(config, recorded.result);
  return failure ? { ...recorded, failure } : recorded;
}

/** Refuses combinations that cannot run locally, naming the flag to drop. */
function assertRunnable(config: FleetConfig, options: LocalRunOptions): void {
  if (options.autoscale && (options.capacity || config.loadTest.mode === "capacity")) {
    throw new Error("--autoscale runs the stack's ramp (or rate) over servers that come and go; a capacity search needs a fixed fleet: drop one of them.");
  }
  if (options.autoscale && options.generator === "k6") {
    throw new Error("--autoscale runs with the built-in generator (it spreads the load over servers as they come and go): drop --generator k6.");
  }
  if ((options.capacity || config.loadTest.mode === "capacity") && options.generator === "k6") {
    throw new Error("The capacity search runs with the built-in generator locally (the k6 staircase runs in the cluster): drop --generator k6.");
  }
}

type Generator = ReturnType<typeof pickGenerator>;

/** The configured load test (not a capacity search) against a running fleet, with k6 or the built-in generator. */
async function runConfiguredLoad(
  config: FleetConfig,
  fleet: ServerFleet,
  generator: Generator,
  { labels, signal, say }: { labels: Record<string, string>; signal?: AbortSignal; say: (line: string) => void },
): Promise<{ result: LoadTestResult; sloBreached: boolean }> {
  const { loadTest } = config;
  const concurrency = loadTest.concurrency * loadTest.pods;
  const load =
    loadTest.mode === "rate"
      ? `${loadTest.rate} req/s`
      : loadTest.mode === "ramp"
        ? `${loadTest.ramp.startRate} to ${loadTest.ramp.maxRate} req/s`
        : `concurrency ${concurrency}`;
  say(`load test: ${generator.kind === "k6" ? "k6" : "built-in generator"}, mode ${loadTest.mode}, ${load}, ${loadTest.duration} s`);
  if (generator.kind === "k6") return runK6(generator.path, config, fleet.targets, fleet.models, labels, { signal, log: say });
  const result = await runLoad(
    fleetLoadOptions(config, fleet, {
      // (Capacity mode is a search: runLocalStack takes another branch for it.)
      mode: loadTest.mode === "capacity" ? "rate" : loadTest.mode,
      concurrency: loadTest.mode === "rate" || loadTest.mode === "ramp" ? undefined : concurrency,
      rate: loadTest.mode === "rate" ? loadTest.rate : undefined,
      ...(loadTest.mode === "ramp" ? { rampFrom: loadTest.ramp.startRate, rampTo: loadTest.ramp.maxRate } : {}),
      durationSeconds: loadTest.duration,
      warmupSeconds: loadTest.warmup,
      maxRequests: loadTest.maxRequests,
      labels,
      signal,
      progressIntervalMs: 3000,
      onProgress: (p) =>
        say(
          `${p.elapsedSeconds.toFixed(0)} s${p.warmingUp ? " (warm-up)" : ""}: ${p.requests} requests, ${p.requestsPerSecond.toFixed(0)} req/s, p90 ` +
            `${p.p90Ms.toFixed(1)} ms, ${p.errors} errors`,
        ),
    }),
  );
  return { result, sloBreached: false };
}

/** Servers started on loopback, the capacity search or the configured load test against them, servers stopped. */
async function runFixedFleet(
  config: FleetConfig,
  options: LocalRunOptions,
  { modelDir, capacity, generator, say }: { modelDir: string; capacity?: CapacitySettings; generator: Generator; say: (line: string) => void },
): Promise<LocalRun> {
  say(`starting ${config.server.numServers} model server(s) x ${config.server.numModels} model(s) on loopback ...`);
  const startedAt = Date.now();
  const fleet = await startServerFleet(config, { modelDir, readyTimeoutMs: options.readyTimeoutMs, signal: options.signal, log: say, launch: options.launch });
  try {
    say(`all servers ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    const labels = runLabels(config);
    const { result, sloBreached } = capacity
      ? {
          result: (
            await runCapacitySearch(config, {
              targets: fleet.targets,
              models: fleet.models,
              labels,
              settings: capacity,
              startedAtMs: startedAt,
              signal: options.signal,
              say,
            })
          ).result,
          sloBreached: false,
        }
      : await runConfiguredLoad(config, fleet, generator, { labels, signal: options.signal, say });
    // Read before the servers stop: a Ctrl-C while they stop does not make a finished run interrupted.
    return { stack: config.stack, result, interrupted: options.signal?.aborted ?? false, sloBreachReported: sloBreached };
  } finally {
    say("stopping servers ...");
    await fleet.stop();
  }
}

export async function runLocalStack(config: FleetConfig, options: LocalRunOptions): Promise<LocalRun> {
  const say = (line: string) => options.log(`[${config.stack}] ${line}`);
  assertRunnable(config, options);
  const capacity = options.capacity ?? (config.loadTest.mode === "capacity" ? capacitySettings(config) : undefined);
  const generator = capacity ? { kind: "local" as const } : pickGenerator(options.generator ?? "auto");
  const modelDir = await ensureModel(config, options.repoRoot, say);
  const servedModel = await describeModelServed(config, modelDir);
  options.signal?.throwIfAborted();
  const sizeWarning = localSizeWarning(config);
  if (sizeWarning) say(sizeWarning);
  if (!options.autoscale) return finish(await runFixedFleet(config, options, { modelDir, capacity, generator, say }), config, servedModel);
  const result = await runAutoscaledLoad(config, {
    modelDir,
    labels: runLabels(config, true),
    readyTimeoutMs: options.readyTimeoutMs,
    signal: options.signal,
    say,
    launch: options.launch,
  });
  return finish({ stack: config.stack, result, interrupted: options.signal?.aborted ?? false, sloBreachReported: false }, config, servedModel);
}
