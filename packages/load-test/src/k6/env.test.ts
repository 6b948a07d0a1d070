import { listStacks, loadStackConfig, parseFleetConfig } from "@inference-fleet/fleet-config";
import { describe, expect, it } from "vitest";
import { k6ConfigFromEnv } from "./config.js";
import { k6EnvFromConfig } from "./env.js";

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
    expect(run.mode).toBe(config.loadTest.mode);
    expect(run.slo).toEqual({
      percentile: Number(config.loadTest.slo.percentile.slice(1)),
      latencyMs: config.loadTest.slo.thresholdMs,
      maxErrorRate: config.loadTest.slo.maxErrorRate,
    });
    expect(run.targets).toEqual(inputs.targets);
    expect(run.resultsPath).toBe(inputs.resultsPath);
    expect(run.labels).toMatchObject(inputs.labels);
    expect(run.warmupSeconds).toBe(config.loadTest.warmup);
  });

  it("refuses capacity mode, which k6 does not run yet, before anything is deployed", () => {
    expect(() => k6EnvFromConfig(parseFleetConfig({ loadTest: { mode: "capacity" } }), inputs)).toThrow(/runs locally only for now/);
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
    // The default 5 s warm-up runs first, so the 500 requests are all measured.
    expect(run.options.scenarios).toMatchObject({
      warmup: { duration: "5s" },
      bmk: { executor: "shared-iterations", iterations: 500, startTime: "5s", maxDuration: "115s" },
    });
  });
});
