import { loadStackConfig } from "@inference-fleet/fleet-config";
import { sloOfConfig } from "@inference-fleet/load-test";
import { describe, expect, it } from "vitest";
import { runMatrix, type StackRun } from "./run-matrix.js";
import { fakeResult, fakes } from "./test-fixtures.js";

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
    expect((run as Extract<StackRun, { status: "measured" }>).summary.slo).toEqual(sloOfConfig(loadStackConfig("c7g", { env: {} })));
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
