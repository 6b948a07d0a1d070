// `fleet local --autoscale`: servers on loopback that follow an open-loop load (the stack's ramp, or its rate) by the
// same rule as the cluster's HPA, over the same metric, read from each server's /metrics. The load generator spreads
// over the servers taking load now; a server that leaves is drained first. After the load, the loop keeps deciding
// (with no load) until the fleet is back at its floor or the scale-down window has passed twice, so the record shows
// the scale-down too.
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { HPA_TOLERANCE, queueDepthTarget, requestRateTarget, type FleetConfig } from "@inference-fleet/fleet-config";
import { LoadTargets, runLoad, type LoadProgress, type LoadTestResult } from "@inference-fleet/load-test";
import { freePort, ServerProcess, type ServerLaunch } from "@inference-fleet/model-server";
import { fleetLoadOptions } from "../load-options.js";
import { serverEnvironment, fleetModelNames, serverLauncher } from "../server-fleet.js";
import { Autoscaler, runAutoscaler, type AutoscaleRule, type AutoscaleTrigger, type ServerLauncher } from "./autoscaler.js";
import { QUEUE_DEPTH_METRIC, REQUEST_RATE_METRIC, SampledServerMetric } from "./server-metric.js";

export interface AutoscaledRunOptions {
  readonly modelDir: string;
  readonly labels: Record<string, string>;
  readonly readyTimeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly say: (line: string) => void;
  /** Overridable for tests; production runs `fleet serve`. */
  readonly launch?: (env: Record<string, string>) => ServerLaunch;
}

/** A local run lasts minutes: the cluster's stabilisation window (300 s by default) would keep it waiting ten more. */
const LOCAL_SCALE_DOWN_WINDOW_MAX_SECONDS = 10;

/**
 * The rule of the stack's server.autoscaling, as the cluster's scalers apply it: the request rate per server against
 * fleet-config's requestRateTarget (when the stack has a measured capacityPerServer) and the queue depth per server
 * against its queueDepthTarget, the higher recommendation winning; between minReplicas and maxReplicas (`--autoscale`
 * turns it on locally whatever `enabled` says), the HPA's tolerance, and the stack's scale-down stabilisation window
 * up to LOCAL_SCALE_DOWN_WINDOW_MAX_SECONDS.
 */
function autoscaleRuleOf(config: FleetConfig): AutoscaleRule {
  const a = config.server.autoscaling;
  const rate = requestRateTarget(config);
  const queue: AutoscaleTrigger = { metric: QUEUE_DEPTH_METRIC, target: queueDepthTarget(config).perPod };
  return {
    triggers: rate ? [{ metric: REQUEST_RATE_METRIC, target: rate.perPod }, queue] : [queue],
    min: a.minReplicas,
    max: a.maxReplicas,
    tolerance: HPA_TOLERANCE,
    scaleDownWindowSeconds: Math.min(a.scaleDownStabilizationSeconds, LOCAL_SCALE_DOWN_WINDOW_MAX_SECONDS),
    intervalSeconds: a.interval,
  };
}

/** The rule in words, for the run's log; says when the queue depth alone drives it, and what that costs. */
function describeRule(rule: AutoscaleRule): string {
  const at = rule.triggers.map((t) => `${Math.round(t.target * 100) / 100} ${t.metric}`).join(" or ");
  const alone =
    rule.triggers.length === 1
      ? " (no server.autoscaling.capacityPerServer, so no request-rate target: queue depth reads about 0 below " +
        "saturation, so expect scale-ins right after scale-outs; set the capacity a `fleet local --capacity` run measured)"
      : "";
  return `the rule keeps ${rule.min} to ${rule.max} at ${at} per server${alone}`;
}

/** Starts and stops model servers on loopback, numbered as they start. */
class LoopbackServers implements ServerLauncher {
  private next = 0;
  private readonly running = new Map<string, ServerProcess>();
  /** The CPUs each running server is pinned to: a new server goes where the fewest are. */
  private readonly pinned = new Map<string, readonly number[]>();
  private readonly launcher: ReturnType<typeof serverLauncher>;

  constructor(
    private readonly config: FleetConfig,
    private readonly options: AutoscaledRunOptions,
  ) {
    this.launcher = serverLauncher(config, { ...(options.launch ? { launch: options.launch } : {}), log: options.say });
  }

  async start(): Promise<string> {
    const index = this.next++;
    const port = await freePort();
    const env = serverEnvironment(this.config, path.resolve(this.options.modelDir), port, index);
    const { launch, cpus } = this.launcher(env, [...this.pinned.values()]);
    const server = new ServerProcess(`model-server-${index}`, `http://127.0.0.1:${port}`, launch);
    this.running.set(server.url, server);
    if (cpus) this.pinned.set(server.url, cpus);
    try {
      await server.waitReady(this.options.readyTimeoutMs ?? 60_000, this.options.signal);
    } catch (error) {
      await this.stop(server.url);
      throw error;
    }
    return server.url;
  }

  async stop(target: string): Promise<void> {
    const server = this.running.get(target);
    this.running.delete(target);
    this.pinned.delete(target);
    await server?.stop();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running.keys()].map((target) => this.stop(target)));
  }
}

function describeLoad({ loadTest }: FleetConfig): string {
  return loadTest.mode !== "rate"
    ? `load: open loop rising from ${loadTest.ramp.startRate} to ${loadTest.ramp.maxRate} req/s over ${loadTest.duration} s`
    : `load: open loop at ${loadTest.rate} req/s for ${loadTest.duration} s`;
}

/** The stack's ramp (or rate), spread over the servers taking load as they come and go. */
function loadOverServers(config: FleetConfig, initial: string[], loadTargets: LoadTargets, options: AutoscaledRunOptions): Promise<LoadTestResult> {
  const { loadTest } = config;
  const { say } = options;
  const ramp = loadTest.mode !== "rate";
  return runLoad(
    fleetLoadOptions(
      config,
      { targets: initial, models: fleetModelNames(config) },
      {
        mode: ramp ? "ramp" : "rate",
        ...(ramp ? { rampFrom: loadTest.ramp.startRate, rampTo: loadTest.ramp.maxRate } : { rate: loadTest.rate }),
        durationSeconds: loadTest.duration,
        warmupSeconds: loadTest.warmup,
        loadTargets,
        retryRefused: true,
        labels: options.labels,
        signal: options.signal,
        progressIntervalMs: 3000,
        onProgress: (p: LoadProgress) =>
          say(
            `${p.elapsedSeconds.toFixed(0)} s${p.warmingUp ? " (warm-up)" : ""}: ${p.requestsPerSecond.toFixed(0)} req/s, p90 ` +
              `${p.p90Ms.toFixed(1)} ms, ${p.errors} errors, ${loadTargets.current().length} server(s)`,
          ),
      },
    ),
  );
}

/**
 * The load is over: the rule sees idle servers and scales down (after its window), as it would in a cluster.
 * A server still starting is waited for (it joins, then leaves), so the record ends with the fleet at rest.
 */
async function watchScaleDown(autoscaler: Autoscaler, rule: AutoscaleRule, options: AutoscaledRunOptions): Promise<void> {
  const coolDownMs = (2 * rule.scaleDownWindowSeconds + 3 * rule.intervalSeconds) * 1000;
  let until = Date.now() + coolDownMs;
  if (!options.signal?.aborted) options.say(`load done; the autoscaler keeps deciding for up to ${(coolDownMs / 1000).toFixed(0)} s with no load`);
  while (!options.signal?.aborted) {
    if (autoscaler.busy) until = Math.max(until, Date.now() + coolDownMs);
    else if (Date.now() >= until || (autoscaler.replicas === rule.min && autoscaler.desired === rule.min)) break;
    await sleep(Math.min(250, rule.intervalSeconds * 1000));
  }
}

/** Runs the stack's open-loop load over autoscaled servers; the result carries `autoscale` (replicas over time). */
export async function runAutoscaledLoad(config: FleetConfig, options: AutoscaledRunOptions): Promise<LoadTestResult> {
  const { say } = options;
  if (config.model.repository) {
    throw new Error("Autoscaling runs copies of one model; repository mode shards models over a fixed set of servers. Drop --autoscale or model.repository.");
  }
  const rule = autoscaleRuleOf(config);
  const servers = new LoopbackServers(config, options);
  try {
    say(`autoscale: starting ${rule.min} server(s); ${describeRule(rule)}`);
    const initial = await Promise.all(Array.from({ length: rule.min }, () => servers.start()));
    const loadTargets = new LoadTargets(initial);
    const metric = new SampledServerMetric(() => loadTargets.current(), Date.now);
    const autoscaler = new Autoscaler(rule, { metrics: metric, servers, loadTargets, clock: { now: () => Date.now() }, log: say });
    say(describeLoad(config));
    metric.start();
    const loop = new AbortController();
    const looping = runAutoscaler(autoscaler, rule.intervalSeconds, loop.signal);
    let result: LoadTestResult;
    try {
      result = await loadOverServers(config, initial, loadTargets, options);
      await watchScaleDown(autoscaler, rule, options);
    } finally {
      loop.abort();
      await looping;
      metric.stop();
      await autoscaler.settle();
      autoscaler.markEnd();
    }
    const record = autoscaler.record();
    const most = Math.max(...record.points.map((p) => p.replicas), rule.min);
    say(`autoscale: started with ${rule.min}, at most ${most} serving, ${autoscaler.replicas} at the end`);
    for (const failure of autoscaler.startFailures) say(`autoscale: ${failure}`);
    return { ...result, autoscale: record };
  } finally {
    await servers.stopAll();
  }
}
