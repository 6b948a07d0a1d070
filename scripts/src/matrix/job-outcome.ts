// Reads a Kubernetes Job and its pods (as `kubectl get -o json` prints them) into what happened to the load test.

/** How a load-test Job ended. A k6 threshold failure (exit code 99) is an SLO breach, not a crash. */
export type JobOutcome =
  { readonly status: "succeeded" } | { readonly status: "slo-breach"; readonly reason: string } | { readonly status: "failed"; readonly reason: string };

export type JobAssessment = JobOutcome | { readonly status: "running"; readonly started: boolean; readonly detail: string };

interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: { exitCode?: number; reason?: string; message?: string };
}

interface ContainerStatus {
  name: string;
  restartCount?: number;
  state?: ContainerState;
  lastState?: ContainerState;
}

export interface PodJson {
  metadata: { name: string };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

export interface JobJson {
  spec?: { completions?: number };
  status?: {
    active?: number;
    succeeded?: number;
    failed?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

/** k6 exits with this code when a threshold failed. */
const K6_THRESHOLDS_FAILED_EXIT_CODE = 99;

/** Waiting reasons that will not resolve by waiting longer. */
const STUCK_WAITING_REASONS = new Set([
  "ErrImagePull",
  "ImagePullBackOff",
  "InvalidImageName",
  "CrashLoopBackOff",
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
]);

function describeTermination(terminated: NonNullable<ContainerState["terminated"]>): string {
  return `exit code ${terminated.exitCode ?? "?"}${terminated.reason ? ` (${terminated.reason})` : ""}`;
}

/** The first reason a pod makes the run fail, or undefined when it is fine so far. */
function podFailure(pod: PodJson): string | undefined {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const where = `load-test pod ${pod.metadata.name}`;
  for (const container of statuses) {
    const terminations = [container.state?.terminated, container.lastState?.terminated];
    if (terminations.some((t) => t?.reason === "OOMKilled")) {
      return `${where} was OOMKilled: give the load-test pods more memory or fewer virtual users per pod (loadTest.concurrency, loadTest.pods).`;
    }
    if ((container.restartCount ?? 0) > 0) {
      const last = container.lastState?.terminated;
      return (
        `${where} restarted ${container.restartCount} time(s)${last ? `, last ${describeTermination(last)}` : ""}: a restarted runner loses its ` +
        `measurements, so the run is void.`
      );
    }
    const waiting = container.state?.waiting;
    if (waiting?.reason && STUCK_WAITING_REASONS.has(waiting.reason)) {
      return `${where} never started: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ""}.`;
    }
    const terminated = container.state?.terminated;
    if (terminated && terminated.exitCode !== 0 && terminated.exitCode !== K6_THRESHOLDS_FAILED_EXIT_CODE) {
      return `${where} crashed with ${describeTermination(terminated)}${terminated.message ? `: ${terminated.message}` : ""}.`;
    }
  }
  return undefined;
}

function breachedPods(pods: PodJson[]): string[] {
  return pods
    .filter((pod) => pod.status?.containerStatuses?.some((c) => c.state?.terminated?.exitCode === K6_THRESHOLDS_FAILED_EXIT_CODE))
    .map((pod) => pod.metadata.name);
}

function hasStarted(pod: PodJson): boolean {
  return (pod.status?.containerStatuses ?? []).some((c) => c.state?.running || c.state?.terminated);
}

/** Why pods are still pending, e.g. "Unschedulable: 0/2 nodes are available: 2 Insufficient cpu". */
function pendingReason(pods: PodJson[]): string {
  for (const pod of pods) {
    const unscheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False");
    if (unscheduled) return `${unscheduled.reason ?? "not scheduled"}${unscheduled.message ? `: ${unscheduled.message}` : ""}`;
    const waiting = pod.status?.containerStatuses?.find((c) => c.state?.waiting)?.state?.waiting;
    if (waiting) return `${waiting.reason ?? "waiting"}${waiting.message ? `: ${waiting.message}` : ""}`;
  }
  return pods.length === 0 ? "no pod was created" : "pods are pending";
}

export interface AssessOptions {
  /** Time since the wait began. */
  readonly elapsedMs: number;
  /** The whole run must end within this. */
  readonly timeoutMs: number;
  /** Some runner pod must be running within this, or the run never started. */
  readonly startTimeoutMs: number;
  /** Whether any runner pod was seen running earlier in this wait. */
  readonly startedBefore: boolean;
}

/** What the Job's state means right now: still running, or how it ended and why. */
export function assessJob(job: JobJson, pods: PodJson[], options: AssessOptions): JobAssessment {
  for (const pod of pods) {
    const failure = podFailure(pod);
    if (failure) return { status: "failed", reason: failure };
  }
  const conditions = job.status?.conditions ?? [];
  const isTrue = (type: string) => conditions.find((c) => c.type === type && c.status === "True");
  const completions = job.spec?.completions ?? 1;
  const complete = isTrue("Complete") ?? ((job.status?.succeeded ?? 0) >= completions ? { type: "Complete" } : undefined);
  const failed = isTrue("Failed");
  const breached = breachedPods(pods);
  if ((complete || failed) && breached.length > 0) {
    return {
      status: "slo-breach",
      reason: `k6 thresholds failed (exit code ${K6_THRESHOLDS_FAILED_EXIT_CODE}) in ${breached.join(", ")}: the fleet missed the SLO at this load.`,
    };
  }
  if (complete) return { status: "succeeded" };
  if (failed) return { status: "failed", reason: `load-test Job failed: ${failed.reason ?? "unknown reason"}${failed.message ? `: ${failed.message}` : ""}.` };
  const started = options.startedBefore || pods.some(hasStarted);
  if (!started && options.elapsedMs >= options.startTimeoutMs) {
    return { status: "failed", reason: `load-test pods never started within ${formatMinutes(options.startTimeoutMs)}: ${pendingReason(pods)}.` };
  }
  if (options.elapsedMs >= options.timeoutMs) {
    return {
      status: "failed",
      reason: `load-test Job did not finish within ${formatMinutes(options.timeoutMs)} (--wait-timeout); ${job.status?.active ?? 0} pod(s) still active.`,
    };
  }
  return {
    status: "running",
    started,
    detail: started
      ? `${job.status?.active ?? 0} active, ${job.status?.succeeded ?? 0}/${completions} done`
      : `waiting for pods to start (${pendingReason(pods)})`,
  };
}

function formatMinutes(ms: number): string {
  const minutes = ms / 60_000;
  return minutes >= 1 ? `${Number(minutes.toFixed(1))} min` : `${Math.round(ms / 1000)} s`;
}
