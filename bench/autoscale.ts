/**
 * Does the local autoscaler hold the SLO under a ramp past one server's capacity, and give the servers back after?
 * First one server of the stack is loaded closed loop (concurrency 8, 6 s) for its saturation throughput C; then
 * `fleet local --autoscale`'s run starts server.autoscaling.minReplicas servers and ramps the open-loop rate from 10%
 * to 150% of C over --duration, the HPA rule deciding every interval on the request rate per server (target
 * server.autoscaling.capacityPerServer, C unless the stack sets one, x targetUtilization) and the queue depth.
 * Printed: servers at the start, at most and at the end; when the last server joined; each 2 s window's percentile
 * against the SLO from then on (after --settle more seconds); how long after the ramp the last server left.
 * results.json, report.md and report.html go to --out.
 *
 *   node --conditions=source --import tsx bench/autoscale.ts [--stack dev] [--duration 60] [--from 0.1] [--to 1.5]
 *        [--settle 4] [--out results/bench-autoscale]
 *
 * Server settings come from the stack and FLEET_* variables. Each server is pinned to its pod's CPUs (server.resources.cpu,
 * 1 in dev) as fleet local pins it, so one server is one core and a second adds capacity. The machine is noisy: compare
 * within one run.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { defaultStacksDir, loadStackConfig, type FleetConfig } from "@inference-fleet/fleet-config";
import { LatencyHistogram, runLoad, sloOfConfig, totalErrors } from "@inference-fleet/load-test";
import { writeReport } from "@inference-fleet/reports";
import { ensureModel, runAutoscaledLoad, runLabels, startServerFleet } from "@inference-fleet/scripts";

const { values: args } = parseArgs({
  options: {
    stack: { type: "string", default: "dev" },
    duration: { type: "string", default: "60" },
    from: { type: "string", default: "0.1" },
    to: { type: "string", default: "1.5" },
    settle: { type: "string", default: "4" },
    out: { type: "string", default: "results/bench-autoscale" },
  },
});
const [duration, from, to, settle] = [Number(args.duration), Number(args.from), Number(args.to), Number(args.settle)];
if (!(duration > 0 && from > 0 && to > from && settle >= 0))
  throw new Error("--duration, --from and --to must be positive, --to above --from, --settle 0 or more.");

const stacksDir = defaultStacksDir();
const base = loadStackConfig(args.stack!, { stacksDir });
const slo = sloOfConfig(base);
const log = (line: string) => console.log(`[${base.stack}] ${line}`);
const modelDir = await ensureModel(base, path.dirname(stacksDir), log);

// One server's saturation throughput: the yardstick the ramp is set by.
const one: FleetConfig = { ...base, server: { ...base.server, numServers: 1 } };
const fleet = await startServerFleet(one, { modelDir, log });
let capacity: number;
try {
  const probe = await runLoad({ targets: [...fleet.targets], models: [...fleet.models], mode: "bmk", concurrency: 8, durationSeconds: 6, warmupSeconds: 2 });
  capacity = probe.throughput;
  log(`one server, closed loop at concurrency 8: ${capacity.toFixed(0)} req/s (p90 ${probe.latencyMs.p90.toFixed(1)} ms)`);
} finally {
  await fleet.stop();
}

// The rate target needs a capacity per server: the one just measured, unless the stack (or FLEET_*) sets its own.
const capacityPerServer = base.server.autoscaling.capacityPerServer ?? Math.round(capacity);
const config: FleetConfig = {
  ...base,
  server: { ...base.server, autoscaling: { ...base.server.autoscaling, capacityPerServer } },
  loadTest: {
    ...base.loadTest,
    mode: "ramp",
    duration,
    warmup: 2,
    ramp: { startRate: Math.max(1, Math.round(capacity * from)), maxRate: Math.round(capacity * to) },
  },
};
log(`ramp: ${config.loadTest.ramp.startRate} -> ${config.loadTest.ramp.maxRate} req/s over ${duration} s`);
const started = Date.now();
const result = await runAutoscaledLoad(config, { modelDir, labels: runLabels(config, true), say: log });
const rule = result.autoscale!.rule;

const out = path.resolve(args.out!);
await writeReport([{ ...result, labels: { ...result.labels, slo: `p${slo.percentile}<=${slo.latencyMs}ms` } }], out);
writeFileSync(path.join(out, "results.json"), `${JSON.stringify(result, null, 2)}\n`);

const { points, events } = result.autoscale!;
const replicas = points.map((p) => p.replicas);
const loadEndMs = started + duration * 1000;
const lastAdded = events.filter((e) => e.action === "added").at(-1);
const lastDrained = events.filter((e) => e.action === "drained").at(-1);
const seconds = (ms: number) => ((ms - started) / 1000).toFixed(1);

// 2 s windows of the per-second series, from when the last server joined (plus --settle) to the end of the load.
const settledFrom = (lastAdded?.atMs ?? started) + settle * 1000;
const windows: { at: number; requests: number; errors: number; pMs: number }[] = [];
const series = result.series.filter((p) => p.second * 1000 >= settledFrom && p.second * 1000 < loadEndMs);
for (let i = 0; i + 1 < series.length; i += 2) {
  const pair = series.slice(i, i + 2);
  const histogram = new LatencyHistogram();
  for (const point of pair) if (point.latency) histogram.merge(point.latency);
  windows.push({
    at: pair[0]!.second * 1000,
    requests: pair.reduce((n, p) => n + p.requests, 0),
    errors: pair.reduce((n, p) => n + p.errors, 0),
    pMs: histogram.percentile(slo.percentile),
  });
}
const held = windows.filter((w) => w.pMs <= slo.latencyMs && w.errors <= w.requests * slo.maxErrorRate);

console.log("");
const triggers = (rule.triggers ?? [rule]).map((t) => `${t.target.toFixed(1)} ${t.metric}`).join(" or ");
console.log(`stack ${base.stack}; rule: ${rule.min}-${rule.max} servers at ${triggers} per server, window ${rule.scaleDownWindowSeconds} s`);
const { startRate, maxRate } = config.loadTest.ramp;
console.log(`one server's saturation throughput: ${capacity.toFixed(0)} req/s; ramp ${startRate} -> ${maxRate} req/s over ${duration} s`);
console.log(`servers: ${replicas[0]} at the start, at most ${Math.max(...replicas)}, ${replicas.at(-1)} at the end`);
console.log(`events: ${events.map((e) => `${seconds(e.atMs)} s ${e.action}`).join(", ") || "none"}`);
console.log(
  `whole run: ${result.requests} requests, ${totalErrors(result.errors)} errors, ` +
    `p${slo.percentile} ${result.latencyMs[`p${slo.percentile}` as "p90"].toFixed(1)} ms, ` +
    `throughput ${result.throughput.toFixed(0)} req/s`,
);
console.log(
  `last scale-out: ${lastAdded ? `${seconds(lastAdded.atMs)} s` : "none"}; windows from ${seconds(settledFrom)} s to the end of the ramp (${duration} s):`,
);
for (const w of windows) {
  const ok = w.pMs <= slo.latencyMs && w.errors <= w.requests * slo.maxErrorRate;
  console.log(
    `  ${seconds(w.at)} s: p${slo.percentile} ${w.pMs.toFixed(1)} ms, ${w.requests} requests, ${w.errors} errors: ${ok ? "holds" : "MISSES"} the SLO`,
  );
}
console.log(`SLO held in ${held.length} of ${windows.length} windows after scale-out settled`);
console.log(`scale-down: last server left ${lastDrained ? `${((lastDrained.atMs - loadEndMs) / 1000).toFixed(1)} s after the ramp ended` : "never"}`);
console.log(`written: ${out}/ (results.json, report.md, report.html)`);
