// `fleet matrix` over the shipped AWS stacks in capacity mode (fake workspace, synthetic knees): each stack's
// capacity is searched, confirmed by a sustained hold, and the comparison ranks the stacks by USD per
// million inferences at their confirmed capacity.
import { loadStackConfig, usdPerMillionInferences } from "@inference-fleet/fleet-config";
import { confirmedHold, sloOfConfig } from "@inference-fleet/load-test";
import { describe, expect, it } from "vitest";
import { buildMatrixReport } from "./matrix-report.js";
import { runMatrix, type StackRun } from "./run-matrix.js";
import { fakeCapacityPass, fakes } from "./test-fixtures.js";

/** Where each synthetic fleet's p90 leaves 100 ms (req/s for the whole fleet). */
const KNEES: Record<string, number> = { c7i: 500, c7g: 333, g5: 1500 };
const STACKS = ["c7i", "c7g", "g5"];

describe("fleet matrix ranks the shipped stacks by confirmed capacity", () => {
  it("searches and confirms each stack's capacity from its own stack file, and prices each there, cheapest first", async () => {
    for (const stack of [...STACKS, "inf2", "many"]) expect(loadStackConfig(stack, { env: {} }).loadTest.mode).toBe("capacity");
    const { deps } = fakes({
      loadConfig: (stack) => loadStackConfig(stack, { env: {} }),
      // g5's servers say they ran on the GPU, as its stack asks.
      results: (stack, env) =>
        fakeCapacityPass(stack, env, KNEES[stack]!).map((r) =>
          stack === "g5" ? { ...r, servers: [{ target: "http://server-0:8080", executionProvider: "cuda" }] } : r,
        ),
      jobOutcome: Object.fromEntries(STACKS.map((stack) => [stack, { status: "slo-breach" as const, reason: "k6 thresholds failed (exit code 99)" }])),
    });
    const runs = await runMatrix(deps, { stacks: STACKS, waitTimeoutMs: 60_000 });
    expect(runs.map((run) => (run.status === "failed" ? `${run.stack}: ${run.reason}` : run.status))).toEqual(["measured", "measured", "measured"]);
    const measured = runs.map((run) => run as Extract<StackRun, { status: "measured" }>);
    for (const run of measured) {
      const capacity = run.merged.capacity!;
      expect(run.status).toBe("measured");
      expect(confirmedHold(capacity.confirmations!, capacity.slo)?.offeredRate).toBe(capacity.capacityAtSlo);
      // Never above the knee, and within the search's 5% of it.
      expect(capacity.capacityAtSlo).toBeLessThanOrEqual(KNEES[run.stack]!);
      expect(capacity.capacityAtSlo).toBeGreaterThanOrEqual(KNEES[run.stack]! / 1.05);
      expect(run.summary).toMatchObject({ confirmed: true, throughput: capacity.capacityAtSlo });
      expect(run.summary.usdPerMillionInferences).toBeCloseTo(usdPerMillionInferences(run.summary.instanceType, capacity.capacityAtSlo, 1), 10);
    }
    const report = buildMatrixReport(runs, sloOfConfig(loadStackConfig("c7g", { env: {} })));
    const rows = report.markdown.split("\n").filter((line) => /^\| (c7|g5)/.test(line));
    // g5.xlarge $1.006/h at ~1,500 req/s, c7i.4xlarge $0.714/h at ~500, c7g.4xlarge $0.58/h at ~333.
    expect(rows.map((row) => row.split(" | ")[1])).toEqual(["g5", "c7i", "c7g"]);
    expect(rows[0]).toMatch(/\| g5\.xlarge \| g5 \| 1 \| 14\d\d\.0 \(confirmed capacity at SLO\) \|/);
    expect(report.markdown).toMatch(/Ranked by USD per million inferences at each stack's capacity[\s\S]*Cheapest meeting the SLO: g5\.xlarge/);
  });
});
