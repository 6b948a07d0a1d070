// `fleet tune` wiring: the stack, the budget, Ctrl-C, the search on this machine, the ranked table,
// and the tuned stack file when a candidate beat the shipped settings measured again.
import { existsSync } from "node:fs";
import { availableParallelism, cpus, hostname } from "node:os";
import path from "node:path";
import { defaultStacksDir, loadStackConfig, parseDurationSeconds, type FleetConfig } from "@inference-fleet/fleet-config";
import { UsageError } from "../command.js";
import { ensureModel } from "../local/ensure-model.js";
import type { StartFleetOptions } from "../local/server-fleet.js";
import type { Placement } from "./candidate.js";
import { localEvaluator } from "./local-evaluator.js";
import { fidelities, plannedSeconds, runTuneSearch, type TuneOutcome } from "./search.js";
import { tunedStackName, tunedStackPath } from "./stack-patch.js";
import { writeTunedOutcome } from "./tuned-header.js";
import { renderRankedTable } from "./tune-table.js";
import { watchCtrlC } from "../shared/ctrl-c.js";

export interface TuneCommandOptions {
  readonly stack?: string;
  /** The whole run's time budget, e.g. "5m" (servers' start-ups included). */
  readonly budget?: string;
  /** Measure at most this many coarse grid points (the shipped settings first); no refinement rung. */
  readonly candidates?: string;
}

export interface TuneMainDependencies {
  /** Where Pulumi.<stack>.yaml is read and the tuned file written (tests use a copy). */
  readonly stacksDir?: string;
  readonly log?: (line: string) => void;
  readonly interrupt?: AbortSignal;
  readonly launch?: StartFleetOptions["launch"];
  /** FLEET_* overrides; default: the environment. */
  readonly env?: NodeJS.ProcessEnv;
}

export const DEFAULT_TUNE_BUDGET = "5m";
/** First guess of the seconds a measurement spends outside its steps (servers started and stopped); learnt as it runs. */
const LOCAL_OVERHEAD_SECONDS = 3;

/** Longer budgets buy longer steps: fewer points, each measured with less noise. */
function stepSecondsFor(budgetSeconds: number): number {
  return budgetSeconds >= 240 ? 3 : budgetSeconds >= 120 ? 2 : 1;
}

function parseBudget(text: string): number {
  const seconds = parseDurationSeconds(text);
  if (seconds === undefined || !(seconds > 0)) throw new UsageError(`--budget must be a duration such as 5m, 90s or 1m30s, got "${text}".`);
  return seconds;
}

function parseCandidates(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const count = Number(text);
  if (!Number.isInteger(count) || count < 2)
    throw new UsageError(`--candidates must be a whole number of at least 2 (the shipped settings and one more), got "${text}".`);
  return count;
}

/** Runs `fleet tune`; returns the exit code: 0, or 130 when Ctrl-C stopped it (nothing is written then). */
export async function tuneMain(options: TuneCommandOptions, deps: TuneMainDependencies = {}): Promise<number> {
  if (!options.stack) throw new UsageError("Give --stack NAME, e.g. --stack dev.");
  const budget = options.budget ?? DEFAULT_TUNE_BUDGET;
  const budgetSeconds = parseBudget(budget);
  const maxCandidates = parseCandidates(options.candidates);
  const startedAt = Date.now();
  // The search gets what is left of the budget after setting up (the stack, the model): its grants start that late.
  let setup: number | undefined;
  const setupSeconds = () => (setup ??= (Date.now() - startedAt) / 1000);
  const stacksDir = deps.stacksDir ?? defaultStacksDir();
  const config = loadStackConfig(options.stack, { stacksDir, env: deps.env ?? process.env });
  const log = deps.log ?? ((line: string) => console.log(line));
  const say = (line: string) => log(`[${config.stack}] ${line}`);
  const placement: Placement = { kind: "local", cpus: availableParallelism() };
  const stepSeconds = stepSecondsFor(budgetSeconds);
  const rungs = fidelities(stepSeconds, config.loadTest.capacity.precision);
  const least = 2 * plannedSeconds(rungs.coarse, LOCAL_OVERHEAD_SECONDS) + 2 * plannedSeconds(rungs.final, LOCAL_OVERHEAD_SECONDS);
  if (budgetSeconds < least) {
    throw new UsageError(`A budget of ${budgetSeconds} s cannot measure two candidates and then the final two: give --budget ${Math.ceil(least)}s or more.`);
  }

  const abort = watchCtrlC("\nCtrl-C: stopping the measurement and the servers; nothing will be written.", log, deps.interrupt);
  let outcome: TuneOutcome;
  try {
    const slo = `${config.loadTest.slo.percentile}<=${config.loadTest.slo.thresholdMs}ms`;
    const modelDir = await ensureModel(config, path.dirname(stacksDir), say);
    say(
      `tuning the server settings on this machine (${placement.cpus} CPUs) for the capacity at ${slo}, budget ${budgetSeconds} s: ` +
        `a coarse grid at ${rungs.coarse.precision * 100}% precision, the best again at ${rungs.refine.precision * 100}% with their ` +
        `neighbours, then the best and the shipped settings at ${rungs.final.precision * 100}% (steps of ${stepSeconds} s)`,
    );
    const evaluate = localEvaluator(config, { modelDir, log: say, launch: deps.launch });
    outcome = await runTuneSearch(config, placement, evaluate, {
      budgetSeconds: budgetSeconds - setupSeconds(),
      finalPrecision: config.loadTest.capacity.precision,
      overheadSeconds: LOCAL_OVERHEAD_SECONDS,
      stepSeconds,
      ...(maxCandidates !== undefined ? { maxCandidates } : {}),
      signal: abort.signal,
      say,
    });
  } catch (error) {
    if (!abort.signal.aborted) throw error;
    log("Interrupted: nothing was written.");
    return 130;
  } finally {
    abort.stop();
  }
  log(`\n${renderRankedTable(outcome, config.loadTest.slo.percentile)}\n`);
  log(outcome.verdict);
  if (abort.signal.aborted) {
    log("Interrupted: nothing was written.");
    return 130;
  }
  reportOutcome(outcome, { stack: options.stack, budget, maxCandidates, stacksDir, config, placement, log });
  const planned = Math.max(0, ...outcome.grants.map((g) => g.atSeconds + g.seconds)) + setupSeconds();
  log(`Planned: ${outcome.grants.length} measurements, the last granted until ${planned.toFixed(1)} s of the ${budgetSeconds} s budget.`);
  log(`Tuning took ${((Date.now() - startedAt) / 1000).toFixed(0)} s of the ${budgetSeconds} s budget.`);
  return 0;
}

interface TuneReportContext {
  readonly stack: string;
  readonly budget: string;
  readonly maxCandidates: number | undefined;
  readonly stacksDir: string;
  readonly config: FleetConfig;
  readonly placement: Placement & { readonly cpus: number };
  readonly log: (line: string) => void;
}

/** Writes the tuned stack file when a candidate won, and says what was (or was not) written. */
function reportOutcome(outcome: TuneOutcome, context: TuneReportContext): void {
  const { stack, budget, maxCandidates, stacksDir, config, placement, log } = context;
  const written = writeTunedOutcome(stacksDir, config, outcome, {
    command: `fleet tune --stack ${stack} --budget ${budget}${maxCandidates !== undefined ? ` --candidates ${maxCandidates}` : ""}`,
    where: `this machine as the node: ${hostname()} (${placement.cpus} CPUs, ${cpus()[0]?.model.trim() ?? "unknown CPU"}), Node ${process.version}`,
    caveat: `Tuned for this machine, not for ${config.instanceType}: \`fleet matrix --tune --stacks ${stack}\` tunes on the stack's own nodes.`,
  });
  if (written) {
    log(`Changes: ${written.changes.join(", ")}`);
    log(
      `Written: ${path.relative(process.cwd(), written.file) || written.file} ` +
        `(the shipped stack with only these fields changed; stack ${tunedStackName(stack)})`,
    );
  } else {
    log(`No stack file written: Pulumi.${stack}.yaml keeps its settings.`);
    const older = tunedStackPath(stacksDir, stack);
    if (existsSync(older)) log(`${path.relative(process.cwd(), older) || older} is from an earlier run and was not measured in this one.`);
  }
}
