// Where the time goes, from k6: the bundled script on the stand-in runtime, pods across two servers
// and two models (two-servers.test-helper.ts). Each server's and model's histogram comes back from
// handleSummary, equal to what that server or model saw, and their merge equals the totals exactly, in
// each pod and after merging the pods. (The report's side: @inference-fleet/reports' k6-breakdown.test.ts.)
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { bundleK6Script } from "../bundle.js";
import { LatencyHistogram } from "../histogram.js";
import { mergeCounts } from "../merge-counts.js";
import { mergeResults } from "../merge.js";
import type { LoadTestResult, ResultPart } from "../results-schema.js";
import { PartSeen, runTwoServerPod, TWO_MODELS, TWO_SERVERS } from "./two-servers.test-helper.js";

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

let bundle: string;
beforeAll(async () => {
  bundle = await bundleK6Script();
});
beforeEach(() => vi.useFakeTimers({ toFake: ["Date"] }));
afterEach(() => vi.useRealTimers());

function runPod(pod: number, requests: number, seen: Map<string, PartSeen>): Promise<LoadTestResult> {
  return runTwoServerPod(bundle, { pod, requests, seen, startMs: T0, setTime: (ms) => vi.setSystemTime(ms) });
}

/** A part's counts as k6 can keep them: buckets, count and sum are exact (min and max are their buckets' values). */
function countsOf(part: { requests: number; errors: Record<string, number>; histogram: { buckets: object; count: number; sumUs: number } }) {
  const { buckets, count, sumUs } = part.histogram;
  return { requests: part.requests, errors: part.errors, histogram: { buckets, count, sumUs } };
}

function expectPartsAsSeen(parts: readonly ResultPart[], seen: Map<string, PartSeen>): void {
  for (const part of parts) {
    const observed = seen.get(part.name)!;
    expect(countsOf(part), part.name).toEqual(countsOf({ ...observed, histogram: observed.histogram.toJSON() }));
  }
}

function expectPartsMergeToTotals(result: LoadTestResult, parts: readonly ResultPart[]): void {
  expect(mergeCounts(parts)).toEqual({ requests: result.requests, errors: result.errors, histogram: result.histogram });
}

describe("k6 per server and per model, end to end on the stand-in runtime", () => {
  it("writes each server's and model's counts and histogram, whose merge is the totals exactly", async () => {
    const seen = new Map<string, PartSeen>();
    const result = await runPod(0, 400, seen);
    expect(result.byTarget!.map((p) => p.name)).toEqual(TWO_SERVERS);
    expect(result.byModel!.map((p) => p.name)).toEqual(TWO_MODELS);
    expectPartsMergeToTotals(result, result.byTarget!);
    expectPartsMergeToTotals(result, result.byModel!);
    expectPartsAsSeen([...result.byTarget!, ...result.byModel!], seen);
    // The parts tell the servers apart: s1 is the slow one, and the only one with errors.
    const [s0, s1] = result.byTarget!;
    expect(LatencyHistogram.from(s1!.histogram).percentile(90)).toBeGreaterThan(3 * LatencyHistogram.from(s0!.histogram).percentile(90));
    expect(s0!.errors).toEqual({});
    expect(s1!.errors).toEqual({ http_503: 100 });
  });

  it("merges two pods' parts exactly, by name, like the totals", async () => {
    const seen = new Map<string, PartSeen>();
    const merged = mergeResults([await runPod(0, 400, seen), await runPod(1, 300, seen)]);
    expect(merged.requests).toBe(700);
    expectPartsMergeToTotals(merged, merged.byTarget!);
    expectPartsMergeToTotals(merged, merged.byModel!);
    expectPartsAsSeen([...merged.byTarget!, ...merged.byModel!], seen);
  });
});
