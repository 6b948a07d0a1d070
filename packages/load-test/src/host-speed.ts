// How fast this machine is right now: a fixed CPU workload (SHA-256 of a 4 KiB buffer, in cache, no I/O) on every
// core at once. The same code on the same machine, so a change in its rate is the host's (a shared VM's neighbours,
// other work, CPU frequency), not the fleet's. Measured on a 2-core shared VM: 1.35x between its slowest and fastest
// minute with nothing else running, and the dev fleet's capacity moved with it. `fleet local --capacity` probes before
// and after its search, so its verdict says how steady the machine was; a figure repeats no better than that.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

// Plain JavaScript, evaluated in each worker (no TypeScript loader needed): hash for 25 ms, report the count, repeat
// (short enough that a window's count is off by under 2% at its edges).
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

/**
 * Hashes per second on every core together, one figure per window of `windowSeconds`, over `seconds` (whole windows),
 * after `warmupSeconds` of the workers' start-up.
 */
export async function hostSpeedWindows(
  seconds: number,
  windowSeconds: number,
  options: { readonly warmupSeconds?: number; readonly onWindow?: (rate: number) => void } = {},
): Promise<number[]> {
  if (!(windowSeconds > 0 && seconds >= windowSeconds)) {
    throw new Error(`A host speed probe needs at least one window: got ${seconds} s in windows of ${windowSeconds} s.`);
  }
  const sleep = (s: number) => new Promise((resolve) => setTimeout(resolve, s * 1000));
  let count = 0;
  const workers = Array.from({ length: availableParallelism() }, () => new Worker(WORKER, { eval: true }));
  for (const w of workers) w.on("message", (n: number) => (count += n));
  const rates: number[] = [];
  try {
    await sleep(options.warmupSeconds ?? 0.5);
    for (let i = 0; i < Math.floor(seconds / windowSeconds + 1e-9); i++) {
      const before = count;
      await sleep(windowSeconds);
      rates.push((count - before) / windowSeconds);
      options.onWindow?.(rates.at(-1)!);
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return rates;
}

/** Hashes per second on every core over `seconds` (after half a second of start-up). */
export async function hostSpeed(seconds: number): Promise<number> {
  const [rate] = await hostSpeedWindows(seconds, seconds);
  return rate!;
}

/** A probe before a run and one after it (hashes per second on every core, over probeSeconds each). */
export interface HostSpeed {
  readonly before: number;
  readonly after: number;
  readonly probeSeconds: number;
}

/** Past this share between the two probes, a run's figure says the machine moved under it. */
export const HOST_DRIFT_NOTICE = 0.1;

/** "this machine's own speed moved +21% between the start and the end of the run (...)", or that it held within 10%. */
export function describeHostSpeed(host: HostSpeed): string {
  const change = host.after / host.before - 1;
  const probe = `${host.probeSeconds} s of fixed work on every core before and after`;
  const share = `${change >= 0 ? "+" : ""}${(change * 100).toFixed(0)}%`;
  const within = `${(HOST_DRIFT_NOTICE * 100).toFixed(0)}%`;
  if (Math.abs(change) <= HOST_DRIFT_NOTICE) return `this machine's own speed held within ${within} over the run (${share}; ${probe})`;
  return (
    `this machine's own speed moved ${share} between the start and the end of the run (${probe}): ` +
    "the capacity repeats no better than the machine does; measure again on a quieter one, or compare runs made side by side"
  );
}
