import { describe, expect, it } from "vitest";
import { assessJob, type JobJson, type PodJson } from "./job-outcome.js";
import { pollingJobWatcher } from "./job-watcher.js";

const early = { elapsedMs: 1_000, timeoutMs: 1_800_000, startTimeoutMs: 600_000, startedBefore: false };

function pod(name: string, status: PodJson["status"]): PodJson {
  return { metadata: { name }, status };
}
const running = pod("k6-0", { phase: "Running", containerStatuses: [{ name: "k6", restartCount: 0, state: { running: {} } }] });
const exited = (code: number, name = "k6-0") =>
  pod(name, { phase: code === 0 ? "Succeeded" : "Failed", containerStatuses: [{ name: "k6", restartCount: 0, state: { terminated: { exitCode: code } } }] });
const activeJob: JobJson = { spec: { completions: 2 }, status: { active: 2 } };
const completeJob: JobJson = { spec: { completions: 2 }, status: { succeeded: 2, conditions: [{ type: "Complete", status: "True" }] } };
const failedJob: JobJson = {
  spec: { completions: 2 },
  status: {
    failed: 1,
    conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" }],
  },
};

describe("assessJob", () => {
  it("is running while pods run", () => {
    expect(assessJob(activeJob, [running], early)).toMatchObject({ status: "running", started: true });
  });

  it("succeeds when the Job is complete", () => {
    expect(assessJob(completeJob, [exited(0), exited(0, "k6-1")], early)).toEqual({ status: "succeeded" });
  });

  it("reports k6 exit code 99 as an SLO breach, not a crash", () => {
    expect(assessJob(failedJob, [exited(99), exited(0, "k6-1")], early)).toMatchObject({ status: "slo-breach", reason: expect.stringContaining("k6-0") });
  });

  it("waits for the other pods before calling a breach", () => {
    expect(assessJob(activeJob, [exited(99), running], early).status).toBe("running");
  });

  it("fails on an OOMKilled runner", () => {
    const oom = pod("k6-0", { containerStatuses: [{ name: "k6", restartCount: 0, state: { terminated: { exitCode: 137, reason: "OOMKilled" } } }] });
    expect(assessJob(activeJob, [oom], early)).toMatchObject({ status: "failed", reason: expect.stringMatching(/k6-0 was OOMKilled/) });
  });

  it("fails on a restarted runner, naming the last exit", () => {
    const restarted = pod("k6-1", {
      containerStatuses: [{ name: "k6", restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 1, reason: "Error" } } }],
    });
    expect(assessJob(activeJob, [restarted], early)).toMatchObject({
      status: "failed",
      reason: expect.stringMatching(/k6-1 restarted 1 time\(s\), last exit code 1 \(Error\)/),
    });
  });

  it("fails on a crash with another exit code", () => {
    expect(assessJob(failedJob, [exited(107)], early)).toMatchObject({ status: "failed", reason: expect.stringContaining("exit code 107") });
  });

  it("fails at once on an image that cannot be pulled", () => {
    const stuck = pod("k6-0", {
      phase: "Pending",
      containerStatuses: [{ name: "k6", state: { waiting: { reason: "ImagePullBackOff", message: "Back-off pulling image grafana/k6:nope" } } }],
    });
    expect(assessJob(activeJob, [stuck], early)).toMatchObject({
      status: "failed",
      reason: expect.stringMatching(/never started: ImagePullBackOff: Back-off pulling image/),
    });
  });

  it("fails when pods never start within the start timeout, with the scheduler's reason", () => {
    const pending = pod("k6-0", {
      phase: "Pending",
      conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/2 nodes are available: 2 Insufficient cpu." }],
    });
    expect(assessJob(activeJob, [pending], { ...early, elapsedMs: 100_000 }).status).toBe("running");
    expect(assessJob(activeJob, [pending], { ...early, elapsedMs: 600_000 })).toMatchObject({
      status: "failed",
      reason: expect.stringMatching(/never started within 10 min: Unschedulable: 0\/2 nodes/),
    });
  });

  it("fails when the Job outlives the wait timeout", () => {
    expect(assessJob(activeJob, [running], { ...early, elapsedMs: 1_800_000, startedBefore: true })).toMatchObject({
      status: "failed",
      reason: expect.stringContaining("did not finish within 30 min"),
    });
  });

  it("passes on the Job's own failure reason", () => {
    expect(assessJob(failedJob, [], early)).toMatchObject({ status: "failed", reason: expect.stringContaining("BackoffLimitExceeded") });
  });
});

describe("pollingJobWatcher", () => {
  it("polls until the Job ends and reports each new state once", async () => {
    const snapshots = [
      { job: activeJob, pods: [] },
      { job: activeJob, pods: [running] },
      { job: activeJob, pods: [running] },
      { job: completeJob, pods: [exited(0)] },
    ];
    let clock = 0;
    const progress: string[] = [];
    const watcher = pollingJobWatcher(async () => snapshots.shift()!, { pollMs: 5_000, now: () => clock, sleep: async (ms) => void (clock += ms) });
    const outcome = await watcher.waitForJob(
      { kubeconfig: "", namespace: "load-test", jobName: "k6", resultsUri: "" },
      { timeoutMs: 60_000, onProgress: (line) => progress.push(line) },
    );
    expect(outcome).toEqual({ status: "succeeded" });
    expect(snapshots).toEqual([]);
    expect(progress).toEqual(["load-test Job load-test/k6: waiting for pods to start (no pod was created)", "load-test Job load-test/k6: 2 active, 0/2 done"]);
  });

  it("times out with the fake clock", async () => {
    let clock = 0;
    const watcher = pollingJobWatcher(async () => ({ job: activeJob, pods: [running] }), {
      pollMs: 10_000,
      now: () => clock,
      sleep: async (ms) => void (clock += ms),
    });
    const outcome = await watcher.waitForJob({ kubeconfig: "", namespace: "n", jobName: "k6", resultsUri: "" }, { timeoutMs: 30_000 });
    expect(outcome).toMatchObject({ status: "failed", reason: expect.stringContaining("did not finish within 30 s") });
  });
});
