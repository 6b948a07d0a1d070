// The CI workflows call the fleet CLI: check they name commands and options that exist, and keep the safety properties.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { parseCommandArgs } from "./command.js";
import { commands } from "./commands/index.js";

interface Step {
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  concurrency?: { "cancel-in-progress"?: boolean };
  jobs: Record<string, { steps: Step[] }>;
}

function workflow(name: string): Workflow {
  return parseYaml(readFileSync(fileURLToPath(new URL(`../../.github/workflows/${name}`, import.meta.url)), "utf8")) as Workflow;
}
const steps = (w: Workflow) => Object.values(w.jobs).flatMap((job) => job.steps);

describe("ci.yml", () => {
  const ci = workflow("ci.yml");
  it("runs npm ci and npm test on Node 20 for pushes and pull requests", () => {
    expect(Object.keys(ci.on).sort()).toEqual(["pull_request", "push"]);
    expect(steps(ci).find((s) => s.uses?.startsWith("actions/setup-node"))?.with?.["node-version"]).toBe(20);
    expect(steps(ci).map((s) => s.run).filter(Boolean)).toEqual(["npm ci", "npm test"]);
  });
});

describe("bench.yml", () => {
  const bench = workflow("bench.yml");
  const fleetRuns = steps(bench).filter((s) => s.run?.includes("npx fleet"));

  it("runs manually and on a schedule, previews only on pull requests", () => {
    expect(Object.keys(bench.on)).toEqual(expect.arrayContaining(["workflow_dispatch", "schedule", "pull_request"]));
    for (const step of fleetRuns) {
      const onPullRequest = step.if === "github.event_name == 'pull_request'";
      expect(step.run!.includes("--preview-only"), step.run).toBe(onPullRequest);
    }
  });

  it("gets AWS credentials through OIDC and never cancels a running matrix", () => {
    expect(bench.permissions?.["id-token"]).toBe("write");
    expect(steps(bench).find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials"))?.with?.["role-to-assume"]).toBeTruthy();
    expect(bench.concurrency?.["cancel-in-progress"]).toBe(false);
    expect(steps(bench).some((s) => s.uses?.startsWith("actions/upload-artifact"))).toBe(true);
  });

  it("calls fleet commands with options that exist", () => {
    expect(fleetRuns.length).toBeGreaterThan(0);
    for (const step of fleetRuns) {
      const words = step.run!.replace(/"\$\w+"/g, "VALUE").split(/\s+/).slice(2);
      const command = commands.find((c) => c.path.every((word, i) => words[i] === word));
      expect(command, step.run).toBeDefined();
      expect(() => parseCommandArgs(command!, words.slice(command!.path.length)), step.run).not.toThrow();
    }
  });
});
