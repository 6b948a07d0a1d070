import { loadStackConfig } from "@inference-fleet/fleet-config";
import { describe, expect, it } from "vitest";
import type { JobOutcome } from "./job-outcome.js";
import type { JobWatcher } from "./job-watcher.js";
import type { ResultsCollector } from "./results-collector.js";
import { runMatrix, type MatrixDependencies, type StackRun } from "./run-matrix.js";
import { LOAD_TEST_OUTPUT_NAMES } from "./stack-outputs.js";
import type { LoadTestResult } from "@inference-fleet/load-test";
import { fakeResult } from "./test-fixtures.js";
import type { MatrixWorkspace } from "./workspace.js";

interface FakeBehaviour {
  failUp?: string[];
  jobOutcome?: Record<string, JobOutcome>;
  /** Milliseconds each up takes, to observe overlap. */
  upMs?: number;
  /** The result files a stack's run left (default: two pods' worth). */
  results?: (stack: string) => LoadTestResult[];
}

/** Fakes for the three injected interfaces, recording every call as "<step> <stack>" in order. */
function fakes(behaviour: FakeBehaviour = {}) {
  const events: string[] = [];
  const envs: Array<Record<string, string>> = [];
  let running = 0;
  let maxRunning = 0;
  const workspace: MatrixWorkspace = {
    async selectStack(name, env = {}) {
      envs.push({ ...env });
      return {
        name,
        async preview(onOutput) {
          events.push(`preview ${name}`);
          onOutput("Previewing update\n+ 3 to create\n");
          return { create: 3 };
        },
        async up(onOutput) {
          events.push(`up ${name}`);
          running++;
          maxRunning = Math.max(maxRunning, running);
          await new Promise((resolve) => setTimeout(resolve, behaviour.upMs ?? 0));
          running--;
          onOutput("Updating (dev)\n");
          if (behaviour.failUp?.includes(name)) throw new Error("creating EKS cluster: AccessDenied");
          return {
            [LOAD_TEST_OUTPUT_NAMES.kubeconfig]: "apiVersion: v1",
            [LOAD_TEST_OUTPUT_NAMES.namespace]: "load-test",
            [LOAD_TEST_OUTPUT_NAMES.jobName]: `k6-${name}`,
            [LOAD_TEST_OUTPUT_NAMES.resultsUri]: `s3://results/${name}/run-1/`,
          };
        },
        async destroy() {
          events.push(`destroy ${name}`);
        },
        async outputs() {
          return {};
        },
      };
    },
  };
  const jobWatcher: JobWatcher = {
    async waitForJob(location) {
      const stack = location.jobName.replace("k6-", "");
      events.push(`wait ${stack}`);
      return behaviour.jobOutcome?.[stack] ?? { status: "succeeded" };
    },
  };
  const collector: ResultsCollector = {
    async collect(uri) {
      const stack = uri.split("/")[3]!;
      events.push(`collect ${stack}`);
      return behaviour.results?.(stack) ?? [fakeResult({ requests: 1000, pod: "0" }), fakeResult({ requests: 3000, pod: "1" })];
    },
  };
  const lines: string[] = [];
  const deps: MatrixDependencies = {
    workspace,
    jobWatcher,
    collector,
    loadConfig: (stack) => loadStackConfig(stack, { env: {} }),
    log: (line) => lines.push(line),
  };
  return { deps, events, lines, envs, maxRunning: () => maxRunning };
}

const oneStack = { stacks: ["c7g"], waitTimeoutMs: 60_000 };

describe("runMatrix", () => {
  it("runs up, wait, collect, destroy in that order and merges the pods' results", async () => {
    const { deps, events } = fakes();
    const [run] = await runMatrix(deps, oneStack);
    expect(events).toEqual(["up c7g", "wait c7g", "collect c7g", "destroy c7g"]);
    expect(run).toMatchObject({ stack: "c7g", status: "measured", summary: { instanceType: "c7g.4xlarge", throughput: 400 } });
    expect((run as Extract<StackRun, { status: "measured" }>).merged.requests).toBe(4000);
  });

  it("destroys after a failed up, and does not wait or collect", async () => {
    const { deps, events } = fakes({ failUp: ["c7g"] });
    const [run] = await runMatrix(deps, oneStack);
    expect(events).toEqual(["up c7g", "destroy c7g"]);
    expect(run).toMatchObject({ status: "failed", step: "up", reason: expect.stringContaining("AccessDenied") });
  });

  it("destroys after a failed wait, with the pod's reason", async () => {
    const { deps, events } = fakes({ jobOutcome: { c7g: { status: "failed", reason: "load-test pod k6-0 was OOMKilled" } } });
    const [run] = await runMatrix(deps, oneStack);
    expect(events).toEqual(["up c7g", "wait c7g", "destroy c7g"]);
    expect(run).toMatchObject({ status: "failed", step: "wait", reason: expect.stringContaining("OOMKilled") });
  });

  it("fails a stack whose result files number fewer than its k6 pods, and still destroys it", async () => {
    const { deps, events } = fakes({ results: () => [fakeResult({ pod: "0" })] });
    const [run] = await runMatrix(deps, oneStack);
    expect(events).toEqual(["up c7g", "wait c7g", "collect c7g", "destroy c7g"]);
    expect(run).toMatchObject({
      status: "failed",
      step: "collect",
      reason: expect.stringMatching(/^1 result file\(s\) under s3:\/\/results\/c7g\/run-1\/ for 2 k6 pods/),
    });
  });

  it("fails a GPU stack whose servers report cpu, so a CPU result is never priced as a GPU one", async () => {
    const onCpu = (pod: string) => ({ ...fakeResult({ pod }), servers: [{ target: "http://server-0:8080", executionProvider: "cpu" }] });
    const { deps } = fakes({ results: () => [onCpu("0"), onCpu("1")] });
    const [run] = await runMatrix(deps, { stacks: ["g5"], waitTimeoutMs: 60_000 });
    expect(run).toMatchObject({ status: "failed", step: "collect", reason: expect.stringMatching(/asked for cuda .* http:\/\/server-0:8080 ran on cpu/) });
  });

  it("judges each stack against its own SLO", async () => {
    const { deps } = fakes();
    const [run] = await runMatrix(deps, oneStack);
    expect((run as Extract<StackRun, { status: "measured" }>).summary.slo).toEqual(loadStackConfig("c7g", { env: {} }).loadTest.slo);
  });

  it("keeps the stack with --keep, scaled to zero fleet nodes (an up with cluster.idle), not destroyed", async () => {
    const { deps, events, lines, envs } = fakes();
    await runMatrix(deps, { ...oneStack, keep: true });
    expect(events).toEqual(["up c7g", "wait c7g", "collect c7g", "up c7g"]);
    expect(envs).toEqual([{}, { FLEET_CLUSTER_IDLE: "true" }]);
    expect(lines.join("\n")).toMatch(/scaling the fleet to zero[\s\S]*pulumi destroy --stack c7g/);
  });

  it("collects the results of an SLO breach and marks the stack as not meeting it", async () => {
    const { deps, events } = fakes({ jobOutcome: { c7g: { status: "slo-breach", reason: "k6 thresholds failed" } } });
    const [run] = await runMatrix(deps, oneStack);
    expect(events).toEqual(["up c7g", "wait c7g", "collect c7g", "destroy c7g"]);
    expect(run).toMatchObject({ status: "measured", summary: { sloBreachReported: true } });
  });

  it("streams Pulumi output with a [stack] prefix", async () => {
    const { deps, lines } = fakes();
    await runMatrix(deps, oneStack);
    expect(lines).toContain("[c7g] Updating (dev)");
  });

  it.each([1, 2])("runs at most --parallel %i stacks at a time", async (parallel) => {
    const { deps, events, maxRunning } = fakes({ upMs: 30 });
    const runs = await runMatrix(deps, { stacks: ["c7i", "c7g", "g5"], parallel, waitTimeoutMs: 60_000 });
    expect(maxRunning()).toBe(parallel);
    expect(runs.map((r) => r.stack)).toEqual(["c7i", "c7g", "g5"]);
    expect(events.filter((e) => e.startsWith("destroy")).sort()).toEqual(["destroy c7g", "destroy c7i", "destroy g5"]);
  });

  it("previews only, creating and destroying nothing", async () => {
    const { deps, events } = fakes();
    const runs = await runMatrix(deps, { stacks: ["c7i", "g5"], previewOnly: true, waitTimeoutMs: 60_000 });
    expect(events).toEqual(["preview c7i", "preview g5"]);
    expect(runs[0]).toMatchObject({ status: "previewed", changes: { create: 3 } });
  });

  it("stops before creating anything when a stack name has no config", async () => {
    const { deps, events } = fakes();
    await expect(runMatrix(deps, { stacks: ["c7g", "nope"], waitTimeoutMs: 60_000 })).rejects.toThrow(/No stack file/);
    expect(events).toEqual([]);
  });

  it("still destroys a stack when Ctrl-C arrives during the wait", async () => {
    const { deps, events } = fakes();
    const abort = new AbortController();
    deps.jobWatcher.waitForJob = async (_location, options) => {
      events.push("wait c7g");
      abort.abort(new Error("interrupted by Ctrl-C"));
      options.signal?.throwIfAborted();
      return { status: "succeeded" };
    };
    const [run] = await runMatrix(deps, { ...oneStack, signal: abort.signal });
    expect(events).toEqual(["up c7g", "wait c7g", "destroy c7g"]);
    expect(run).toMatchObject({ status: "failed", step: "wait", reason: "interrupted by Ctrl-C" });
  });
});
