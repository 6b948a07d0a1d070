/**
 * How fast is this machine right now? A fixed CPU workload (SHA-256 of a 4 KiB buffer, in cache, no I/O) on every
 * core at once, counted per window: the same code on the same machine, so any change in its rate is the host's
 * (a shared VM's neighbours, frequency), not ours. It says how much the machine moves, not how fast a fleet runs:
 * measured, a run confirmed 1,370 req/s while this read 0.71-0.82x its batch's first probe, and another 917 at
 * 1.00x (SHA-256 runs on its own instructions; ONNX Runtime's work is matrix arithmetic). verdict-repeat.ts probes
 * before and after each run, beside the fleet's own inference time per request. Run alone, it prints the drift:
 *
 *   node --conditions=source --import tsx bench/host-speed.ts [--seconds 300] [--window 5]
 *
 * Nothing else should run meanwhile: it measures the machine, and loads every core.
 */
import { availableParallelism } from "node:os";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";

// Plain JavaScript, evaluated in each worker (no loader needed): hash for 25 ms, report the count, repeat (short
// enough that a 3 s window's count is off by under 1% at its edges).
const WORKER = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const buf = Buffer.alloc(4096, 7);
for (;;) {
  let n = 0;
  const end = Date.now() + 25;
  while (Date.now() < end) { createHash("sha256").update(buf).digest(); n++; }
  parentPort.postMessage(n);
}`;

/** Hashes per second on all cores together, one figure per window of `windowSeconds`, over `seconds`, after half a second of start-up. */
async function hostSpeedWindows(seconds: number, windowSeconds: number, onWindow?: (rate: number) => void): Promise<number[]> {
  const sleep = (s: number) => new Promise((resolve) => setTimeout(resolve, s * 1000));
  let count = 0;
  const workers = Array.from({ length: availableParallelism() }, () => new Worker(WORKER, { eval: true }));
  for (const w of workers) w.on("message", (n: number) => (count += n));
  const rates: number[] = [];
  try {
    await sleep(0.5);
    for (let t = 0; t + windowSeconds <= seconds; t += windowSeconds) {
      const before = count;
      await sleep(windowSeconds);
      rates.push((count - before) / windowSeconds);
      onWindow?.(rates.at(-1)!);
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return rates;
}

/** One figure: hashes per second on all cores over a short probe. */
export async function hostSpeed(seconds = 3): Promise<number> {
  const [rate] = await hostSpeedWindows(seconds, seconds);
  return rate!;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: "string", default: "300" }, window: { type: "string", default: "5" } } });
  const windowSeconds = Number(values.window);
  const perMinute = Math.max(1, Math.round(60 / windowSeconds));
  console.log(`host-speed: SHA-256 on ${availableParallelism()} cores, ${values.seconds} s in ${windowSeconds} s windows (hashes/s)`);
  const rates = await hostSpeedWindows(Number(values.seconds), windowSeconds, (r) => console.log(`  ${Math.round(r)}`));
  const sorted = [...rates].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  console.log(`windows: min ${at(0)}, median ${at(0.5)}, max ${at(1)}: max/min ${(sorted.at(-1)! / sorted[0]!).toFixed(2)}`);
  const minutes: number[] = [];
  for (let i = 0; i + perMinute <= rates.length; i += perMinute) minutes.push(rates.slice(i, i + perMinute).reduce((a, b) => a + b, 0) / perMinute);
  if (minutes.length > 1) {
    console.log(`minutes: ${minutes.map(Math.round).join(", ")}: max/min ${(Math.max(...minutes) / Math.min(...minutes)).toFixed(2)}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
