/**
 * Does the capacity verdict repeat, and does it hold? Runs `fleet local --stack S --capacity` N times on the
 * default path (the CLI, as a user would), then for each answer an open-loop run of the same stack at the
 * capacity and one at 1.25x it (`FLEET_LOAD_TEST_MODE=rate`), each for --hold seconds, and prints:
 * every run's confirmed capacity and wall time, the spread around the median, and whether each open-loop run
 * held the SLO (p90 within the stack's SLO, achieved >= 95% of offered, errors < 1%). Beside each: the servers' own
 * inference time per request and mean batch (from their metrics: the fleet's speed), and a 3 s probe of the machine's
 * speed before and after the run (host-speed.ts: fixed SHA-256 work, which moves with the host but not with the fleet).
 *
 *   node --conditions=source --import tsx bench/verdict-repeat.ts [--stack dev] [--runs 3] [--hold 60] [--over 1.25]
 *
 * The machine must be otherwise quiet: anything else running moves the figures (20% between minutes here).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { defaultStacksDir, loadStackConfig } from "@inference-fleet/fleet-config";
import { LatencyHistogram, parseResult, sloOfConfig, totalErrors, type LoadTestResult } from "@inference-fleet/load-test";
import { hostSpeed } from "./host-speed.js";

const { values: args } = parseArgs({
  options: {
    stack: { type: "string", default: "dev" },
    runs: { type: "string", default: "3" },
    hold: { type: "string", default: "60" },
    over: { type: "string", default: "1.25" },
  },
});
const runs = Number(args.runs);
const holdSeconds = Number(args.hold);
const over = Number(args.over);
const repoRoot = path.dirname(defaultStacksDir());
const slo = sloOfConfig(loadStackConfig(args.stack!, { stacksDir: defaultStacksDir() }));
const work = mkdtempSync(path.join(tmpdir(), "verdict-repeat-"));
const fleetBin = path.join(repoRoot, "scripts", "bin", "fleet.js");

let firstProbe: number | undefined;
/** The last probe, taken after the previous run: it is also this run's "before" (nothing ran in between). */
let lastProbe: number | undefined;
/** The host's speed now, as a share of the first probe of this batch. */
async function hostNow(): Promise<number> {
  const rate = await hostSpeed();
  firstProbe ??= rate;
  lastProbe = rate / firstProbe;
  return lastProbe;
}

async function fleetLocal(name: string, extraArgs: string[], env: Record<string, string> = {}) {
  const out = path.join(work, name);
  const hostBefore = lastProbe ?? (await hostNow());
  const started = Date.now();
  const child = spawnSync(process.execPath, [fleetBin, "local", "--stack", args.stack!, "--out", out, ...extraArgs], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = (Date.now() - started) / 1000;
  const host = `host ${hostBefore.toFixed(2)}-${(await hostNow()).toFixed(2)}`;
  const result = parseResult(JSON.parse(readFileSync(path.join(out, "results.json"), "utf8")), name);
  const fleet = inferenceTime(result);
  const last = child.stdout.trim().split("\n").slice(-3).join(" | ");
  console.log(`  ${name}: exit ${child.status} in ${seconds.toFixed(0)} s (${fleet}; ${host}): ${last}`);
  return { result, seconds, speed: `${fleet}; ${host}`, code: child.status ?? -1 };
}

/** "inference 1.31 ms/request at batch 1.8": the servers' own time per request (the confirmed hold's, for a search). */
function inferenceTime(result: LoadTestResult): string {
  const times = result.serverTimes ?? [];
  const sum = (f: (t: (typeof times)[number]) => number) => times.reduce((a, t) => a + f(t), 0);
  const [seconds, requests, runsOfBatches] = [sum((t) => t.inferenceSeconds), sum((t) => t.batchedRequests), sum((t) => t.runs)];
  if (!(requests > 0 && runsOfBatches > 0)) return "inference time not reported";
  return `inference ${((seconds / requests) * 1000).toFixed(2)} ms/request at batch ${(requests / runsOfBatches).toFixed(1)}`;
}

/** The confirmed capacity (capacityAtSlo: the rate the sustained confirmation held), and what the search alone found. */
function capacityOf(result: LoadTestResult): { confirmed: number; searched?: number } {
  if (!result.capacity) throw new Error("results.json has no capacity: did the run end before its search?");
  return { confirmed: result.capacity.capacityAtSlo, searched: result.capacity.searchCapacity };
}

function held(result: LoadTestResult, offered: number): { holds: boolean; line: string } {
  const p = LatencyHistogram.from(result.histogram).percentile(slo.percentile);
  const achieved = result.throughput / offered;
  const errorShare = result.requests > 0 ? totalErrors(result.errors) / result.requests : 1;
  const holds = p <= slo.latencyMs && achieved >= 0.95 && errorShare < 0.01;
  const line = `p${slo.percentile} ${p.toFixed(1)} ms, achieved ${(achieved * 100).toFixed(1)}% of ${offered} req/s, errors ${(errorShare * 100).toFixed(2)}%`;
  return { holds, line };
}

console.log(`verdict-repeat: stack ${args.stack}, ${runs} capacity runs, open loop ${holdSeconds} s at 1x and ${over}x (files in ${work})`);
console.log("  host a-b: the machine's speed (SHA-256) before and after the run, as a share of the batch's first probe");
const rows: { capacity: number; seconds: number; speed: string; at: string; above: string }[] = [];
for (let i = 1; i <= runs; i++) {
  const search = await fleetLocal(`capacity-${i}`, ["--capacity"]);
  const { confirmed: capacity, searched } = capacityOf(search.result);
  console.log(`  -> confirmed ${capacity} req/s (the search found ${searched ?? "?"})`);
  const open = async (share: number) => {
    const rate = Math.round(capacity * share);
    const env = { FLEET_LOAD_TEST_MODE: "rate", FLEET_LOAD_TEST_RATE: String(rate), FLEET_LOAD_TEST_DURATION: `${holdSeconds}s` };
    const { result, speed } = await fleetLocal(`open-${i}-${share}x`, [], env);
    const { holds, line } = held(result, rate);
    return `${holds ? "holds" : "misses"} (${line}; ${speed})`;
  };
  const row = { capacity, seconds: search.seconds, speed: search.speed };
  // No confirmed rate: nothing to hold (a run at 0 req/s is refused), and the row says so.
  if (capacity > 0) rows.push({ ...row, at: await open(1), above: await open(over) });
  else rows.push({ ...row, at: "- (no confirmed rate)", above: "-" });
}

const capacities = rows.map((r) => r.capacity).sort((a, b) => a - b);
const median = capacities[Math.floor(capacities.length / 2)]!;
console.log("");
console.log(`| run | confirmed capacity (req/s) | vs median | search wall time | fleet; host | open loop at 1x | open loop at ${over}x |`);
console.log("|--:|--:|--:|--:|--:|---|---|");
rows.forEach((r, i) => {
  const share = ((r.capacity - median) / median) * 100;
  const vsMedian = `${share >= 0 ? "+" : ""}${share.toFixed(1)}%`;
  console.log(`| ${i + 1} | ${r.capacity} | ${vsMedian} | ${r.seconds.toFixed(0)} s | ${r.speed} | ${r.at} | ${r.above} |`);
});
const worst = Math.max(...capacities.map((c) => Math.abs(c - median) / median));
console.log("");
console.log(`spread: ${capacities[0]}-${capacities.at(-1)} req/s, at most ${(worst * 100).toFixed(1)}% from the median ${median}`);
