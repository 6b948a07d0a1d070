// `fleet plan --for-rate R`: for each stack with a measured capacity, the fleet that serves R req/s at its
// SLO with headroom, cheapest first; a stack without a measurement says which command produces one.
import path from "node:path";
import { defaultStacksDir, type FleetConfig } from "@inference-fleet/fleet-config";
import { UsageError } from "../command.js";
import { displayPath, findMeasuredCapacity, noMeasurementMessage } from "./measured-capacity.js";
import { renderSizing, sizeFleet, type FleetSizing } from "./size-fleet.js";

export interface ForRateOptions {
  /** --for-rate, else each stack's loadTest.sizing.forRate. */
  readonly forRate?: string;
  /** --headroom, else each stack's loadTest.sizing.headroom. */
  readonly headroom?: string;
  /** --results: a folder searched as the writers lay it out, or one results file (default: the repo's results/). */
  readonly results?: string;
}

export interface ForRateOutcome {
  readonly text: string;
  readonly sizings: FleetSizing[];
  /** Stacks that could not be sized, with why and what to run. */
  readonly missing: { readonly stack: string; readonly reason: string }[];
}

/** A share or rate from the command line, checked. */
function numberOption(raw: string | undefined, name: string, example: string): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value)) throw new UsageError(`--${name} must be a number, e.g. --${name} ${example}; got "${raw}".`);
  return value;
}

/** The rate to size for: the flag, else the stack's loadTest.sizing.forRate. */
export function forRateOf(options: ForRateOptions, config: FleetConfig): number | undefined {
  return numberOption(options.forRate, "for-rate", "5000") ?? config.loadTest.sizing.forRate;
}

/** Sizes each stack for its rate; the text leads with the cheapest, and names the stacks without a measurement. */
export async function planForRate(configs: readonly FleetConfig[], options: ForRateOptions): Promise<ForRateOutcome> {
  const resultsPath = path.resolve(options.results ?? path.join(path.dirname(defaultStacksDir()), "results"));
  const shown = displayPath(resultsPath);
  const sizings: FleetSizing[] = [];
  const missing: ForRateOutcome["missing"] = [];
  for (const config of configs) {
    const forRate = forRateOf(options, config);
    if (forRate === undefined)
      throw new UsageError(`Give --for-rate R (requests per second to serve) or set loadTest.sizing.forRate in stack ${config.stack}.`);
    const headroom = numberOption(options.headroom, "headroom", "0.2") ?? config.loadTest.sizing.headroom;
    const measured = await findMeasuredCapacity(resultsPath, config);
    if (!measured) {
      missing.push({ stack: config.stack, reason: noMeasurementMessage(config, shown) });
      continue;
    }
    try {
      sizings.push(sizeFleet(config, measured, forRate, headroom));
    } catch (error) {
      if (error instanceof Error && /^--/.test(error.message)) throw new UsageError(error.message);
      missing.push({ stack: config.stack, reason: (error as Error).message });
    }
  }
  const ranked = [...sizings].sort((a, b) => a.usdPerMonth - b.usdPerMonth);
  const bySlo = new Map(configs.map((c) => [c.stack, c.loadTest.slo]));
  const blocks = ranked.map((s) => renderSizing(s, bySlo.get(s.stack)!));
  if (ranked.length > 1) blocks.unshift(`Cheapest first: ${ranked.map((s) => `${s.stack} ${s.nodes} x ${s.instanceType}`).join(", ")}.`);
  return { text: [...blocks, ...missing.map((m) => m.reason)].join("\n\n"), sizings: ranked, missing };
}
