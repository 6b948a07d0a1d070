// The one fold behind every exact merge (results of several generators, steps of one offered rate):
// requests and errors add up, histograms add up bucket by bucket. Pure, like the histogram.
import { LatencyHistogram, type HistogramData } from "./histogram.js";

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
