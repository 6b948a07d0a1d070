import { setTimeout as sleep } from "node:timers/promises";
import { assessJob, type JobJson, type JobOutcome, type PodJson } from "./job-outcome.js";
import type { LoadTestLocation } from "./stack-outputs.js";

interface WaitOptions {
  /** The whole load test must end within this. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Progress lines while waiting (state changes only). */
  readonly onProgress?: (line: string) => void;
}

/** Waits for a stack's load-test Job to end; injected so the matrix is tested without a cluster. */
export interface JobWatcher {
  waitForJob(location: LoadTestLocation, options: WaitOptions): Promise<JobOutcome>;
}

/** One look at the Job and its pods. */
export type JobSnapshotReader = (location: LoadTestLocation) => Promise<{ job: JobJson; pods: PodJson[] }>;

export interface PollingOptions {
  readonly pollMs?: number;
  /** Runner pods must be running within this (image pulls and node scale-up included). */
  readonly startTimeoutMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<unknown>;
}

/** A JobWatcher that polls snapshots until assessJob says the run ended. */
export function pollingJobWatcher(readSnapshot: JobSnapshotReader, polling: PollingOptions = {}): JobWatcher {
  const pollMs = polling.pollMs ?? 10_000;
  const now = polling.now ?? Date.now;
  const wait = polling.sleep ?? ((ms: number, signal?: AbortSignal) => sleep(ms, undefined, { signal }));
  return {
    async waitForJob(location, options) {
      const startedAt = now();
      const startTimeoutMs = Math.min(polling.startTimeoutMs ?? 10 * 60_000, options.timeoutMs);
      let startedBefore = false;
      let lastDetail = "";
      for (;;) {
        options.signal?.throwIfAborted();
        const { job, pods } = await readSnapshot(location);
        const assessment = assessJob(job, pods, { elapsedMs: now() - startedAt, timeoutMs: options.timeoutMs, startTimeoutMs, startedBefore });
        if (assessment.status !== "running") return assessment;
        startedBefore ||= assessment.started;
        if (assessment.detail !== lastDetail) options.onProgress?.(`load-test Job ${location.namespace}/${location.jobName}: ${assessment.detail}`);
        lastDetail = assessment.detail;
        await wait(pollMs, options.signal);
      }
    },
  };
}
