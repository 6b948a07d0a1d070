import { describe, expect, it } from "vitest";
import { capacityFromSteps } from "./curve.js";
import { planStaircase, type StaircaseOptions } from "./staircase.js";
import type { CapacityStep } from "./step.js";
import { judgeStep } from "./windows.js";
import { latencies, queueingFleet, SLO, step } from "./synthetic.test-helper.js";

const OPTIONS: StaircaseOptions = { slo: SLO, startRate: 50, budgetSeconds: 150, stepSeconds: 10 };
const fast = latencies(100, 1, 5, 5);
const slow = latencies(100, 0.5, 5, 150);

/**
 * Runs passes as k6 pods do: each pass's rates in order, stopping after the first step that breaks
 * (the pods' thresholds abort there); `maxSteps` per pass as the matrix asks.
 */
function searchInPasses(fleet: (rate: number) => CapacityStep, options: Partial<StaircaseOptions> = {}) {
  const steps: CapacityStep[] = [];
  const passes: number[][] = [];
  for (;;) {
    const plan = planStaircase(steps, { ...OPTIONS, ...options });
    if (plan.kind === "done") return { steps, passes, reason: plan.reason, ...capacityFromSteps(steps, SLO) };
    passes.push(plan.rates);
    for (const rate of plan.rates) {
      const measured = fleet(rate);
      steps.push(measured);
      if (!judgeStep(measured, SLO).holds) break;
    }
  }
}

describe("planStaircase", () => {
  it("plans the first pass as the planner's doubling from the start rate, as many steps as the budget holds", () => {
    expect(planStaircase([], { ...OPTIONS, budgetSeconds: 60 })).toEqual({ kind: "steps", rates: [50, 100, 200, 400, 800, 1600], phase: "grow" });
    expect(planStaircase([], { ...OPTIONS, budgetSeconds: 60, maxSteps: 3 })).toMatchObject({ rates: [50, 100, 200] });
    expect(planStaircase([], { ...OPTIONS, maxRate: 300 })).toMatchObject({ rates: [50, 100, 200, 300] });
  });

  it("grows on from the highest rate while every step held", () => {
    const steps = [step(50, fast), step(100, fast)];
    expect(planStaircase(steps, { ...OPTIONS, maxSteps: 3 })).toEqual({ kind: "steps", rates: [200, 400, 800], phase: "grow" });
  });

  it("fills the bracket with a geometric grid fine enough for the precision, or as fine as the budget allows", () => {
    const steps = [step(100, fast), step(200, slow)];
    const full = planStaircase(steps, { ...OPTIONS, budgetSeconds: 1000 });
    // 200/100 in steps of at most 5%: 15 intervals, so 14 rates strictly between.
    expect(full).toMatchObject({ kind: "steps", phase: "refine" });
    const rates = (full as { rates: number[] }).rates;
    expect(rates).toHaveLength(14);
    const ratios = [100, ...rates, 200].slice(1).map((r, i) => r / [100, ...rates][i]!);
    expect(Math.max(...ratios)).toBeLessThanOrEqual(1.05 + 0.005);
    // Four rates: five equal ratios of 2^(1/5).
    expect(planStaircase(steps, { ...OPTIONS, maxSteps: 4 })).toMatchObject({ rates: [115, 132, 152, 174] });
  });

  it("ends the grid at what a clearly saturated fleet achieved, and probes that rate", () => {
    const steps = [step(400, fast), step(1600, latencies(100, 0, 5, 2000), { achievedRate: 700 })];
    expect(planStaircase(steps, { ...OPTIONS, maxSteps: 3 })).toMatchObject({ rates: [482, 581, 700] });
  });

  it("steps down below a start rate that broke, climbing", () => {
    expect(planStaircase([step(100, slow)], { ...OPTIONS, maxSteps: 3 })).toEqual({ kind: "steps", rates: [12.5, 25, 50], phase: "shrink" });
    expect(planStaircase([step(1, slow)], OPTIONS)).toEqual({ kind: "done", reason: "even 1 req/s breaks the SLO", endedBy: "slo" });
  });

  it("is done within the precision, and when the budget holds no further step", () => {
    expect(planStaircase([step(100, fast), step(104, slow)], OPTIONS)).toMatchObject({ kind: "done", reason: expect.stringMatching(/within 5%/) });
    const spent = [step(100, fast), step(200, slow)];
    expect(planStaircase(spent, { ...OPTIONS, budgetSeconds: 25 })).toMatchObject({ kind: "done", reason: expect.stringMatching(/time budget/) });
    expect(planStaircase(spent, { ...OPTIONS, elapsedSeconds: 145 })).toMatchObject({ kind: "done" });
    expect(() => planStaircase([], { ...OPTIONS, startRate: 0 })).toThrow(/start rate must be a positive number/);
  });

  it.each([37, 180, 333, 1234, 5000])("finds a sharp knee at %d req/s within 5 percent in passes of at most 4 steps, inside the budget", (knee) => {
    const found = searchInPasses((rate) => step(rate, rate <= knee ? fast : slow), { maxSteps: 4 });
    expect(found.capacityAtSlo).toBeLessThanOrEqual(knee);
    expect((knee - found.capacityAtSlo) / found.capacityAtSlo).toBeLessThanOrEqual(0.05);
    expect(found.reason).toMatch(/within 5%|no rate left/);
    expect(found.steps.length * 10).toBeLessThanOrEqual(150);
    expect(found.passes.length).toBeLessThanOrEqual(6);
  });

  it("finds the knee of a queueing curve as the step-by-step search does, in three passes", () => {
    const found = searchInPasses(queueingFleet(800), { maxSteps: 4 });
    const knee = 0.95 * 800;
    expect(found.capacityAtSlo).toBeLessThanOrEqual(knee);
    expect(found.capacityAtSlo).toBeGreaterThanOrEqual(knee / 1.05);
    expect(found.passes[0]).toEqual([50, 100, 200, 400]);
    expect(found.passes.length).toBeLessThanOrEqual(4);
  });
});
