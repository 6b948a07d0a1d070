/**
 * Does the capacity search find what a brute-force sweep finds, in fewer steps? One fleet of the stack
 * (loopback servers, as `fleet local` starts them) is searched (`fleet local --capacity`'s search:
 * doubling, then bisection), then swept at fixed strides around the capacity found, every rate with the
 * same warm-up and window, and the sweep's best step (the highest rate that held below the first that
 * broke, by the same capacityFromSteps) is set beside the search's answer.
 *
 *   node --conditions=source --import tsx bench/capacity.ts [--stack dev] [--budget 2m30s] [--precision 0.05]
 *        [--from 0.6] [--to 1.4] [--stride 0.05]
 *
 * The rule holds when the search's capacity is within 10% of the sweep's best step (see the last lines).
 * The machine is noisy (20% between minutes): a miss is worth a second run before it is believed.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { defaultStacksDir, loadStackConfig } from "@inference-fleet/fleet-config";
import { capacityFromSteps, sloOfConfig, type CapacityStep } from "@inference-fleet/load-test";
import { capacitySettings, describeStep, ensureModel, runCapacitySearch, runCapacityStep, runLabels, startServerFleet } from "@inference-fleet/scripts";

const { values: args } = parseArgs({
  options: {
    stack: { type: "string", default: "dev" },
    budget: { type: "string" },
    precision: { type: "string" },
    from: { type: "string", default: "0.6" },
    to: { type: "string", default: "1.4" },
    stride: { type: "string", default: "0.05" },
  },
});
const [from, to, stride] = [Number(args.from), Number(args.to), Number(args.stride)];
if (!(from > 0 && to > from && stride > 0)) throw new Error("--from, --to and --stride must be positive shares of the capacity, with --to above --from.");

const stacksDir = defaultStacksDir();
const config = loadStackConfig(args.stack!, { stacksDir });
// The search alone, as the sweep is: both judge steps by the same rule; the confirmation holds are another question.
const settings = capacitySettings(config, { budget: args.budget, precision: args.precision, confirm: false });
const slo = sloOfConfig(config);
const log = (line: string) => console.log(`[${config.stack}] ${line}`);
const modelDir = await ensureModel(config, path.dirname(stacksDir), log);
const fleet = await startServerFleet(config, { modelDir, log });
try {
  const labels = runLabels(config);
  const run = { targets: fleet.targets, models: fleet.models, labels, settings };
  const searchStarted = Date.now();
  const { result } = await runCapacitySearch(config, { ...run, startedAtMs: searchStarted, say: log });
  const searchSeconds = (Date.now() - searchStarted) / 1000;
  const search = result.capacity!;
  const found = search.searchCapacity ?? search.capacityAtSlo;
  if (found <= 0) throw new Error("The search found no rate at which the SLO holds: nothing to sweep around.");

  const rates = [...new Set(Array.from({ length: Math.floor((to - from) / stride + 1e-9) + 1 }, (_, i) => Math.round(found * (from + i * stride))))];
  log(`sweep: ${rates.length} rates from ${rates[0]} to ${rates.at(-1)} req/s`);
  const sweepStarted = Date.now();
  const steps: CapacityStep[] = [];
  for (const rate of rates) {
    const { step } = await runCapacityStep(config, run, rate);
    steps.push(step);
    log(`sweep ${describeStep(steps.length, step, slo)}`);
  }
  const sweepSeconds = (Date.now() - sweepStarted) / 1000;
  const sweep = capacityFromSteps(steps, slo);
  const gap = sweep.capacityAtSlo > 0 ? (found - sweep.capacityAtSlo) / sweep.capacityAtSlo : Number.POSITIVE_INFINITY;
  console.log("");
  console.log("| method | capacity (req/s) | steps | seconds |");
  console.log("|---|--:|--:|--:|");
  const method = `search (doubling, then bisection to ${(settings.precision * 100).toFixed(0)}%)`;
  console.log(`| ${method} | ${found} | ${search.steps.length} | ${searchSeconds.toFixed(0)} |`);
  console.log(`| brute-force sweep (${(stride * 100).toFixed(0)}% strides) | ${sweep.capacityAtSlo} | ${steps.length} | ${sweepSeconds.toFixed(0)} |`);
  console.log("");
  console.log(
    `search vs sweep: ${(gap * 100).toFixed(1)}% -> ${Math.abs(gap) <= 0.1 ? "within 10%: the rule holds" : "more than 10% apart: the rule does not hold"}`,
  );
} finally {
  await fleet.stop();
}
