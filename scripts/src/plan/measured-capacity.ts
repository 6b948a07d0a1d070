// Where `fleet plan --for-rate` finds a stack's measured capacity: the newest results file under results/
// that holds a capacity search of the stack, as `fleet matrix` (results/matrix-<time>/<stack>.json) and
// `fleet local` (results/<stack>-<time>/results.json, results/compare-.../results-<stack>.json) write them.
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import type { FleetConfig } from "@inference-fleet/fleet-config";
import { capacityFromSteps, readResultFiles, type LoadTestResult } from "@inference-fleet/load-test";
import type { MeasuredCapacity } from "./size-fleet.js";

/** A path as a person would type it here: relative inside the working directory, absolute outside it. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative === "" || relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
}

/** The files in `dir` (one level of run folders below it) that may hold results of `stack`, by the names the writers give them. */
function candidateFiles(dir: string, stack: string): string[] {
  if (!existsSync(dir)) return [];
  if (statSync(dir).isFile()) return [dir];
  const names = new Set([`${stack}.json`, `results-${stack}.json`, "results.json"]);
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isFile() && names.has(entry.name)) files.push(full);
    if (entry.isDirectory()) {
      for (const inner of readdirSync(full, { withFileTypes: true })) if (inner.isFile() && names.has(inner.name)) files.push(path.join(full, inner.name));
    }
  }
  return files;
}

/** The capacity a results file holds for the sizing: confirmed (or the search's) capacity at the SLO, over the nodes that served it. */
function measuredCapacityOf(result: LoadTestResult, file: string): MeasuredCapacity | undefined {
  const record = result.capacity;
  if (!record) return undefined;
  const verdict = capacityFromSteps(record.steps, record.slo, record.confirmations);
  const nodes = Number(result.labels.servers ?? 1);
  return {
    capacityAtSlo: verdict.capacityAtSlo,
    nodes: Number.isInteger(nodes) && nodes > 0 ? nodes : 1,
    confirmed: (record.confirmations?.length ?? 0) > 0 && verdict.capacityAtSlo > 0,
    ...(verdict.windows ? { windows: verdict.windows } : {}),
    file,
    measuredAt: result.endTime,
    local: result.labels.where === "local",
  };
}

/**
 * The newest capacity measurement of `config`'s stack under `resultsPath` (a folder searched as the writers
 * lay it out, or one results file), or undefined when there is none. Files that are not results, or of another
 * stack, are passed over.
 */
export async function findMeasuredCapacity(resultsPath: string, config: FleetConfig): Promise<MeasuredCapacity | undefined> {
  const found: MeasuredCapacity[] = [];
  for (const file of candidateFiles(resultsPath, config.stack)) {
    let result: LoadTestResult;
    try {
      [result] = (await readResultFiles([file])) as [LoadTestResult];
    } catch {
      continue;
    }
    if ((result.labels.stack ?? config.stack) !== config.stack) continue;
    const measured = measuredCapacityOf(result, displayPath(file));
    if (measured) found.push(measured);
  }
  return found.sort((a, b) => Date.parse(b.measuredAt) - Date.parse(a.measuredAt))[0];
}

/** What to say when a stack has no measurement: which command produces one. */
export function noMeasurementMessage(config: FleetConfig, resultsPath: string): string {
  return (
    `No measured capacity for stack ${config.stack} under ${resultsPath}: no results file there holds a capacity search of it. ` +
    `Run \`npx fleet matrix --stacks ${config.stack}\` to measure it on ${config.instanceType} nodes in AWS ` +
    `(or \`npx fleet local --stack ${config.stack} --capacity --as ${config.instanceType}\` to let this machine stand for one node), ` +
    "then run `fleet plan` again."
  );
}
