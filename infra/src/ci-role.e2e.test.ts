// Class check: the CI role (infra/ci-role/permissions-policy.json) can create, update and delete every resource type the
// program creates, for every stack (and with a load balancer). A type missing from resource-actions.json fails, so a
// new resource brings its IAM actions with it.
import { readFileSync } from "node:fs";
import path from "node:path";
import { PROJECT } from "@inference-fleet/fleet-config";
import { describe, expect, it } from "vitest";
import { stackFileConfig } from "./testing/pulumi-harness.js";
import { repoRoot, runProgram, stacks } from "./testing/run-program.js";

interface Statement {
  readonly Effect: "Allow" | "Deny";
  readonly Action: string | string[];
}
const policy = JSON.parse(readFileSync(path.join(repoRoot, "infra/ci-role/permissions-policy.json"), "utf8")) as { Statement: Statement[] };
const table = JSON.parse(readFileSync(path.join(repoRoot, "infra/ci-role/resource-actions.json"), "utf8")) as {
  noAwsCalls: string[];
  types: Record<string, string[]>;
};

/** IAM's action globs: `*` any run of characters, `?` one; service prefix and action are case-insensitive. */
const globToRegex = (glob: string) =>
  new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
    "i",
  );
const allowed = policy.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => [s.Action].flat().map(globToRegex));
const grants = (action: string) => allowed.some((pattern) => pattern.test(action));

async function resourceTypes(): Promise<Set<string>> {
  const types = new Set<string>();
  const c7g = stackFileConfig("c7g");
  const runs = [
    ...stacks.map((stack) => runProgram(stack)),
    ...["nlb", "alb"].map((expose) => runProgram("c7g", { [`${PROJECT}:server`]: { ...(c7g[`${PROJECT}:server`] as object), expose } })),
  ];
  for (const run of runs) for (const resource of (await run).resources) types.add(resource.type);
  return types;
}

describe("the CI role's permissions cover what the program creates", () => {
  it("knows the IAM actions of every resource type, and the policy grants each of them", async () => {
    const types = [...(await resourceTypes())].filter((type) => !table.noAwsCalls.some((prefix) => type.startsWith(prefix)));
    expect(types.length).toBeGreaterThan(15);
    expect(
      types.filter((type) => !table.types[type]),
      "add these types and their IAM actions to infra/ci-role/resource-actions.json",
    ).toEqual([]);
    const missing = types.flatMap((type) => table.types[type]!.filter((action) => !grants(action)).map((action) => `${type}: ${action}`));
    expect(missing, "grant these in infra/ci-role/permissions-policy.json").toEqual([]);
  }, 120_000);

  it("matches actions as IAM does, so the check can fail", () => {
    expect(grants("iam:UpdateAssumeRolePolicy")).toBe(true); // iam:*RolePolicy
    expect(grants("iam:CreateUser")).toBe(false);
  });
});
