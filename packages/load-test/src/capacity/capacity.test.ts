import { describe, expect, it } from "vitest";
import { capacityFromSteps } from "./curve.js";
import { mergeSteps } from "./merge-steps.js";
import { nextRate, type PlannerOptions } from "./planner.js";
import { isClearBreach, type CapacityStep } from "./step.js";
import { judgeStep } from "./windows.js";
import { latencies, queueingFleet, SLO, STEP_SECONDS, step } from "./synthetic.test-helper.js";

/** Runs the planner against a synthetic fleet until it says done. */
function search(fleet: (rate: number) => CapacityStep, options: Partial<PlannerOptions> = {}) {
  const steps: CapacityStep[] = [];
  const planner: PlannerOptions = { slo: SLO, startRate: 10, budgetSeconds: 1000, stepSeconds: STEP_SECONDS, ...options };
  for (;;) {
    const decision = nextRate(steps, planner);
    if (decision.kind === "done") return { steps, reason: decision.reason, ...capacityFromSteps(steps, SLO) };
    steps.push(fleet(decision.rate));
  }
}

describe("judgeStep", () => {
  it("reads the SLO percentile from the histogram: 90% at 10 ms holds p90 <= 100 ms, 85% does not", () => {
    const holds = judgeStep(step(100, latencies(1000, 0.9, 10, 200)), SLO);
    expect(holds.holds).toBe(true);
    expect(holds.percentileMs).toBeCloseTo(10, -0.3); // within the buckets' 1%
    const breaks = judgeStep(step(100, latencies(1000, 0.85, 10, 200)), SLO);
    expect(breaks.holds).toBe(false);
    expect(breaks.percentileMs).toBeGreaterThan(190);
    expect(breaks.reasons.join()).toMatch(/p90 \d+\.\d ms > 100 ms/);
    expect(breaks.clearBreach).toBe(false);
    expect(judgeStep(step(100, latencies(1000, 0.85, 10, 400)), SLO).clearBreach).toBe(true);
  });

  it("breaks on errors over the budget", () => {
    const verdict = judgeStep(step(100, latencies(1000, 1, 10, 10), { failures: 20 }), SLO);
    expect(verdict).toMatchObject({ holds: false, errorRate: 0.02 });
    expect(verdict.reasons).toEqual(["2.00% errors > 1.00%"]);
    expect(judgeStep(step(100, latencies(1000, 1, 10, 10), { failures: 10 }), SLO).holds).toBe(true);
  });

  it("breaks when achieved is under 95% of offered, clearly under 80%", () => {
    const fast = latencies(100, 1, 5, 5);
    expect(judgeStep(step(100, fast, { achievedRate: 96 }), SLO).holds).toBe(true);
    expect(judgeStep(step(100, fast, { achievedRate: 94 }), SLO)).toMatchObject({ holds: false, clearBreach: false });
    expect(judgeStep(step(100, fast, { achievedRate: 79 }), SLO)).toMatchObject({ holds: false, clearBreach: true });
  });

  it("breaks on a step that served nothing or was cut short", () => {
    expect(judgeStep(step(100, []), SLO).holds).toBe(false);
    expect(judgeStep(step(100, latencies(100, 1, 5, 5), { stoppedEarly: true }), SLO)).toMatchObject({ holds: false, clearBreach: true });
  });

  it("calls a breach clear on latency over 3x the threshold, achieved under 80% or half the requests failing", () => {
    const figures = { offeredRate: 100, achievedRate: 100, percentileMs: 50, errorRate: 0 };
    expect(isClearBreach(figures, SLO)).toBe(false);
    expect(isClearBreach({ ...figures, percentileMs: 301 }, SLO)).toBe(true);
    expect(isClearBreach({ ...figures, achievedRate: 79 }, SLO)).toBe(true);
    expect(isClearBreach({ ...figures, errorRate: 0.5 }, SLO)).toBe(true);
  });
});

describe("nextRate and capacityFromSteps", () => {
  it.each([37, 180, 333, 1234, 5000])("land within 5%% of a sharp knee at %d req/s", (knee) => {
    const fleet = (rate: number) => (rate <= knee ? step(rate, latencies(100, 1, 5, 5)) : step(rate, latencies(100, 0.5, 5, 150)));
    const found = search(fleet);
    expect(found.capacityAtSlo).toBeLessThanOrEqual(knee);
    expect((knee - found.capacityAtSlo) / found.capacityAtSlo).toBeLessThanOrEqual(0.05);
    expect(found.reason).toMatch(/within 5%|no rate left/);
    expect(found.steps.length).toBeLessThan(20);
  });

  it("finds the knee of a queueing curve: p90 = 5 ms / (1 - load) reaches 100 ms at 95% of the service rate", () => {
    const found = search(queueingFleet(800));
    const knee = 0.95 * 800;
    expect(found.capacityAtSlo).toBeLessThanOrEqual(knee);
    expect(found.capacityAtSlo).toBeGreaterThanOrEqual(knee / 1.05);
    expect(found.atCapacity!.latencyMs.p90).toBeLessThanOrEqual(100);
    // The curve holds every step, by offered rate, with what was achieved and the percentiles.
    expect(found.curve.map((p) => p.offeredRate)).toEqual([...found.steps.map((s) => s.offeredRate)].sort((a, b) => a - b));
    const top = found.curve.at(-1)!;
    expect(top).toMatchObject({ holds: false, achievedRate: 800 });
    expect(top.p99).toBeGreaterThan(1900);
  });

  it("grows geometrically from the start rate, then bisects", () => {
    const found = search(queueingFleet(800));
    expect(found.steps.slice(0, 8).map((s) => s.offeredRate)).toEqual([10, 20, 40, 80, 160, 320, 640, 1280]);
    expect(found.steps[8]!.offeredRate).toBeLessThan(1280);
  });

  it("stops before a step would run past the time budget", () => {
    const found = search(queueingFleet(800), { budgetSeconds: 45 });
    expect(found.steps).toHaveLength(4);
    expect(found.reason).toMatch(/time budget/);
    expect(found.capacityAtSlo).toBe(80);
    // Time the caller measured (start-up included) counts instead of the steps' nominal windows.
    expect(nextRate([], { slo: SLO, startRate: 10, budgetSeconds: 45, stepSeconds: 10, elapsedSeconds: 40 })).toMatchObject({ kind: "done" });
  });

  it("after a clear breach, probes at the rate the fleet achieved rather than the midpoint", () => {
    const steps = [step(400, latencies(100, 1, 5, 5)), step(1600, latencies(100, 0, 5, 2000), { achievedRate: 700 })];
    expect(nextRate(steps, { slo: SLO, startRate: 400, budgetSeconds: 1000, stepSeconds: 10 })).toEqual({ kind: "step", rate: 700, phase: "bisect" });
    // A mild breach bisects.
    const mild = [steps[0]!, step(1600, latencies(100, 0.5, 5, 150))];
    expect(nextRate(mild, { slo: SLO, startRate: 400, budgetSeconds: 1000, stepSeconds: 10 })).toEqual({ kind: "step", rate: 1000, phase: "bisect" });
  });

  it("shrinks below the start rate when it breaks, and gives 0 when nothing holds", () => {
    const found = search(queueingFleet(30), { startRate: 100 });
    expect(found.steps.slice(0, 3).map((s) => s.offeredRate)).toEqual([100, 50, 25]);
    expect(found.capacityAtSlo).toBeGreaterThanOrEqual(28.5 / 1.05);
    const none = search((rate) => step(rate, latencies(10, 1, 500, 500)), { startRate: 8 });
    expect(none.capacityAtSlo).toBe(0);
    expect(none.atCapacity).toBeUndefined();
    expect(none.reason).toMatch(/even 1 req\/s breaks/);
  });

  it("stops a search whose errors are over the budget where the errors start", () => {
    const fleet = (rate: number) => step(rate, latencies(1000, 1, 5, 5), { failures: rate > 500 ? 50 : 0 });
    const found = search(fleet);
    expect(found.capacityAtSlo).toBeLessThanOrEqual(500);
    expect(found.capacityAtSlo).toBeGreaterThanOrEqual(500 / 1.05);
    expect(found.curve.find((p) => !p.holds)!.reasons[0]).toMatch(/5\.00% errors/);
  });

  it("takes a step that held above one that broke for noise", () => {
    const good = latencies(100, 1, 5, 5);
    const bad = latencies(100, 0, 5, 500);
    expect(capacityFromSteps([step(100, good), step(200, bad), step(300, good)], SLO).capacityAtSlo).toBe(100);
  });
});

describe("mergeSteps", () => {
  it("adds up the generators' steps of one offered rate exactly", () => {
    const a = step(200, latencies(300, 0.9, 5, 80), { achievedRate: 100, failures: 2 });
    const b = step(200, latencies(500, 0.8, 6, 120), { achievedRate: 99 });
    const whole = step(200, [...latencies(300, 0.9, 5, 80), ...latencies(500, 0.8, 6, 120)]);
    const [merged, other] = mergeSteps([a, step(400, latencies(10, 1, 5, 5)), b]);
    expect(merged).toMatchObject({ offeredRate: 200, achievedRate: 199, requests: 800, errors: { http_503: 2 } });
    expect(merged!.histogram).toEqual(whole.histogram);
    expect(merged!.latencyMs).toEqual(whole.latencyMs);
    expect(other!.offeredRate).toBe(400);
  });
});
