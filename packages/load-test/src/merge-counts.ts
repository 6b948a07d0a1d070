// The one fold behind every exact merge (results of several generators, steps of one offered rate,
// their per-target and per-model parts): requests and errors add up, histograms add up bucket by
// bucket. Pure, like the histogram.
import { LatencyHistogram, type HistogramData } from "./histogram.js";
import type { ResultPart } from "./results.js";

/** What any mergeable part holds: a result file, or one step of a capacity search. */
export interface CountedPart {
  readonly requests: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly histogram: HistogramData;
}

export interface MergedCounts {
  requests: number;
  errors: Record<string, number>;
  histogram: HistogramData;
}

/** Sums the parts' requests, errors by kind and histograms: exact, in any order. */
export function mergeCounts(parts: readonly CountedPart[]): MergedCounts {
  const errors: Record<string, number> = {};
  const histogram = new LatencyHistogram();
  let requests = 0;
  for (const part of parts) {
    requests += part.requests;
    for (const [kind, n] of Object.entries(part.errors)) errors[kind] = (errors[kind] ?? 0) + n;
    histogram.merge(part.histogram);
  }
  return { requests, errors, histogram: histogram.toJSON() };
}

/** Per-target or per-model counts of several parts, merged by name exactly like the totals; absent unless every part has them. */
export function mergeParts(lists: readonly (readonly ResultPart[] | undefined)[]): ResultPart[] | undefined {
  if (lists.some((list) => list === undefined)) return undefined;
  const byName = new Map<string, ResultPart[]>();
  for (const part of lists.flatMap((list) => list!)) byName.set(part.name, [...(byName.get(part.name) ?? []), part]);
  return [...byName].map(([name, parts]) => ({ name, ...mergeCounts(parts) }));
}
