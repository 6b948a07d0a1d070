import { stepAtCapacity, withFiguresOfStep } from "./capacity/at-capacity.js";
import { capacityFromSteps, capacityRecord } from "./capacity/curve.js";
import { mergeSteps } from "./capacity/merge-steps.js";
import { LatencyHistogram } from "./histogram.js";
import { mergeCounts, mergeParts } from "./merge-counts.js";
import type { CapacityRecord } from "./results-schema.js";
import { buildResult, type LoadTestResult, type SeriesPoint, type ServerTimes } from "./results.js";
import { mergeServers } from "./servers.js";
import { slowestOf } from "./slowest.js";
import { commonServedModel } from "./served-model.js";

function union(lists: string[][]): string[] {
  return [...new Set(lists.flat())];
}

/** Labels every result agrees on; a label that differs (e.g. pod) is dropped. */
function commonLabels(results: LoadTestResult[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(results[0]!.labels)) {
    if (results.every((r) => r.labels[key] === value)) labels[key] = value;
  }
  return labels;
}

function mergeSeries(results: LoadTestResult[]): SeriesPoint[] {
  const bySecond = new Map<number, { requests: number; errors: number; latency?: LatencyHistogram }>();
  for (const point of results.flatMap((r) => r.series)) {
    const merged = bySecond.get(point.second) ?? { requests: 0, errors: 0 };
    merged.requests += point.requests;
    merged.errors += point.errors;
    if (point.latency) merged.latency = (merged.latency ?? new LatencyHistogram()).merge(point.latency);
    bySecond.set(point.second, merged);
  }
  return [...bySecond].map(([second, p]) => ({ second, requests: p.requests, errors: p.errors, ...(p.latency ? { latency: p.latency.toJSON() } : {}) }));
}

/** Generators that loaded the same servers each read the same server counters: per target, the widest reading stands. */
function mergeServerTimes(results: readonly LoadTestResult[]): ServerTimes[] | undefined {
  const byTarget = new Map<string, ServerTimes>();
  for (const times of results.flatMap((r) => r.serverTimes ?? [])) {
    const seen = byTarget.get(times.target);
    if (!seen || times.requests > seen.requests) byTarget.set(times.target, times);
  }
  return byTarget.size > 0 ? [...byTarget.values()] : undefined;
}

/** The capacity searches of generators that ran side by side: steps of one offered rate merge exactly, and the capacity is computed again. */
function mergeCapacity(results: LoadTestResult[]): CapacityRecord | undefined {
  const records = results.flatMap((r) => (r.capacity ? [r.capacity] : []));
  if (records.length === 0) return undefined;
  if (records.length < results.length) {
    throw new Error("Some of these results hold a capacity search and some do not: merge the generators of one run, and compare runs with `fleet report`.");
  }
  const slo = records[0]!.slo;
  const key = (s: CapacityRecord["slo"]) => `${s.percentile}/${s.latencyMs}/${s.maxErrorRate}`;
  if (records.some((r) => key(r.slo) !== key(slo))) {
    throw new Error("These capacity searches were judged against different SLOs: merge the generators of one run only.");
  }
  const steps = mergeSteps(records.flatMap((r) => r.steps));
  const confirmations = mergeSteps(
    records.flatMap((r) => r.confirmations ?? []),
    "as-given",
  );
  const verdict = capacityFromSteps(steps, slo, confirmations);
  const endedBy = records.find((r) => r.endedBy)?.endedBy;
  return capacityRecord(verdict, { slo, steps, confirmations, ...(endedBy ? { endedBy } : {}) });
}

/**
 * Merges results of generators that ran at the same time against one fleet (k6 pods, local
 * workers) into one result: counts add up, histograms add up bucket by bucket, and the
 * percentiles are read from the merged histogram. Exact: merging the parts of a run gives the
 * same result as recording the whole run in one place. A capacity search's merged result leads with
 * the figures of its merged step at the capacity (see stepAtCapacity).
 */
export function mergeResults(results: readonly LoadTestResult[]): LoadTestResult {
  if (results.length === 0) throw new Error("Nothing to merge: pass at least one results file.");
  const list = [...results];
  const modes = new Set(list.map((r) => r.mode));
  if (modes.size > 1) {
    throw new Error(
      `Cannot merge results of different modes (${[...modes].join(", ")}): merge the pods of one test run, and compare runs with \`fleet report\` instead.`,
    );
  }
  const generators = new Set(list.map((r) => r.generator));
  const { requests, errors, histogram } = mergeCounts(list);
  const capacity = mergeCapacity(list);
  const merged = buildResult({
    generator: generators.size === 1 ? list[0]!.generator : "mixed",
    mode: list[0]!.mode,
    targets: union(list.map((r) => r.targets)),
    models: union(list.map((r) => r.models)),
    labels: commonLabels(list),
    startMs: Math.min(...list.map((r) => Date.parse(r.startTime))),
    endMs: Math.max(...list.map((r) => Date.parse(r.endTime))),
    requests,
    errors,
    histogram,
    series: mergeSeries(list),
    sources: list.reduce((sum, r) => sum + r.sources, 0),
    // Pods of one run share the warm-up; the longest is the one to report if they did not.
    warmupSeconds: Math.max(...list.map((r) => r.warmupSeconds ?? 0)),
    servers: mergeServers(list.map((r) => r.servers ?? [])),
    byTarget: mergeParts(list.map((r) => r.byTarget)),
    byModel: mergeParts(list.map((r) => r.byModel)),
    serverTimes: mergeServerTimes(list),
    interrupted: list.some((r) => r.interrupted),
    // Each generator kept its own slowest: the slowest of them all are among those.
    slowest: slowestOf(list.flatMap((r) => r.slowest ?? [])),
  });
  const model = commonServedModel(list);
  if (model) merged.model = model;
  // One autoscaling loop drives a local run; generators merged from elsewhere have none to combine.
  const autoscaled = list.filter((r) => r.autoscale);
  if (autoscaled.length === 1) merged.autoscale = autoscaled[0]!.autoscale;
  if (!capacity) return merged;
  // The generators' own top-level figures may name different steps; the merged steps decide.
  const at = stepAtCapacity([...(capacity.confirmations ?? []), ...capacity.steps], capacity.capacityAtSlo);
  return { ...(at ? withFiguresOfStep(merged, at, Date.parse(merged.startTime)) : merged), capacity };
}
