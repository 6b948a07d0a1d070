// Which candidates a request makes from the shipped templates, and why the others are left out.
import { defaultStacksDir } from "@inference-fleet/fleet-config";
import { describe, expect, it } from "vitest";
import { buildCandidates } from "./candidates.js";
import { parseRecommendRequest } from "./request.js";

function candidatesFor(extra: Record<string, string>) {
  return buildCandidates({
    request: parseRecommendRequest({ model: "hf://org/name", slo: "p90<=50ms", rate: "5000", ...extra }),
    stacksDir: defaultStacksDir(),
    env: {},
    modelName: "name",
    modelSource: (precision) => (precision === "fp32" ? "hf://org/name@main" : ".cache/recommend/models/int8"),
    commandLine: "fleet recommend (test)",
  });
}

describe("buildCandidates", () => {
  it("makes one capacity-mode stack per family and precision from its template, with the search's model, SLO and rate", () => {
    const { candidates, refused } = candidatesFor({ types: "c7g,g5", precision: "fp32,int8" });
    expect(candidates.map((c) => [c.name, c.config.instanceType, c.config.model.precision])).toEqual([
      ["rec-c7g-fp32", "c7g.4xlarge", "fp32"],
      ["rec-c7g-int8", "c7g.4xlarge", "int8"],
      ["rec-g5-fp32", "g5.xlarge", "fp32"],
    ]);
    expect(refused).toEqual([
      { label: "g5.xlarge int8", reason: expect.stringMatching(/^int8 models here are quantized for CPU execution, and g5\.xlarge serves on its A10G/) },
    ]);
    const c7g = candidates[0]!.config;
    expect(c7g.loadTest).toMatchObject({ mode: "capacity", slo: { percentile: "p90", thresholdMs: 50 }, sizing: { forRate: 5000 } });
    expect(c7g.model).toMatchObject({ name: "name", source: "hf://org/name@main" });
    expect(c7g.server).toMatchObject({ numServers: 5, resources: { cpu: "3" } });
    expect(candidates[1]!.config.model.source).toBe(".cache/recommend/models/int8");
  });

  it("fits another size of a CPU family by scaling the servers per node with its vCPUs, and refuses one too small with the plan's numbers", () => {
    const { candidates, refused } = candidatesFor({ types: "c7g.2xlarge,c7g.large" });
    expect(candidates.map((c) => [c.name, c.config.server.numServers])).toEqual([["rec-c7g-2xlarge-fp32", 2]]);
    expect(refused.map((r) => r.label)).toEqual(["c7g.large fp32"]);
    expect(refused[0]!.reason).toMatch(/^does not fit its nodes as stacks\/Pulumi\.c7g\.yaml sets it up: /);
  });

  it("splits --budget over the candidates", () => {
    const { candidates } = candidatesFor({ types: "c7i,c7g", budget: "40m" });
    expect(candidates.map((c) => c.config.loadTest.capacity.budget)).toEqual([1200, 1200]);
  });
});
