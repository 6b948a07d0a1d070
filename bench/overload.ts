/**
 * Overload bench: does the model server keep its health checks fast, its successful answers near its
 * peak, and every rejection a 503 with Retry-After, when far more clients come than it can serve?
 *
 *   node --conditions=source --import tsx bench/overload.ts [--seconds 15] [--rounds 3] [--connections 1024] [--server-core 1] [--load-core 0] [--health-port]
 *
 * --health-port probes HEALTH_PORT (a listener of their own) instead of the public port. DEBUG_PROBES=1
 * prints each slow (> 30 ms) or failed probe with its time into the run.
 *
 * The server is pinned to one core (taskset); wrk and the probes run on the other. Probes are what
 * kubelet sends: a new connection per probe, GET /v2/health/live and /v2/health/ready alternately,
 * every 100 ms, 2 s timeout. "Contention" adds a process on the server's core that burns it half the
 * time (50 ms on, 50 ms off), as a noisy neighbour or the generator itself would. Each scenario's
 * peak is measured in the same run, with the same contention, at 16 connections, right before its
 * overload. The machine is shared and noisy: scenarios alternate for --rounds rounds, each row gives the
 * median round's ratio, and probe percentiles come from all rounds' probes merged in one histogram.
 *
 * Needs wrk and taskset (Debian: apt-get install -y wrk util-linux).
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { request } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseArgs } from "node:util";
import { LatencyHistogram } from "@inference-fleet/load-test";
import { freePort, startServerProcess, type ServerProcess } from "@inference-fleet/model-server";
import { generateModel } from "@inference-fleet/model-zoo";

const { values: args } = parseArgs({
  options: {
    seconds: { type: "string", default: "15" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "1024" },
    "server-core": { type: "string", default: "1" },
    "load-core": { type: "string", default: "0" },
    burner: { type: "boolean", default: false },
    "health-port": { type: "boolean", default: false },
  },
});
const seconds = Number(args.seconds);
const run = promisify(execFile);

/** Burner mode: busy 50 ms, idle 50 ms, until killed. */
function burn(): void {
  const tick = () => {
    const until = performance.now() + 50;
    while (performance.now() < until);
    setTimeout(tick, 50);
  };
  tick();
}

// Counts answers by status, and non-200 answers without Retry-After (wrk runs one thread: -t1).
const COUNTING_SCRIPT = `
wrk.method = "GET"
wrk.path = "/predictions/model0"
ok, rejected, other, noRetry = 0, 0, 0, 0
response = function(status, headers, body)
  if status == 200 then ok = ok + 1
  elseif status == 503 then rejected = rejected + 1
  else other = other + 1 end
  if status ~= 200 and headers["Retry-After"] == nil and headers["retry-after"] == nil then noRetry = noRetry + 1 end
end
threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  local t = threads[1]
  io.write(string.format("COUNTS %d %d %d %d %d %d %d\\n", t:get("ok"), t:get("rejected"), t:get("other"), t:get("noRetry"),
    summary.errors.connect, summary.errors.read + summary.errors.write, summary.errors.timeout))
end
`;

interface LoadOutcome {
  readonly okPerSecond: number;
  readonly rejectedPerSecond: number;
  readonly other: number;
  readonly noRetryAfter: number;
  readonly socketErrors: number;
  readonly timeouts: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

async function wrk(url: string, connections: number, duration: number, script: string): Promise<LoadOutcome> {
  const wrkArgs = ["-t1", `-c${connections}`, `-d${duration}s`, "--timeout", "5s", "--latency", "-s", script, `${url}/`];
  const { stdout } = await run("taskset", ["-c", args["load-core"]!, "wrk", ...wrkArgs], { maxBuffer: 1 << 20 });
  const counts = /COUNTS (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)/.exec(stdout);
  if (!counts) throw new Error(`wrk printed no counts:\n${stdout}`);
  const [ok, rejected, other, noRetry, connect, readWrite, timeout] = counts.slice(1).map(Number) as [number, number, number, number, number, number, number];
  const latency = (p: string) => {
    const match = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(stdout);
    return match ? Number(match[1]) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[match[2]!]! : NaN;
  };
  return {
    okPerSecond: ok / duration,
    rejectedPerSecond: rejected / duration,
    other,
    noRetryAfter: noRetry,
    socketErrors: connect + readWrite,
    timeouts: timeout,
    p50Ms: latency("50"),
    p99Ms: latency("99"),
  };
}

/** One probe as kubelet sends it: a fresh connection, 2 s timeout; resolves with its latency or "failed". */
function probe(url: string, path: string): Promise<number | "failed"> {
  const begun = performance.now();
  return new Promise((resolve) => {
    const req = request(`${url}${path}`, { agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode === 200 ? performance.now() - begun : "failed"));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve("failed"));
    req.end();
  });
}

interface ProbeOutcome {
  readonly histogram: LatencyHistogram;
  readonly failed: number;
}

/** Probes every 100 ms until `stop` resolves; percentiles come from the load test's histogram (the workspace's one definition). */
async function probeUntil(url: string, stop: Promise<unknown>): Promise<ProbeOutcome> {
  const histogram = new LatencyHistogram();
  let failed = 0;
  let done = false;
  void stop.then(() => (done = true));
  const pending: Promise<void>[] = [];
  const started = performance.now();
  for (let i = 0; !done; i++) {
    const at = performance.now();
    pending.push(
      probe(url, i % 2 === 0 ? "/v2/health/live" : "/v2/health/ready").then((ms) => {
        if (process.env["DEBUG_PROBES"] && (ms === "failed" || ms > 30)) console.error(`probe ${i} at +${((at - started) / 1000).toFixed(2)} s: ${ms}`);
        return ms === "failed" ? void failed++ : histogram.record(ms);
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await Promise.all(pending);
  return { histogram, failed };
}

interface Scenario {
  readonly name: string;
  readonly peak: LoadOutcome;
  readonly overload: LoadOutcome;
  readonly probes: ProbeOutcome;
  /** The server's own longest event-loop delay during the overload (prom-client resets it at each scrape). */
  readonly maxLagMs: number;
}

async function maxEventLoopLagMs(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^model_server_nodejs_eventloop_lag_max_seconds (\S+)/m.exec(text)?.[1] ?? NaN) * 1000;
}

async function scenario(name: string, server: ServerProcess, probeUrl: string, script: string, contention: boolean): Promise<Scenario> {
  let burner: ChildProcess | undefined;
  if (contention) {
    const self = [process.execPath, "--conditions=source", "--import", "tsx", "bench/overload.ts", "--burner"];
    burner = spawn("taskset", ["-c", args["server-core"]!, ...self], { stdio: "ignore" });
  }
  try {
    await wrk(server.url, 16, 3, script); // warm-up: JIT, word cache
    const peak = await wrk(server.url, 16, seconds, script);
    await maxEventLoopLagMs(server.url);
    const load = wrk(server.url, Number(args.connections), seconds, script);
    const probes = await probeUntil(probeUrl, load);
    return { name, peak, overload: await load, probes, maxLagMs: await maxEventLoopLagMs(server.url) };
  } finally {
    burner?.kill("SIGKILL");
  }
}

/** One scenario over every round: the median round by 200/s under overload / peak, all probes merged. */
function summarize(name: string, rounds: Scenario[]) {
  const ratio = (round: Scenario) => round.overload.okPerSecond / round.peak.okPerSecond;
  const sorted = [...rounds].sort((a, b) => ratio(a) - ratio(b));
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const probes = new LatencyHistogram();
  for (const round of rounds) probes.merge(round.probes.histogram);
  const sum = (pick: (round: Scenario) => number) => rounds.reduce((total, round) => total + pick(round), 0);
  return {
    name,
    median,
    ratio: ratio(median),
    ratios: rounds.map(ratio),
    probes,
    probesFailed: sum((round) => round.probes.failed),
    noRetryAfter: sum((round) => round.overload.noRetryAfter),
    other: sum((round) => round.overload.other),
    maxLagMs: Math.max(...rounds.map((round) => round.maxLagMs)),
  };
}

function report(rows: ReturnType<typeof summarize>[]): string {
  const lines = [
    "| scenario | peak 200/s (c=16) | overload 200/s | / peak (median round; all rounds) | 503/s | other non-2xx | without Retry-After " +
      "| probe p50 ms | probe p99 ms | probe max ms | probes failed | server max loop lag ms |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const row of rows) {
    const { peak, overload } = row.median;
    const p = (q: number) => row.probes.percentile(q).toFixed(1);
    lines.push(
      `| ${row.name} | ${peak.okPerSecond.toFixed(0)} | ${overload.okPerSecond.toFixed(0)} | ` +
        `${row.ratio.toFixed(2)}; ${row.ratios.map((r) => r.toFixed(2)).join(", ")} | ${overload.rejectedPerSecond.toFixed(0)} | ` +
        `${row.other} | ${row.noRetryAfter} | ${p(50)} | ${p(99)} | ${p(100)} | ${row.probesFailed} | ${row.maxLagMs.toFixed(0)} |`,
    );
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  if (args.burner) return burn();
  const work = mkdtempSync(join(tmpdir(), "bench-overload-"));
  let server: ServerProcess | undefined;
  try {
    const { dir } = await generateModel({ size: "tiny", seed: 7, outDir: join(work, "tiny") });
    const script = join(work, "count.lua");
    writeFileSync(script, COUNTING_SCRIPT);
    const healthPort = args["health-port"] ? String(await freePort()) : undefined;
    server = await startServerProcess({ MODEL_DIR: dir, THREADS: "1", ...(healthPort ? { HEALTH_PORT: healthPort } : {}) }, { cpus: args["server-core"]! });
    const probeUrl = healthPort ? `http://127.0.0.1:${healthPort}` : server.url;
    const alone: Scenario[] = [];
    const contended: Scenario[] = [];
    for (let round = 1; round <= Number(args.rounds); round++) {
      alone.push(await scenario("server core to itself", server, probeUrl, script, false));
      contended.push(await scenario("contention: server core 50% busy", server, probeUrl, script, true));
      console.error(`round ${round} done`);
    }
    const rows = [summarize("server core to itself", alone), summarize("contention: server core 50% busy", contended)];
    console.log(
      `${args.rounds} rounds. Tiny model, default settings (MAX_QUEUE 256, MAX_BATCH 4), server on core ${args["server-core"]} (taskset), ` +
        `wrk -t1 -c${args.connections} ` +
        `and probes (${healthPort ? "HEALTH_PORT" : "public port"}) on core ${args["load-core"]}, ${seconds} s per measurement, Node ${process.version}.\n`,
    );
    console.log(report(rows));
    const worst = Math.min(...rows.map((row) => row.ratio));
    const probeP99 = Math.max(...rows.map((row) => row.probes.percentile(99)));
    console.log(
      `\nworst median 200/s under overload / peak: ${worst.toFixed(2)} (goal >= 0.8); ` +
        `probe p99: ${probeP99.toFixed(1)} ms (goal < 100); rejections without Retry-After: ${rows.reduce((sum, row) => sum + row.noRetryAfter, 0)} (goal 0)`,
    );
  } finally {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
