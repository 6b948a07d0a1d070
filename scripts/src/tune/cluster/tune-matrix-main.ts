// `fleet matrix --tune` wiring: the same checks as `fleet matrix` before anything is created (matrix-setup.ts),
// then runTuneMatrix with the production Pulumi workspace, kubectl Job watcher and S3 collector.
import path from "node:path";
import { parseDurationSeconds } from "@inference-fleet/fleet-config";
import { UsageError } from "../../command.js";
import { watchCtrlC } from "../../shared/ctrl-c.js";
import { productionDependencies, setUpMatrix, type MatrixMainDependencies, type MatrixSetupOptions } from "../../matrix/matrix-setup.js";
import { runTuneMatrix } from "./tune-matrix.js";

export interface TuneMatrixCommandOptions extends MatrixSetupOptions {
  /** Per stack, the search's budget once the stack is up, e.g. "60m". */
  readonly tuneBudget: string;
  readonly keep?: boolean;
}

export const DEFAULT_CLUSTER_TUNE_BUDGET = "60m";

/** Runs `fleet matrix --tune`; returns the exit code (0 only when every stack was tuned and cleaned up). */
export async function tuneMatrixMain(options: TuneMatrixCommandOptions, deps: MatrixMainDependencies = {}): Promise<number> {
  const budgetSeconds = parseDurationSeconds(options.tuneBudget);
  if (!budgetSeconds) throw new UsageError(`--tune-budget must be a duration such as 45m or 2h, got "${options.tuneBudget}".`);
  const setup = await setUpMatrix(options, deps);
  if (!setup) return 1;
  const ctrlC = watchCtrlC("\nStopping: no new candidate starts; stacks already created are being destroyed (unless --keep).", console.error);
  try {
    const { stacks, parallel, stacksDir } = setup;
    const runs = await runTuneMatrix(await productionDependencies(setup), {
      stacks,
      budgetSeconds,
      parallel,
      keep: options.keep,
      stacksDir,
      signal: ctrlC.signal,
    });
    for (const run of runs) {
      const figure =
        run.status === "tuned" ? `${run.outcome.verdict}${run.file ? ` Written: ${path.relative(process.cwd(), run.file)}` : ""}` : `failed: ${run.reason}`;
      console.log(`[${run.stack}] ${figure}${run.destroyError ? ` ${run.destroyError}` : ""}`);
    }
    return runs.every((run) => run.status === "tuned" && !run.destroyError) ? 0 : 1;
  } finally {
    ctrlC.stop();
  }
}
