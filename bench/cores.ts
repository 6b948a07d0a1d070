/**
 * Does a server given more CPUs turn them into more work at the same cost per request? The HTTP server
 * (its default workers and ONNX Runtime threads, derived from its CPU budget, which taskset sets through
 * the CPU affinity) at 1 CPU and at 2 CPUs, plus explicit worker/thread settings for comparison, with its
 * own CPU time per request read from /proc/<pid>/stat (all threads). On this 2-core machine the load
 * generator (wrk) shares the cores in the 2-CPU points, so throughput there is capped by wrk's share;
 * CPU time per request is the figure that says whether the second core is used efficiently.
 *
 *   node --conditions=source --import tsx bench/cores.ts [--sizes tiny,mini] [--precision fp32|int8]
 *        [--seconds 5] [--warmup-seconds 3] [--rounds 3] [--connections 8]
 *
 * The rule holds when CPU time per request at 2 CPUs is within 15% of 1 CPU (see the last lines).
 * Needs taskset and wrk (Debian: apt-get install -y wrk util-linux).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startServerProcess } from "@inference-fleet/model-server";
import { generateModel, isPrecision, type PresetName } from "@inference-fleet/model-zoo";
import { cpuTimeUs, parseWrkOutput } from "./wrk.js";

const { values: args } = parseArgs({
  options: {
    sizes: { type: "string", default: "tiny,mini" },
    precision: { type: "string", default: "fp32" },
    seconds: { type: "string", default: "5" },
    "warmup-seconds": { type: "string", default: "3" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "8" },
  },
});
const seconds = Number(args.seconds);
if (!isPrecision(args.precision!)) throw new Error(`--precision must be fp32 or int8, got ${args.precision}.`);

interface Setup {
  readonly name: string;
  /** Cores the server may use (its CPU affinity: what its CPU budget becomes here). */
  readonly serverCores: string;
  /** Cores wrk runs on (undefined: not pinned). */
  readonly loadCores?: string;
  readonly env: Record<string, string>;
  /** Requests go to model0 and model1 at random. */
  readonly twoModels?: boolean;
}

const SETUPS: readonly Setup[] = [
  { name: "1 CPU, rule: main thread x 1 ORT thread", serverCores: "1", loadCores: "0", env: {} },
  { name: "1 CPU, 1 worker x 1 thread", serverCores: "1", loadCores: "0", env: { INFERENCE_WORKERS: "1", THREADS: "1" } },
  { name: "2 CPUs, rule: 1 worker x 1 thread", serverCores: "0,1", env: {} },
  { name: "2 CPUs, main thread x 2 ORT threads", serverCores: "0,1", env: { INFERENCE_WORKERS: "0", THREADS: "2" } },
  {
    name: "2 CPUs, 2 workers x 1 thread, 2 sessions",
    serverCores: "0,1",
    env: { NUM_MODELS: "2", SEPARATE_SESSIONS: "true", INFERENCE_WORKERS: "2", THREADS: "1" },
    twoModels: true,
  },
];

interface Point {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** Server CPU time (all threads) per request, us. */
  readonly cpuUs: number;
  /** Server CPU seconds per wall second: the cores it kept busy. */
  readonly coresBusy: number;
  readonly startup: string;
}

function wrk(setup: Setup, port: number, script: string, duration: number): { rps: number; p50: number; p99: number; requests: number } {
  const command = ["wrk", "-t1", `-c${args.connections}`, `-d${duration}s`, "--timeout", "10s", "--latency", "-s", script, `http://127.0.0.1:${port}/`];
  const out = setup.loadCores
    ? execFileSync("taskset", ["-c", setup.loadCores, ...command], { encoding: "utf8" })
    : execFileSync(command[0]!, command.slice(1), { encoding: "utf8" });
  return parseWrkOutput(out);
}

async function measure(dir: string, setup: Setup, scripts: { one: string; two: string }, logFile: string): Promise<Point> {
  // The server's log goes to a file: a pipe would fill while this process sits in execFileSync(wrk), and
  // a server blocked on its log would look idle. THREADS and INFERENCE_WORKERS unset unless the setup names
  // them: the server derives them from its budget.
  const server = await startServerProcess({ MODEL_DIR: dir, ...setup.env }, { cpus: setup.serverCores, logFile, readyTimeoutMs: 30_000 });
  const script = setup.twoModels ? scripts.two : scripts.one;
  try {
    wrk(setup, server.port, script, Number(args["warmup-seconds"]));
    const cpuBefore = cpuTimeUs(server.pid!);
    const started = performance.now();
    const { requests, ...result } = wrk(setup, server.port, script, seconds);
    const wall = (performance.now() - started) / 1000;
    const cpuUs = cpuTimeUs(server.pid!) - cpuBefore;
    const startup = /cpu budget [^"]*/.exec(readFileSync(logFile, "utf8"))?.[0] ?? "(no cpu budget line)";
    return { ...result, cpuUs: cpuUs / Math.max(1, requests), coresBusy: cpuUs / 1e6 / wall, startup };
  } finally {
    await server.stop();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "bench-cores-"));
  try {
    const scripts = { one: join(work, "one.lua"), two: join(work, "two.lua") };
    writeFileSync(scripts.one, 'wrk.method = "GET"\nwrk.path = "/predictions/model0"\n');
    writeFileSync(scripts.two, 'request = function()\n  return wrk.format("GET", "/predictions/model" .. math.random(0, 1))\nend\n');
    const sizes = args.sizes!.split(",") as PresetName[];
    const dirs = new Map<PresetName, string>();
    for (const size of sizes)
      dirs.set(size, (await generateModel({ size, seed: 7, outDir: join(work, size), precision: args.precision as "fp32" | "int8" })).dir);

    const points = new Map<string, Point[]>();
    for (let round = 1; round <= Number(args.rounds); round++) {
      for (const size of sizes) {
        for (const setup of SETUPS) {
          const point = await measure(dirs.get(size)!, setup, scripts, join(work, "server.log"));
          const id = `${size}|${setup.name}`;
          points.set(id, [...(points.get(id) ?? []), point]);
          console.error(
            `round ${round}: ${size}, ${setup.name}: ${point.rps.toFixed(0)} req/s, ${point.cpuUs.toFixed(0)} us CPU/req, ${point.coresBusy.toFixed(2)} ` +
              `cores busy (${point.startup})`,
          );
        }
      }
    }

    console.log(
      `\n## Server CPU time per request at 1 and 2 CPUs (${args.precision}, wrk -t1 -c${args.connections}, GET /predictions, ${args["warmup-seconds"]} s ` +
        `warm-up + ${seconds} s, ${args.rounds} interleaved rounds)`,
    );
    console.log(
      `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores shared with other tenants, Node ${process.version}. CPU time: median of rounds; req/s: ` +
        `best round.\n`,
    );
    console.log("| model | setup | server start-up line | req/s | CPU us/req | vs 1 CPU rule | cores busy | req/s per busy core | p50 / p99 ms |");
    console.log("|---|---|---|---|---|---|---|---|---|");
    const verdicts: string[] = [];
    for (const size of sizes) {
      const base = median(points.get(`${size}|${SETUPS[0]!.name}`)!.map((p) => p.cpuUs));
      for (const setup of SETUPS) {
        const list = points.get(`${size}|${setup.name}`)!;
        const best = list.reduce((a, b) => (b.rps > a.rps ? b : a));
        const cpuUs = median(list.map((p) => p.cpuUs));
        const busy = median(list.map((p) => p.coresBusy));
        console.log(
          `| ${size} | ${setup.name} | ${best.startup} | ${best.rps.toFixed(0)} | ${cpuUs.toFixed(0)} | ${(cpuUs / base).toFixed(2)} | ${busy.toFixed(2)} | ` +
            `${(1e6 / cpuUs).toFixed(0)} | ${best.p50.toFixed(1)} / ${best.p99.toFixed(1)} |`,
        );
      }
      const rule2 = median(points.get(`${size}|${SETUPS[2]!.name}`)!.map((p) => p.cpuUs));
      const ratio = rule2 / base;
      verdicts.push(
        `${size}: CPU time per request at 2 CPUs (rule: 1 worker x 1 thread) / at 1 CPU (rule: main thread) = ${ratio.toFixed(2)}: ` +
          `${Math.abs(ratio - 1) <= 0.15 ? "within 15%, the rule holds" : "NOT within 15%"}`,
      );
    }
    console.log(`\n${verdicts.join("\n")}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
