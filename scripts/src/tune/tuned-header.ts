// What a tuned stack file says about itself, and writing it for a search's winner: the one path for
// `fleet tune` (this machine) and `fleet matrix --tune` (a cluster's nodes).
import type { FleetConfig } from "@inference-fleet/fleet-config";
import { shippedCandidate } from "./candidate.js";
import { bestMeasurement, type TuneOutcome } from "./search.js";
import { changedFields, describeChange, tunedStackName, writeTunedStack } from "./stack-patch.js";

export interface TunedRun {
  /** The command line that tuned, e.g. "fleet tune --stack dev --budget 5m". */
  readonly command: string;
  /** Where the node was, e.g. "this machine, host (2 CPUs, model)" or "1 x c7i.xlarge in the stack's cluster". */
  readonly where: string;
  /** What someone tuning elsewhere should know (one line). */
  readonly caveat: string;
}

function tunedHeader(config: FleetConfig, outcome: TuneOutcome, run: TunedRun, changes: readonly string[]): string[] {
  const winner = bestMeasurement(outcome.winner!);
  const shipped = bestMeasurement(outcome.shipped!);
  const { percentile, thresholdMs } = config.loadTest.slo;
  const stack = config.stack;
  const precision = (config.loadTest.capacity.precision * 100).toFixed(0);
  const gain = ((winner.capacity / shipped.capacity - 1) * 100).toFixed(0);
  return [
    `Tuned by \`${run.command}\` on ${run.where}, ${new Date().toISOString()}.`,
    `Capacity at the SLO (${percentile}<=${thresholdMs}ms) per node, both measured again in the same run at ${precision}% precision:`,
    `tuned ${winner.capacity.toFixed(0)} req/s vs shipped ${shipped.capacity.toFixed(0)} req/s (+${gain}%).`,
    `Changes from Pulumi.${stack}.yaml (every other line is as shipped):`,
    ...changes.map((change) => `  ${change}`),
    `Measure again: npx fleet local --compare ${stack},${tunedStackName(stack)} --capacity. Adopt: copy the changed lines into Pulumi.${stack}.yaml.`,
    run.caveat,
  ];
}

/** Writes Pulumi.<stack>-tuned.yaml for the outcome's winner; returns the file and the changes, or undefined when there is no winner. */
export function writeTunedOutcome(
  stacksDir: string,
  config: FleetConfig,
  outcome: TuneOutcome,
  run: TunedRun,
): { file: string; changes: string[] } | undefined {
  if (!outcome.winner || !outcome.shipped) return undefined;
  const fields = changedFields(config, shippedCandidate(config), outcome.winner.candidate);
  const changes = fields.map(describeChange);
  return { file: writeTunedStack(stacksDir, config.stack, fields, tunedHeader(config, outcome, run, changes)), changes };
}
