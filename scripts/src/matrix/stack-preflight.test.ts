import { existsSync } from "node:fs";
import path from "node:path";
import { loadStackConfig, parseFleetConfig, planStack } from "@inference-fleet/fleet-config";
import { describe, expect, it } from "vitest";
import { concurrentQuotaNeeds, matrixPlanProblems } from "./stack-preflight.js";

const shipped = ["c7i", "c7g", "g5"].map((stack) => loadStackConfig(stack, { env: {} }));
const withNat = (stack: string, natGateways: "single" | "onePerAz") => {
  const config = loadStackConfig(stack, { env: {} });
  return { ...config, cluster: { ...config.cluster, natGateways } };
};

describe("matrixPlanProblems", () => {
  it("passes the shipped stacks at --parallel 2 within AWS's default quotas", () => {
    expect(matrixPlanProblems(shipped.map(planStack), 2)).toEqual([]);
  });

  it("refuses two stacks at once with a NAT gateway per AZ: 6 Elastic IPs against the default 5", () => {
    const problems = matrixPlanProblems([withNat("c7i", "onePerAz"), withNat("c7g", "onePerAz")].map(planStack), 2);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.what).toMatch(/EC2-VPC Elastic IPs: 2 stack\(s\) at once need 6, over AWS's default quota .* of 5/);
    expect(problems[0]!.fix).toMatch(/--quota-code L-0263D0A3 --desired-value 6/);
    expect(matrixPlanProblems([withNat("c7i", "onePerAz"), withNat("c7g", "onePerAz")].map(planStack), 1)).toEqual([]);
  });

  it("checks the account's own values when read, e.g. a G and VT vCPU quota of 0", () => {
    const problems = matrixPlanProblems(
      shipped.map(planStack),
      2,
      new Map([
        ["L-DB2E81BA", 0],
        ["L-1216C47A", 640],
      ]),
    );
    expect(problems.map((p) => p.what)).toEqual([
      expect.stringMatching(/Running On-Demand G and VT instances \(vCPUs\): 2 stack\(s\) at once need 4, over the account's quota of 0/),
    ]);
  });

  it("names a stack that does not fit, with fleet plan's numbers", () => {
    const tooMany = parseFleetConfig({ stack: "big", instanceType: "c7i.xlarge", server: { numServers: 3, resources: { cpu: "2" } } });
    const [problem] = matrixPlanProblems([planStack(tooMany)], 1);
    expect(problem!.what).toMatch(/^Stack big would not run: server\.numServers does not fit: server1 needs 2 CPU/);
    expect(problem!.fix).toContain("fleet plan --stack big");
  });
});

describe("concurrentQuotaNeeds", () => {
  it("adds up the largest needs of as many stacks as run at once", () => {
    const standard = (parallel: number) => concurrentQuotaNeeds(shipped.map(planStack), parallel).find((need) => need.quotaCode === "L-1216C47A")!.need;
    // c7i: 16 + 2 x 8 = 32; c7g: 32; g5's system nodes: 16 standard vCPUs (its g5.xlarge counts as G and VT).
    expect([standard(1), standard(2), standard(3)]).toEqual([32, 64, 80]);
  });
});

describe("the policy pack the matrix deploys with", () => {
  it("is the infra/policy pack (a PulumiPolicy.yaml there)", async () => {
    const { policyPackPath } = await import("./pulumi-workspace.js");
    const repoRoot = path.resolve(import.meta.dirname, "../../..");
    expect(existsSync(path.join(policyPackPath(repoRoot), "PulumiPolicy.yaml"))).toBe(true);
  });
});
