/**
 * How fast is this machine right now? A fixed CPU workload (SHA-256 of a 4 KiB buffer, in cache, no I/O) on every
 * core at once, counted per window: the same code on the same machine, so any change in its rate is the host's
 * (a shared VM's neighbours, frequency), not ours. A capacity figure can only repeat as well as this does.
 * (`hostSpeedWindows` in load-test: `fleet local --capacity` probes with it before and after its search, and
 * verdict-repeat.ts before and after each run.) Run alone, it prints the drift over a few minutes:
 *
 *   node --conditions=source --import tsx bench/host-speed.ts [--seconds 300] [--window 5]
 *
 * Nothing else should run meanwhile: it measures the machine, and loads every core.
 */
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { hostSpeedWindows } from "@inference-fleet/load-test";

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: "string", default: "300" }, window: { type: "string", default: "5" } } });
  const windowSeconds = Number(values.window);
  const perMinute = Math.max(1, Math.round(60 / windowSeconds));
  console.log(`host-speed: SHA-256 on ${availableParallelism()} cores, ${values.seconds} s in ${windowSeconds} s windows (hashes/s)`);
  const rates = await hostSpeedWindows(Number(values.seconds), windowSeconds, { onWindow: (r) => console.log(`  ${Math.round(r)}`) });
  const sorted = [...rates].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  console.log(`windows: min ${at(0)}, median ${at(0.5)}, max ${at(1)}: max/min ${(sorted.at(-1)! / sorted[0]!).toFixed(2)}`);
  const minutes: number[] = [];
  for (let i = 0; i + perMinute <= rates.length; i += perMinute) minutes.push(rates.slice(i, i + perMinute).reduce((a, b) => a + b, 0) / perMinute);
  if (minutes.length > 1) {
    console.log(`minutes: ${minutes.map(Math.round).join(", ")}: max/min ${(Math.max(...minutes) / Math.min(...minutes)).toFixed(2)}`);
  }
}

await main();
