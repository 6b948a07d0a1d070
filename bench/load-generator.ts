// Measures the local load generator against wrk on the same server at the same concurrency, and
// its ceiling on one core against a trivial endpoint.
//   node --conditions=source --import tsx bench/load-generator.ts [--rounds 3] [--seconds 5] [--concurrency 32] [--delay-ms 20]
// wrk and the generator take turns, round after round, and the median ratio is printed: the
// machine is shared and noisy, so only ratios measured side by side mean anything.
// Needs wrk (apt-get install -y wrk) and taskset (util-linux): the generator runs pinned to
// core 0 and the server to core 1, so neither steals the other's CPU.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runLoad } from "@inference-fleet/load-test";
import { startServerProcess, type ServerProcess } from "@inference-fleet/model-server";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "5" },
    concurrency: { type: "string", default: "32" },
    "delay-ms": { type: "string", default: "20" },
  },
});
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);

function has(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
if (!has("wrk") || !has("taskset")) {
  console.error("This bench needs wrk and taskset: run `apt-get install -y wrk util-linux` (Debian) and try again.");
  process.exit(1);
}
// Pin this process (the generator) to core 0.
execFileSync("taskset", ["-p", "-c", "0", String(process.pid)], { stdio: "ignore" });

/** The delay server on core 1, started and awaited by the workspace's one server-process helper. */
function startServer(delayMs: number): Promise<ServerProcess> {
  const script = fileURLToPath(new URL("./load-generator-server.ts", import.meta.url));
  const launch = (env: Record<string, string>) => ({
    command: "taskset",
    args: ["-c", "1", process.execPath, "--conditions=source", "--import", "tsx", script, String(delayMs)],
    env: { ...process.env, ...env },
  });
  return startServerProcess({}, { name: "delay server", launch });
}

function parseWrkLatency(text: string, label: string): number {
  const match = new RegExp(`${label}\\s+([\\d.]+)(us|ms|s)\\b`).exec(text);
  if (!match) throw new Error(`wrk printed no ${label} latency:\n${text}`);
  return Number(match[1]) * { us: 0.001, ms: 1, s: 1000 }[match[2] as "us" | "ms" | "s"];
}

function runWrk(url: string): { rps: number; p50: number } {
  const text = execFileSync("taskset", ["-c", "0", "wrk", "-t1", `-c${concurrency}`, `-d${seconds}s`, "--latency", `${url}/predictions/model0`], {
    encoding: "utf8",
  });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
  return { rps, p50: parseWrkLatency(text, "50%") };
}

async function runGenerator(url: string): Promise<{ rps: number; p50: number }> {
  const result = await runLoad({ targets: [url], models: ["model0"], mode: "bmk", concurrency, durationSeconds: seconds });
  if (result.requests - result.throughput * result.durationSeconds > 0.5) throw new Error(`The generator saw errors: ${JSON.stringify(result.errors)}`);
  return { rps: result.throughput, p50: result.latencyMs.p50 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const row = (name: string, r: { rps: number; p50: number }) =>
  console.log(`${name.padEnd(34)} ${r.rps.toFixed(0).padStart(8)} req/s   p50 ${r.p50.toFixed(2).padStart(7)} ms`);

for (const delayMs of [Number(values["delay-ms"]), 0]) {
  const server = await startServer(delayMs);
  try {
    console.log(`\nServer on core 1 answering after ${delayMs} ms; ${concurrency} connections; ${seconds} s each; generator on core 0.`);
    await runGenerator(server.url); // warm-up: JIT and connections
    const throughputRatios: number[] = [];
    const p50Ratios: number[] = [];
    for (let round = 1; round <= Number(values.rounds); round++) {
      const wrk = runWrk(server.url);
      const generator = await runGenerator(server.url);
      row(`round ${round}: wrk`, wrk);
      row(`round ${round}: fleet load (runLoad, bmk)`, generator);
      throughputRatios.push(generator.rps / wrk.rps);
      p50Ratios.push(generator.p50 / wrk.p50);
    }
    console.log(`median ratio generator/wrk: throughput ${median(throughputRatios).toFixed(3)}, p50 ${median(p50Ratios).toFixed(3)}`);
  } finally {
    await server.stop();
  }
}
