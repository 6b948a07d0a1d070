// `fleet matrix` wiring: preflight, production dependencies, Ctrl-C handling, report. The logic lives in run-matrix.ts.
import path from "node:path";
import { parseDurationSeconds } from "@inference-fleet/fleet-config";
import { sloOfConfig } from "@inference-fleet/load-test";
import { UsageError } from "../command.js";
import { watchCtrlC } from "../shared/ctrl-c.js";
import { buildMatrixReport, renderPreviewSummary, writeMatrixReport } from "./matrix-report.js";
import { productionDependencies, setUpMatrix, type MatrixMainDependencies, type MatrixSetupOptions } from "./matrix-setup.js";
import { runMatrix } from "./run-matrix.js";

export type { MatrixMainDependencies } from "./matrix-setup.js";

export interface MatrixCommandOptions extends MatrixSetupOptions {
  readonly keep?: boolean;
  readonly out?: string;
  readonly waitTimeout: string;
}

/** Runs `fleet matrix`; returns the exit code (0 only when every stack was measured or previewed and cleaned up). */
export async function matrixMain(options: MatrixCommandOptions, deps: MatrixMainDependencies = {}): Promise<number> {
  const waitTimeoutSeconds = parseDurationSeconds(options.waitTimeout);
  if (!waitTimeoutSeconds) throw new UsageError(`--wait-timeout must be a duration such as 30m or 1h, got "${options.waitTimeout}".`);
  const setup = await setUpMatrix(options, deps);
  if (!setup) return 1;
  const { stacks, parallel, configs, repoRoot } = setup;

  const ctrlC = watchCtrlC("\nStopping: no new work starts; stacks already created are being destroyed (Ctrl-C again does not skip that).", console.error);
  try {
    const runs = await runMatrix(await productionDependencies(setup), {
      stacks,
      keep: options.keep,
      previewOnly: options.previewOnly,
      parallel,
      waitTimeoutMs: waitTimeoutSeconds * 1000,
      signal: ctrlC.signal,
    });
    if (options.previewOnly) {
      console.log(renderPreviewSummary(runs));
      return runs.every((run) => run.status === "previewed") ? 0 : 1;
    }
    const report = buildMatrixReport(runs, sloOfConfig(configs.get(stacks[0]!)!));
    const outDir = path.resolve(options.out ?? path.join(repoRoot, "results", `matrix-${new Date().toISOString().replace(/[:.]/g, "-")}`));
    writeMatrixReport(outDir, runs, report);
    console.log(`\n${report.markdown}\nReport written to ${outDir}`);
    return report.failures.length === 0 ? 0 : 1;
  } finally {
    ctrlC.stop();
  }
}
