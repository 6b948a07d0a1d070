import { listStacks, loadStackConfig, parseFleetConfig } from "@inference-fleet/fleet-config";
import { describe, expect, it } from "vitest";
import { k6ConfigFromEnv } from "./config.js";
import { k6EnvFromConfig, k6RunSeconds, staircaseOptionsOf, staircaseRatesOf } from "./env.js";

const inputs = {
  targets: ["http://server0:8080", "http://server1:8080"],
  models: ["model0", "model1"],
  resultsPath: "/results/result.json",
  labels: { stack: "x", servers: "2" },
  generators: 1,
};

describe("k6EnvFromConfig -> k6ConfigFromEnv", () => {
  it.each(listStacks())("the %s stack's environment is accepted by the k6 script", (stack) => {
    const config = loadStackConfig(stack, { env: {} });
    const run = k6ConfigFromEnv(k6EnvFromConfig(config, { ...inputs, generators: config.loadTest.pods }));
    // A capacity staircase is open loop: its results say mode rate, with the steps under `capacity`.
    const capacity = config.loadTest.mode === "capacity";
    expect(run.mode).toBe(capacity ? "rate" : config.loadTest.mode);
    expect(run.slo).toEqual({
      percentile: Number(config.loadTest.slo.percentile.slice(1)),
      latencyMs: config.loadTest.slo.thresholdMs,
      maxErrorRate: config.loadTest.slo.maxErrorRate,
    });
    expect(run.targets).toEqual(inputs.targets);
    expect(run.resultsPath).toBe(inputs.resultsPath);
    expect(run.labels).toMatchObject(inputs.labels);
    expect(run.warmupSeconds).toBe(capacity ? config.loadTest.capacity.warmupSeconds : config.loadTest.warmup);
  });

  it("runs capacity mode as the search's first staircase: doubling from startRate for as many steps as the budget holds, each in windows", () => {
    const capacity = { startRate: 40, budget: "1m", stepSeconds: "9s", warmupSeconds: "1s", windows: 3, stability: 0.15 };
    const config = parseFleetConfig({ loadTest: { mode: "capacity", capacity } });
    const env = k6EnvFromConfig(config, { ...inputs, generators: 2 });
    expect(env).toMatchObject({
      MODE: "capacity",
      CAPACITY_RATES: "40,80,160,320,640,1280",
      CAPACITY_WARMUP: "1s",
      CAPACITY_WINDOW: "9s",
      CAPACITY_WINDOWS: "3",
      CAPACITY_STABILITY: "0.15",
      GENERATORS: "2",
    });
    expect(env.DURATION).toBeUndefined();
    const run = k6ConfigFromEnv(env);
    // Each rate: its warm-up and first 3 s window, then two more windows of 3 s, back to back.
    const rates = [40, 80, 160, 320, 640, 1280];
    expect(run.staircase!.steps.map((s) => [s.offeredRate, s.window, s.startSeconds, s.warmupSeconds, s.windowSeconds])).toEqual(
      rates.flatMap((rate, i) => [
        [rate, 0, 10 * i, 1, 3],
        [rate, 1, 10 * i + 4, 0, 3],
        [rate, 2, 10 * i + 7, 0, 3],
      ]),
    );
    expect(run.staircase).toMatchObject({ windows: 3, stability: 0.15, totalSeconds: 60 });
    // 1280 req/s in total: each of the 2 pods offers 640.
    expect(run.options.scenarios!.step_15).toMatchObject({ rate: 640, startTime: "50s", duration: "4s" });
    expect(run.options.scenarios!.step_16).toMatchObject({ rate: 640, startTime: "54s", duration: "3s" });
    expect(k6RunSeconds(config)).toBe(60);
  });

  it("offers loadTest.capacity.rates as given: the matrix's refine pass", () => {
    const config = parseFleetConfig({ loadTest: { mode: "capacity", capacity: { rates: [700, 740, 790], windows: 1 } } });
    expect(k6ConfigFromEnv(k6EnvFromConfig(config, inputs)).staircase!.steps.map((s) => s.offeredRate)).toEqual([700, 740, 790]);
    expect(k6RunSeconds(config)).toBe(30);
    expect(staircaseRatesOf(config)).toEqual([700, 740, 790]);
  });

  it("refuses a budget that holds no step, before anything is deployed", () => {
    const config = parseFleetConfig({ loadTest: { mode: "capacity", capacity: { budget: "5s" } } });
    expect(() => k6EnvFromConfig(config, inputs)).toThrow(/budget \(5 s\) leaves no room for one step of 10 s/);
  });

  it("gives the planner the stack's SLO, start rate, precision and budget", () => {
    const config = parseFleetConfig({ loadTest: { slo: "p99<=50ms", capacity: { startRate: 20, precision: 0.1, budget: "3m" } } });
    expect(staircaseOptionsOf(config)).toEqual({
      slo: { percentile: 99, latencyMs: 50, maxErrorRate: config.loadTest.slo.maxErrorRate },
      startRate: 20,
      precision: 0.1,
      budgetSeconds: 180,
      stepSeconds: 10,
      remeasureBreaks: true,
    });
  });

  it.each([
    [undefined, "GET", "pair"],
    ["pair", "POST", "pair"],
    ["single", "POST", "single"],
  ] as const)("sends loadTest.texts %s as TEXTS (a %s request body)", (texts, method, sent) => {
    const env = k6EnvFromConfig(parseFleetConfig({ loadTest: texts === undefined ? {} : { texts } }), inputs);
    expect(env["TEXTS"]).toBe(texts);
    expect(k6ConfigFromEnv(env)).toMatchObject({ method, texts: sent });
  });

  it("passes the warm-up as WARMUP, part of DURATION", () => {
    const env = k6EnvFromConfig(parseFleetConfig({ loadTest: { duration: "1m", warmup: "10s" } }), inputs);
    expect(env).toMatchObject({ DURATION: "60s", WARMUP: "10s" });
    expect(k6ConfigFromEnv(env).warmupSeconds).toBe(10);
  });

  it.each([
    [1, 100, 8],
    [4, 25, 2],
  ])("splits rate and VUs over %i generators", (generators, rate, vus) => {
    const config = parseFleetConfig({ loadTest: { mode: "rate", rate: 100, concurrency: 2, pods: 4 } });
    const env = k6EnvFromConfig(config, { ...inputs, generators });
    expect(Number(env.RATE)).toBe(rate);
    expect(Number(env.VUS)).toBe(vus);
  });

  it("routes by shard in repository mode and to any server otherwise", () => {
    const many = parseFleetConfig({ model: { repository: { count: 40, maxResidentMb: 200 } }, loadTest: { modelChoice: { distribution: "zipf", s: 1.1 } } });
    const run = k6ConfigFromEnv(k6EnvFromConfig(many, inputs));
    expect(run).toMatchObject({ routing: "shard", distribution: "zipf", zipfS: 1.1 });
    expect(k6ConfigFromEnv(k6EnvFromConfig(parseFleetConfig({}), inputs)).routing).toBe("any");
    expect(() => k6ConfigFromEnv({ ...k6EnvFromConfig(many, inputs), MODEL_ROUTING: "hash" })).toThrow(/MODEL_ROUTING="hash" must be any .* or shard/);
  });

  it("passes the SLO, timeout and request cap in the script's terms", () => {
    const config = parseFleetConfig({ loadTest: { slo: "p99<=50ms", requestTimeout: "3s", maxRequests: 500, duration: "2m" } });
    const run = k6ConfigFromEnv(k6EnvFromConfig(config, inputs));
    expect(run.slo.percentile).toBe(99);
    expect(run.timeout).toBe("3s");
    // The default warm-up (a quarter of the run, at most 15 s) runs first, so the 500 requests are all measured.
    expect(run.options.scenarios).toMatchObject({
      warmup: { duration: "15s" },
      bmk: { executor: "shared-iterations", iterations: 500, startTime: "15s", maxDuration: "105s" },
    });
  });
});
