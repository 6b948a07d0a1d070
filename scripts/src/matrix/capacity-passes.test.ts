import { usdPerMillionInferences } from "@inference-fleet/fleet-config";
import { capacityFromSteps } from "@inference-fleet/load-test";
import { describe, expect, it } from "vitest";
import { MAX_REFINE_PASSES, refineCapacity, refineEnv } from "./capacity-passes.js";
import { runMatrix, type StackRun } from "./run-matrix.js";
import { capacityConfig, fakeCapacityPass, fakes } from "./test-fixtures.js";

const RATES_ENV = "FLEET_LOAD_TEST_CAPACITY_RATES";
const STEP_ENV = "FLEET_LOAD_TEST_CAPACITY_STEP_SECONDS";
const KNEE = 333;

function capacityFakes(knee = KNEE, sustainedKnee = knee) {
  return fakes({
    loadConfig: (stack) => capacityConfig(stack),
    results: (stack, env) => fakeCapacityPass(stack, env, knee, sustainedKnee),
    // Each pass ends with k6 stopping the pods at the step that broke (exit 99).
    jobOutcome: { c7g: { status: "slo-breach", reason: "k6 thresholds failed (exit code 99) in k6-0, k6-1" } },
  });
}

describe("fleet matrix in capacity mode", () => {
  it("runs the staircase, refine passes (a break measured again), then a confirmation pass, and prices the confirmed capacity", async () => {
    const { deps, events, envs, lines } = capacityFakes();
    const [run] = await runMatrix(deps, { stacks: ["c7g"], waitTimeoutMs: 60_000 });
    const measured = run as Extract<StackRun, { status: "measured" }>;
    expect(measured.status).toBe("measured");
    // Staircase 200, 400 (400 breaks); then 3 rates in [200, 400] and 400 again (336 breaks first);
    // then 3 in [283, 336] and 336 again (336 breaks again: believed); then 322 held for the confirmation.
    expect(envs.slice(0, 4).map((env) => env[RATES_ENV])).toEqual([undefined, "[238,283,336,400]", "[295,308,322,336]", "[322]"]);
    expect(envs[3]![STEP_ENV]).toBe("180");
    expect(events.filter((e) => e.startsWith("up"))).toHaveLength(4);
    expect(events.at(-1)).toBe("destroy c7g");
    const capacity = measured.merged.capacity!;
    expect(capacity.steps.map((s) => [s.offeredRate, s.attempt ?? 1])).toEqual([
      [200, 1],
      [238, 1],
      [283, 1],
      [295, 1],
      [308, 1],
      [322, 1],
      [336, 1],
      [336, 2],
      [400, 1],
    ]);
    // Both pods' halves add up to each step's total.
    expect(capacity.steps[0]).toMatchObject({ requests: 6000, achievedRate: 200 });
    expect(capacity.confirmations!.map((c) => [c.offeredRate, c.durationSeconds])).toEqual([[322, 180]]);
    expect(capacity).toMatchObject({ capacityAtSlo: 322, searchCapacity: 322, endedBy: "slo" });
    expect(capacityFromSteps(capacity.steps, capacity.slo, capacity.confirmations).capacityAtSlo).toBe(322);
    expect(measured.summary).toMatchObject({ capacityAtSlo: 322, throughput: 322, sloBreachReported: false });
    expect(measured.summary.usdPerMillionInferences).toBeCloseTo(usdPerMillionInferences("c7g.4xlarge", 322, 1), 10);
    expect(lines.join("\n")).toMatch(
      /capacity pass 2 \(refine\): 238, 283, 336, 400 req\/s[\s\S]*within 5%[\s\S]*confirming 322 req\/s[\s\S]*capacity 322 req\/s at the SLO/,
    );
  });

  it("steps the confirmation down to the grid rate below when the sustained hold breaks, and prices the rate that held", async () => {
    const { deps, envs } = capacityFakes(KNEE, 315);
    const [run] = await runMatrix(deps, { stacks: ["c7g"], waitTimeoutMs: 60_000 });
    const capacity = (run as Extract<StackRun, { status: "measured" }>).merged.capacity!;
    expect(envs.slice(3, 5).map((env) => env[RATES_ENV])).toEqual(["[322]", "[309]"]);
    expect(capacity.confirmations!.map((c) => c.offeredRate)).toEqual([322, 309]);
    expect(capacity).toMatchObject({ capacityAtSlo: 309, searchCapacity: 322 });
  });

  it("keeps the last pass's Job when --keep scales the stack to idle, so no staircase runs again", async () => {
    const { deps, envs } = capacityFakes();
    await runMatrix(deps, { stacks: ["c7g"], waitTimeoutMs: 60_000, keep: true });
    expect(envs.at(-1)).toEqual({ [RATES_ENV]: "[322]", [STEP_ENV]: "180", FLEET_CLUSTER_IDLE: "true" });
  });

  it("fails the stack at the pass whose pods left too few results, and still destroys it", async () => {
    const { deps, events } = fakes({
      loadConfig: (stack) => capacityConfig(stack),
      results: (stack, env) => (env[RATES_ENV] ? fakeCapacityPass(stack, env, KNEE).slice(0, 1) : fakeCapacityPass(stack, env, KNEE)),
    });
    const [run] = await runMatrix(deps, { stacks: ["c7g"], waitTimeoutMs: 60_000 });
    expect(run).toMatchObject({ status: "failed", step: "collect", reason: expect.stringMatching(/run-2\/ for 2 k6 pods/) });
    expect(events.at(-1)).toBe("destroy c7g");
  });
});

describe("refineCapacity", () => {
  const first = fakeCapacityPass("c7g", {}, KNEE);
  const run = (maxPasses?: number) => {
    const asked: number[][] = [];
    const said: string[] = [];
    const runPass = async (env: Record<string, string>) => {
      asked.push(JSON.parse(env[RATES_ENV]!) as number[]);
      return fakeCapacityPass("c7g", env, KNEE);
    };
    return refineCapacity(capacityConfig("c7g"), first, runPass, (line) => said.push(line), maxPasses).then((passes) => ({ passes, asked, said }));
  };

  it("runs refine passes until the planner is done, then the confirmation, and says why", async () => {
    const { passes, asked, said } = await run();
    expect(asked).toEqual([[238, 283, 336, 400], [295, 308, 322, 336], [322]]);
    expect(passes.lastEnv).toMatchObject(refineEnv([322]));
    expect(passes.results).toHaveLength(8);
    expect(said.join("\n")).toMatch(
      /done after 3 pass\(es\), 9 steps: 322 req\/s holds and 336 req\/s breaks: within 5%[\s\S]*322 req\/s held the SLO for 180 s/,
    );
    expect(MAX_REFINE_PASSES).toBeGreaterThanOrEqual(2);
  });

  it("stops after the refine passes allowed, says the budget ended the search, and still confirms what it found", async () => {
    const { passes, asked, said } = await run(1);
    // 283 holds its hold; 336, which broke in the search, is 19% above it: one hold between them (309, the grid rate nearest 308) refines the figure.
    expect(asked).toEqual([[238, 283, 336, 400], [283], [309]]);
    expect(said.join("\n")).toMatch(/stopped after 2 passes \(at most 1 refine passes\); next would have been 295, 308, 322, 336 req\/s/);
    expect(said.join("\n")).toMatch(/309 req\/s held the SLO for 180 s; 336 req\/s broke/);
    expect(passes.results.every((r) => r.capacity?.endedBy === "budget")).toBe(true);
  });
});
