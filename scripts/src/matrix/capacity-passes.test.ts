import { usdPerMillionInferences } from "@inference-fleet/fleet-config";
import { capacityFromSteps } from "@inference-fleet/load-test";
import { describe, expect, it } from "vitest";
import { MAX_REFINE_PASSES, refineCapacity, refineEnv } from "./capacity-passes.js";
import { runMatrix, type StackRun } from "./run-matrix.js";
import { capacityConfig, fakeCapacityPass, fakes } from "./test-fixtures.js";

const RATES_ENV = "FLEET_LOAD_TEST_CAPACITY_RATES";
const KNEE = 333;

function capacityFakes(knee = KNEE) {
  return fakes({
    loadConfig: (stack) => capacityConfig(stack),
    results: (stack, env) => fakeCapacityPass(stack, env, knee),
    // Each pass ends with k6 stopping the pods at the step that broke (exit 99).
    jobOutcome: { c7g: { status: "slo-breach", reason: "k6 thresholds failed (exit code 99) in k6-0, k6-1" } },
  });
}

describe("fleet matrix in capacity mode", () => {
  it("runs the staircase, then refine passes of the Job with the planned rates, and prices the capacity from the merged steps", async () => {
    const { deps, events, envs, lines } = capacityFakes();
    const [run] = await runMatrix(deps, { stacks: ["c7g"], waitTimeoutMs: 60_000 });
    const measured = run as Extract<StackRun, { status: "measured" }>;
    expect(measured.status).toBe("measured");
    // Staircase 50..400 (400 breaks), then 4 rates in [200, 400] (348 breaks), then 2 in [303, 348].
    // The ups' overrides (the last selection is destroy's).
    expect(envs.slice(0, 3).map((env) => env[RATES_ENV])).toEqual([undefined, "[230,264,303,348]", "[317,332]"]);
    expect(events).toEqual(["up c7g", "wait c7g", "collect c7g", "up c7g", "wait c7g", "collect c7g", "up c7g", "wait c7g", "collect c7g", "destroy c7g"]);
    const steps = measured.merged.capacity!.steps;
    expect(steps.map((s) => s.offeredRate)).toEqual([50, 100, 200, 230, 264, 303, 317, 332, 348, 400]);
    // Both pods' halves add up to each step's total.
    expect(steps[0]).toMatchObject({ requests: 400, achievedRate: 50 });
    const capacity = capacityFromSteps(steps, measured.merged.capacity!.slo).capacityAtSlo;
    expect(capacity).toBe(332);
    expect(measured.merged.capacity!.capacityAtSlo).toBe(capacity);
    expect(measured.summary).toMatchObject({ capacityAtSlo: 332, throughput: 332, sloBreachReported: false });
    expect(measured.summary.usdPerMillionInferences).toBeCloseTo(usdPerMillionInferences("c7g.4xlarge", 332, 1), 10);
    // The summary's latencies are the step at the capacity's.
    expect(measured.summary.latencyMs.p90).toBeCloseTo(21, 0);
    expect(lines.join("\n")).toMatch(/capacity pass 2 \(refine\): 230, 264, 303, 348 req\/s[\s\S]*within 5%[\s\S]*capacity 332 req\/s at the SLO/);
  });

  it("keeps the last pass's Job when --keep scales the stack to idle, so no staircase runs again", async () => {
    const { deps, envs } = capacityFakes();
    await runMatrix(deps, { stacks: ["c7g"], waitTimeoutMs: 60_000, keep: true });
    expect(envs.at(-1)).toEqual({ [RATES_ENV]: "[317,332]", FLEET_CLUSTER_IDLE: "true" });
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

  it("runs refine passes until the planner is done, and says why", async () => {
    const { passes, asked, said } = await run();
    expect(asked).toEqual([
      [230, 264, 303, 348],
      [317, 332],
    ]);
    expect(passes).toMatchObject({ passes: 3, lastEnv: refineEnv([317, 332]) });
    expect(passes.results).toHaveLength(6);
    expect(said.at(-1)).toMatch(/done after 3 pass\(es\), 10 steps: 332 req\/s holds and 348 req\/s breaks: within 5%/);
    expect(MAX_REFINE_PASSES).toBeGreaterThanOrEqual(2);
  });

  it("stops after the refine passes allowed, naming the rates it did not run", async () => {
    const { passes, asked, said } = await run(1);
    expect(asked).toHaveLength(1);
    expect(passes.passes).toBe(2);
    expect(said.at(-1)).toMatch(/stopped after 2 passes \(at most 1 refine passes\); next would have been 317, 332 req\/s/);
  });
});
