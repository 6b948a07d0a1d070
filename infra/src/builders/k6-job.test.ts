import { parseFleetConfig } from "@inference-fleet/fleet-config";
import { k6ConfigFromEnv } from "@inference-fleet/load-test";
import { describe, expect, it } from "vitest";
import { buildK6Job } from "./k6-job.js";

const inputs = {
  jobName: "k6-abc",
  namespace: "fleet-load-test",
  configMapName: "k6-abc-script",
  serviceAccountName: "k6",
  targets: ["http://a:8080", "http://b:8080"],
  models: ["model0"],
  resultsUri: "s3://bucket/results/dev/k6-abc/",
};

describe("buildK6Job in capacity mode", () => {
  const config = parseFleetConfig({
    loadTest: { mode: "capacity", pods: 2, capacity: { startRate: 100, budget: "1m", stepSeconds: "8s", warmupSeconds: "2s" } },
  });
  const job = buildK6Job(config, inputs);
  const pod = job.spec.template as { spec: { initContainers: { env: { name: string; value?: string }[] }[] } };
  const k6 = pod.spec.initContainers[0]!;
  const env = Object.fromEntries(k6.env.filter((v) => v.value !== undefined).map((v) => [v.name, v.value!]));

  it("runs the staircase the k6 script reads, each pod offering half of each step", () => {
    expect(env).toMatchObject({ MODE: "capacity", CAPACITY_RATES: "100,200,400,800,1600,3200", GENERATORS: "2" });
    const run = k6ConfigFromEnv({ ...env, POD_INDEX: "1" });
    // Each rate is 3 windows (the stack's loadTest.capacity.windows): rate 200 starts with scenario step_03.
    expect(run.options.scenarios!.step_03).toMatchObject({ rate: 100, startTime: "10s", duration: "4.667s" });
    expect(run.options.scenarios!.step_04).toMatchObject({ rate: 100, startTime: "14.667s", duration: "2.667s" });
  });

  it("gives the Job the staircase's length plus start-up and upload time, not loadTest.duration", () => {
    expect(job.spec.activeDeadlineSeconds).toBe(60 + 600);
  });
});
