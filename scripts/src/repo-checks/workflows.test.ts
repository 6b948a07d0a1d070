// The CI workflows call the fleet CLI: check they name commands and options that exist, and keep the safety properties.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { parseCommandArgs } from "../command.js";
import { commands } from "../commands/index.js";

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
  return parseYaml(readFileSync(fileURLToPath(new URL(`../../../.github/workflows/${name}`, import.meta.url)), "utf8")) as Workflow;
}
const steps = (w: Workflow) => Object.values(w.jobs).flatMap((job) => job.steps);

describe("ci.yml", () => {
  const ci = workflow("ci.yml");
  it("runs npm ci and npm test on Node 20 for pushes and pull requests", () => {
    expect(Object.keys(ci.on).sort()).toEqual(["pull_request", "push"]);
    expect(steps(ci).find((s) => s.uses?.startsWith("actions/setup-node"))?.with?.["node-version"]).toBe(20);
    expect(
      steps(ci)
        .map((s) => s.run)
        .filter(Boolean),
    ).toEqual(["sudo bash .ci/system-packages", "npm ci", "npm test"]);
  });

  it("runs what .ci/run runs, so GitHub does not skip the Python suite that CI here runs", () => {
    const ciRun = readFileSync(fileURLToPath(new URL("../../../.ci/run", import.meta.url)), "utf8");
    const commands = ciRun.split("\n").filter((line) => /^(bash|npm) /.test(line));
    expect(commands).toEqual(["bash .ci/system-packages", "npm ci --no-audit --no-fund", "npm test"]);
    const ghRuns = steps(ci).flatMap((s) => (s.run ? [s.run.replace(/^sudo /, "")] : []));
    expect(ghRuns.map((run) => run.split(" ").slice(0, 2).join(" "))).toEqual(commands.map((run) => run.split(" ").slice(0, 2).join(" ")));
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

  it("keeps its AWS session as long as the job, and the role allows that session", () => {
    const job = Object.values(bench.jobs)[0] as { "timeout-minutes"?: number; steps: Step[] };
    const duration = Number(steps(bench).find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials"))?.with?.["role-duration-seconds"]);
    const role = JSON.parse(readFileSync(fileURLToPath(new URL("../../../infra/ci-role/role-settings.json", import.meta.url)), "utf8")) as {
      MaxSessionDuration: number;
    };
    expect(job["timeout-minutes"]! * 60).toBeLessThanOrEqual(duration);
    expect(duration).toBeLessThanOrEqual(role.MaxSessionDuration);
    expect(role.MaxSessionDuration).toBeLessThanOrEqual(43_200); // IAM's own maximum, 12 hours
    const readme = readFileSync(fileURLToPath(new URL("../../../README.md", import.meta.url)), "utf8");
    expect(readme).toContain(`--max-session-duration ${role.MaxSessionDuration}`);
  });

  it("runs only commands that exist here, with the flags they take", () => {
    const scripts = (JSON.parse(readFileSync(fileURLToPath(new URL("../../../package.json", import.meta.url)), "utf8")) as { scripts: Record<string, string> })
      .scripts;
    for (const step of steps(bench).filter((s) => s.run)) {
      for (const line of step
        .run!.split("\n")
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith("#"))) {
        const words = line.replace(/"\$\w+"/g, "VALUE").split(/\s+/);
        if (words[0] === "npx" && words[1] === "fleet") {
          const command = commands.find((c) => c.path.every((word, i) => words[i + 2] === word));
          expect(command, line).toBeDefined();
          expect(() => parseCommandArgs(command!, words.slice(2 + command!.path.length)), line).not.toThrow();
        } else if (words[0] === "npm" && words[1] === "run") {
          expect(scripts, line).toHaveProperty(words[2]!);
        } else if (line.includes("$GITHUB_STEP_SUMMARY")) {
          expect(line).toMatch(/^cat bench-report\/comparison\.md >> "\$GITHUB_STEP_SUMMARY"$/);
        } else {
          expect(["npm ci", "pulumi login"], `unexpected command: ${line}`).toContain(line);
        }
      }
    }
  });

  it("sets up QEMU for arm64 before buildx, so the Graviton image builds on an x86 runner", () => {
    const uses = steps(bench).map((s) => s.uses ?? "");
    const qemu = uses.findIndex((u) => u.startsWith("docker/setup-qemu-action"));
    expect(qemu).toBeGreaterThanOrEqual(0);
    expect(String(steps(bench)[qemu]!.with?.platforms)).toContain("arm64");
    expect(qemu).toBeLessThan(uses.findIndex((u) => u.startsWith("docker/setup-buildx-action")));
  });

  it("checks the account's quotas before creating anything", () => {
    for (const step of fleetRuns) expect(step.run).toContain("--check-quotas");
  });

  it("names a CI role whose trust and permission documents are in the repository and parse", () => {
    for (const file of ["trust-policy.json", "permissions-policy.json"]) {
      const doc = JSON.parse(readFileSync(fileURLToPath(new URL(`../../../infra/ci-role/${file}`, import.meta.url)), "utf8")) as { Statement: unknown[] };
      expect(doc.Statement.length).toBeGreaterThan(0);
    }
    const permissions = readFileSync(fileURLToPath(new URL("../../../infra/ci-role/permissions-policy.json", import.meta.url)), "utf8");
    // What the matrix's own preflight calls, besides what the stacks create.
    expect(permissions).toContain("servicequotas:GetServiceQuota");
  });

  it("calls fleet commands with options that exist", () => {
    expect(fleetRuns.length).toBeGreaterThan(0);
    for (const step of fleetRuns) {
      const words = step
        .run!.replace(/"\$\w+"/g, "VALUE")
        .split(/\s+/)
        .slice(2);
      const command = commands.find((c) => c.path.every((word, i) => words[i] === word));
      expect(command, step.run).toBeDefined();
      expect(() => parseCommandArgs(command!, words.slice(command!.path.length)), step.run).not.toThrow();
    }
  });
});
