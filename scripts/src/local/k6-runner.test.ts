// k6 is not installed here: check that the environment fleet local gives k6 is read by the script's own config parser as intended.
import { loadStackConfig } from "@inference-fleet/fleet-config";
import { k6ConfigFromEnv } from "@inference-fleet/load-test";
import { describe, expect, it } from "vitest";
import { k6Environment } from "./k6-runner.js";

describe("k6Environment", () => {
  it("gives the k6 script the stack's load test, SLO, targets and result path", () => {
    const config = loadStackConfig("c7g", { env: {} });
    const k6 = k6ConfigFromEnv(k6Environment(config, ["http://127.0.0.1:4000", "http://127.0.0.1:4001"], ["model0", "model1"], { stack: "c7g", where: "local" }, "/tmp/r.json"));
    expect(k6).toMatchObject({
      targets: ["http://127.0.0.1:4000", "http://127.0.0.1:4001"],
      models: ["model0", "model1"],
      mode: "bmk",
      timeout: "10s",
      resultsPath: "/tmp/r.json",
      slo: { percentile: 90, latencyMs: 100, maxErrorRate: 0.01 },
      labels: { stack: "c7g", where: "local", generator: "k6" },
    });
    // One local generator does the work of all the stack's load pods.
    expect(k6.options.scenarios?.bmk).toMatchObject({ executor: "constant-vus", vus: config.loadTest.concurrency * config.loadTest.pods, duration: "120s" });
  });
});
