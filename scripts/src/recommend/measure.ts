// Measuring one candidate's capacity per node at its SLO: on this machine (`fleet local --capacity`'s search, the
// fleet on loopback standing for one node) or on AWS (`fleet matrix` for the candidate's stack: up, the k6
// capacity passes, destroy). Either gives the results file that `fleet plan --for-rate` sizes from.
import type { LoadTestResult } from "@inference-fleet/load-test";
import { priceLabelsFrom } from "../commands/price-options.js";
import { capacitySettings } from "../local/capacity-run.js";
import { withReportLabels } from "../local/local-main.js";
import { runLocalStack, type LocalRunOptions } from "../local/run-local.js";
import { runMatrix, type MatrixDependencies } from "../matrix/run-matrix.js";
import type { Candidate } from "./candidates.js";

type Measurement = { readonly result: LoadTestResult } | { readonly failure: string };

export type MeasureCandidate = (candidate: Candidate, signal?: AbortSignal) => Promise<Measurement>;

/** The report names each curve after its candidate. */
function named(result: LoadTestResult, candidate: Candidate): LoadTestResult {
  return { ...result, labels: { ...result.labels, stack: candidate.name, name: candidate.label } };
}

/** On this machine: the candidate's servers on loopback, its capacity searched and confirmed, priced as its instance type. */
export function measureLocally(options: Pick<LocalRunOptions, "repoRoot" | "log" | "launch">): MeasureCandidate {
  return async (candidate, signal) => {
    const { config } = candidate;
    const run = await runLocalStack(config, { ...options, generator: "local", capacity: capacitySettings(config), ...(signal ? { signal } : {}) });
    if (run.failure) return { failure: run.failure };
    if (run.interrupted) return { failure: "interrupted before the search finished; nothing of it is kept." };
    const labelled = withReportLabels(run, config, priceLabelsFrom({ as: config.instanceType }));
    return { result: named(labelled.result, candidate) };
  };
}

/** On AWS: `fleet matrix` for the candidate's stack alone (its stack file is written before), destroyed afterwards. */
export function measureOnAws(matrix: Omit<MatrixDependencies, "loadConfig">, waitTimeoutMs: number): MeasureCandidate {
  return async (candidate, signal) => {
    const deps = { ...matrix, loadConfig: () => candidate.config };
    const [run] = await runMatrix(deps, { stacks: [candidate.name], waitTimeoutMs, ...(signal ? { signal } : {}) });
    if (run!.status === "failed") return { failure: `${run!.step} failed: ${run!.reason}${run!.destroyError ? ` ${run!.destroyError}` : ""}` };
    if (run!.status !== "measured") return { failure: "the stack was only previewed." };
    if (run!.destroyError) matrix.log(`[${candidate.name}] ${run!.destroyError}`);
    return { result: named(run!.merged, candidate) };
  };
}
