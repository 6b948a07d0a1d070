// The search on synthetic capacities and a fake clock: which points it measures, what it picks, and
// that it keeps to its budget.
import { loadStackConfig } from "@inference-fleet/fleet-config";
import { describe, expect, it } from "vitest";
import { shippedCandidate, type Placement, type TuneCandidate } from "./candidate.js";
import { bestMeasurement, judgeFinal, plannedSeconds, runTuneSearch, type Evaluator, type Rung } from "./search.js";
import { renderRankedTable } from "./tune-table.js";

const dev = loadStackConfig("dev", { env: {} });
const twoCores: Placement = { kind: "local", cpus: 2 };

/** A synthetic node: batching helps up to 8, one server with two ONNX Runtime threads helps, queue delay hurts. */
function syntheticCapacity(c: TuneCandidate): number {
  const batch = { 1: 700, 2: 850, 4: 1000, 8: 1150, 16: 1100, 32: 1000 }[c.maxBatch] ?? 900;
  const layout = c.serversPerNode === 1 && c.threads === 2 ? 1.3 : 1;
  return batch * layout - 20 * c.maxQueueDelayMs;
}

/** An evaluator over a fake clock: each measurement costs what it was planned to, never more than its budget. */
function fakeEvaluator(capacityOf: (c: TuneCandidate, rung: Rung) => number) {
  const clock = { ms: 0 };
  const calls: Array<{ candidate: TuneCandidate; rung: Rung; budgetSeconds: number }> = [];
  const evaluate: Evaluator = async (candidate, fidelity, { budgetSeconds }) => {
    calls.push({ candidate, rung: fidelity.rung, budgetSeconds });
    const seconds = Math.min(budgetSeconds, plannedSeconds(fidelity, 3));
    clock.ms += seconds * 1000;
    return { capacity: capacityOf(candidate, fidelity.rung), percentileMs: 20, steps: fidelity.plannedSteps, seconds };
  };
  return { clock, calls, evaluate, now: () => clock.ms };
}

const base = { finalPrecision: 0.05, overheadSeconds: 3, stepSeconds: 3, say: () => {} };

describe("runTuneSearch", () => {
  it("finds the best combination on synthetic capacities, re-measures it against the shipped settings and declares it the winner", async () => {
    const fake = fakeEvaluator(syntheticCapacity);
    const outcome = await runTuneSearch(dev, twoCores, fake.evaluate, { ...base, budgetSeconds: 600, now: fake.now });

    expect(outcome.winner?.candidate).toMatchObject({ serversPerNode: 1, threads: 2, maxBatch: 8, maxQueueDelayMs: 0 });
    expect(bestMeasurement(outcome.winner!).capacity).toBeCloseTo(1150 * 1.3);
    // Rungs in order: coarse points, then refine, then exactly the two finalists, the shipped settings last.
    const rungs = fake.calls.map((c) => c.rung);
    expect(rungs.indexOf("refine")).toBeGreaterThan(rungs.lastIndexOf("coarse"));
    expect(rungs.filter((r) => r === "final")).toEqual(["final", "final"]);
    expect(fake.calls.at(-1)!.candidate).toEqual(shippedCandidate(dev));
    expect(fake.calls[0]!.candidate).toEqual(shippedCandidate(dev));
    expect(outcome.verdict).toMatch(/beats the shipped settings measured again in this run: 1495 vs 1000 req\/s per node \(\+50%\)/);
    expect(outcome.ranked[0]).toBe(outcome.winner);
  });

  it.each([90, 180, 300, 600])("keeps to a %i s budget and always ends with the two final measurements", async (budgetSeconds) => {
    const fake = fakeEvaluator(syntheticCapacity);
    const outcome = await runTuneSearch(dev, twoCores, fake.evaluate, { ...base, stepSeconds: budgetSeconds >= 240 ? 3 : 2, budgetSeconds, now: fake.now });
    expect(fake.clock.ms / 1000).toBeLessThanOrEqual(budgetSeconds);
    // Every measurement's grant, on the search's own clock, ends within the budget.
    expect(outcome.grants.length).toBe(fake.calls.length);
    for (const grant of outcome.grants) expect(grant.atSeconds + grant.seconds).toBeLessThanOrEqual(budgetSeconds);
    expect(fake.calls.filter((c) => c.rung === "final")).toHaveLength(2);
    expect(outcome.shipped).toBeDefined();
    // A longer budget measures more points.
    if (budgetSeconds === 600) expect(fake.calls.length).toBeGreaterThan(10);
  });

  it("says the shipped settings were best when no candidate beats them in the final rung", async () => {
    const fake = fakeEvaluator((c) =>
      c.maxBatch === 4 && c.numModels === 2 && c.serversPerNode === 2 && c.maxQueueDelayMs === 0 && c.threads === undefined ? 1000 : 800,
    );
    const outcome = await runTuneSearch(dev, twoCores, fake.evaluate, { ...base, budgetSeconds: 300, now: fake.now });
    expect(outcome.winner).toBeUndefined();
    expect(outcome.verdict).toMatch(/^The shipped settings were best: .*\(-20%\), no gain\.$/);
    expect(outcome.ranked[0]!.shipped).toBe(true);
  });

  it("does not call a gain within the noise margin a win, even when the coarse rung looked better", async () => {
    // Coarse figures flatter maxBatch 8 by 30%; measured finely it is 3% better.
    const fake = fakeEvaluator((c, rung) => (c.maxBatch === 8 ? (rung === "coarse" ? 1300 : 1030) : 1000));
    const outcome = await runTuneSearch(dev, twoCores, fake.evaluate, { ...base, budgetSeconds: 300, now: fake.now });
    expect(outcome.challenger?.candidate.maxBatch).toBe(8);
    expect(outcome.winner).toBeUndefined();
    expect(outcome.verdict).toMatch(/1030 vs 1000 req\/s per node \(\+3%\), a gain within the 5% noise margin/);
    expect(renderRankedTable(outcome, "p90")).toMatch(/^1 .*1,030 .*final \(3x\) .*maxBatch 8/m);
  });

  it("with --candidates measures only that many coarse points, then the final two", async () => {
    const fake = fakeEvaluator(syntheticCapacity);
    await runTuneSearch(dev, twoCores, fake.evaluate, { ...base, budgetSeconds: 600, maxCandidates: 2, now: fake.now });
    expect(fake.calls.map((c) => c.rung)).toEqual(["coarse", "coarse", "final", "final"]);
  });

  it("claims nothing when the budget leaves no room for the final rung", async () => {
    const fake = fakeEvaluator(syntheticCapacity);
    const outcome = await runTuneSearch(dev, twoCores, fake.evaluate, { ...base, budgetSeconds: 40, now: fake.now });
    expect(outcome.winner).toBeUndefined();
    expect(fake.calls.filter((c) => c.rung === "final")).toHaveLength(0);
    expect(outcome.verdict).toMatch(/budget ran out/);
  });
});

describe("judgeFinal", () => {
  it.each([
    [1000, 1060, true],
    [1000, 1040, false],
    [1000, 900, false],
    [0, 10, true],
    [0, 0, false],
  ])("shipped %i vs challenger %i: wins %s", (shipped, challenger, wins) => {
    expect(judgeFinal(shipped, challenger).wins).toBe(wins);
  });
});
