// `fleet matrix --tune` against a fake workspace, Job watcher and collector: the fleet is redeployed
// per candidate with FLEET_* overrides, each Job's capacity steps give the candidate's capacity,
// the winner is written as a stack file, and the stack is destroyed at the end.
import { copyFileSync, mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { defaultStacksDir, envNameFor, loadStackConfig } from "@inference-fleet/fleet-config";
import { stepFromResult, type LoadTestResult } from "@inference-fleet/load-test";
import { describe, expect, it } from "vitest";
import { LOAD_TEST_OUTPUT_NAMES } from "../../matrix/stack-outputs.js";
import { fakeResult } from "../../matrix/test-fixtures.js";
import { capacityOfPodResults } from "./cluster-evaluator.js";
import { runTuneMatrix, type TuneMatrixDependencies } from "./tune-matrix.js";
import type { MatrixWorkspace } from "../../matrix/workspace.js";

const repoStacks = defaultStacksDir(import.meta.dirname);
const BATCH = envNameFor("server.maxBatch");
const SERVERS = envNameFor("server.numServers");

/** A k6 capacity Job's result file whose steps hold up to `capacity` req/s (20 ms) and break above it (500 ms). */
function capacityResult(capacity: number, pod = "0"): LoadTestResult {
  const steps = [0.5, 1, 1.2].map((share) => {
    const rate = Math.round(capacity * share);
    return stepFromResult(fakeResult({ requests: rate * 10, latencyMs: share <= 1 ? 20 : 500, pod }), rate);
  });
  return { ...fakeResult({ pod }), capacity: { capacityAtSlo: capacity, slo: { percentile: 90, latencyMs: 100, maxErrorRate: 0.01 }, steps } };
}

/** The synthetic cluster node: maxBatch 8 and one server with both CPUs each add capacity. */
function syntheticCapacity(env: Record<string, string>): number {
  return 1000 * (env[BATCH] === "8" ? 1.2 : 1) * (env[SERVERS] === "1" ? 1.3 : 1);
}

function fakes(options: { failUp?: boolean } = {}) {
  const clock = { ms: 0 };
  const events: string[] = [];
  const ups: Array<Record<string, string>> = [];
  const jobs = new Map<string, Record<string, string>>();
  const workspace: MatrixWorkspace = {
    async selectStack(name, env = {}) {
      return {
        name,
        async preview() {
          return {};
        },
        async up() {
          events.push("up");
          ups.push({ ...env });
          clock.ms += 90_000;
          if (options.failUp) throw new Error("creating EKS cluster: AccessDenied");
          const jobName = `k6-${jobs.size}`;
          jobs.set(jobName, { ...env });
          return {
            [LOAD_TEST_OUTPUT_NAMES.kubeconfig]: "apiVersion: v1",
            [LOAD_TEST_OUTPUT_NAMES.namespace]: "load-test",
            [LOAD_TEST_OUTPUT_NAMES.jobName]: jobName,
            [LOAD_TEST_OUTPUT_NAMES.resultsUri]: `s3://results/${name}/${jobName}/`,
          };
        },
        async destroy() {
          events.push("destroy");
        },
        async outputs() {
          return {};
        },
      };
    },
  };
  const deps: TuneMatrixDependencies = {
    workspace,
    jobWatcher: {
      async waitForJob() {
        clock.ms += 5 * 21_000;
        return { status: "succeeded" };
      },
    },
    collector: {
      async collect(uri) {
        const env = jobs.get(uri.split("/")[4]!)!;
        return [capacityResult(syntheticCapacity(env))];
      },
    },
    loadConfig: (stack) => loadStackConfig(stack, { stacksDir: repoStacks, env: {} }),
    log: () => {},
    now: () => clock.ms,
  };
  return { deps, events, ups, clock };
}

function stacksCopy(): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), "tune-matrix-")), "stacks");
  mkdirSync(dir);
  copyFileSync(path.join(repoStacks, "Pulumi.dev.yaml"), path.join(dir, "Pulumi.dev.yaml"));
  return dir;
}

describe("runTuneMatrix", () => {
  it("redeploys the stack per candidate, reads each Job's capacity, writes the winner and destroys the stack", async () => {
    const { deps, events, ups, clock } = fakes();
    const stacksDir = stacksCopy();
    const budgetSeconds = 60 * 60;
    const lines: string[] = [];
    const [run] = await runTuneMatrix({ ...deps, log: (line) => lines.push(line) }, { stacks: ["dev"], budgetSeconds, stacksDir });

    expect(run!.status).toBe("tuned");
    if (run!.status !== "tuned") return;
    // Bring-up, then one up per measurement, then destroy; the search's own time keeps to the budget.
    expect(events[0]).toBe("up");
    expect(events.at(-1)).toBe("destroy");
    expect(events.filter((e) => e === "up").length).toBeGreaterThan(6);
    expect(clock.ms / 1000 - 90).toBeLessThanOrEqual(budgetSeconds);
    // Every up is a capacity run of one candidate, told by FLEET_* overrides of that up only.
    for (const env of ups) {
      expect(env[envNameFor("loadTest.mode")]).toBe("capacity");
      expect(env[envNameFor("server.numServers")]).toMatch(/^\d+$/);
    }
    expect(run.outcome.winner?.candidate).toMatchObject({ maxBatch: 8, serversPerNode: 1, cpu: "2" });
    expect(run.outcome.verdict).toMatch(/1560 vs 1000 req\/s per node \(\+56%\)/);
    const tuned = loadStackConfig("dev-tuned", { stacksDir, env: {} });
    expect(tuned.server).toMatchObject({ maxBatch: 8, numServers: 1, resources: { cpu: "2" } });
    expect(run.file).toBe(path.join(stacksDir, "Pulumi.dev-tuned.yaml"));
    expect(lines.join("\n")).toMatch(/\[dev\] coarse 1\/\d+: .*\(shipped\)[\s\S]*\[dev\] ranked:\n# +req\/s per node/);
  });

  it("leaves the stack up with --keep", async () => {
    const { deps, events } = fakes();
    await runTuneMatrix(deps, { stacks: ["dev"], budgetSeconds: 1800, stacksDir: stacksCopy(), keep: true });
    expect(events).not.toContain("destroy");
  });

  it("reports a failed bring-up and still destroys what was created", async () => {
    const { deps, events } = fakes({ failUp: true });
    const [run] = await runTuneMatrix(deps, { stacks: ["dev"], budgetSeconds: 1800, stacksDir: stacksCopy() });
    expect(run).toMatchObject({ stack: "dev", status: "failed", reason: expect.stringMatching(/AccessDenied/) });
    expect(events).toEqual(["up", "destroy"]);
  });
});

describe("capacityOfPodResults", () => {
  const dev = loadStackConfig("dev", { stacksDir: repoStacks, env: {} });

  it("merges the pods' steps exactly before judging them (two pods, each with the total offered rate)", () => {
    const verdict = capacityOfPodResults([capacityResult(600, "0"), capacityResult(600, "1")], dev);
    expect(verdict.capacityAtSlo).toBe(600);
    expect(verdict.curve.find((p) => p.offeredRate === 600)?.achievedRate).toBeCloseTo(1200);
  });

  it("says what is wrong when the Job was not a capacity run", () => {
    expect(() => capacityOfPodResults([fakeResult()], dev)).toThrow(/loadTest.mode must be capacity/);
  });
});
