// Shared by the matrix tests: load-test results with chosen throughput and latency, and fakes of the
// matrix's three injected interfaces.
import { loadStackConfig, sloOfStack, type FleetConfig } from "@inference-fleet/fleet-config";
import { buildResult, LatencyHistogram, staircaseRatesOf, type CapacityStep, type LoadTestResult } from "@inference-fleet/load-test";
import type { JobOutcome } from "./job-outcome.js";
import type { JobWatcher } from "./job-watcher.js";
import type { ResultsCollector } from "./results-collector.js";
import type { MatrixDependencies } from "./run-matrix.js";
import { LOAD_TEST_OUTPUT_NAMES } from "./stack-outputs.js";
import type { MatrixWorkspace } from "./workspace.js";

/** A result of `requests` requests over 10 s, all answered in `latencyMs`, `errors` of them failed. */
export function fakeResult(options: { requests?: number; latencyMs?: number; errors?: number; pod?: string } = {}): LoadTestResult {
  const requests = options.requests ?? 1000;
  const histogram = new LatencyHistogram();
  for (let i = 0; i < requests; i++) histogram.record(options.latencyMs ?? 20);
  const start = Date.parse("2025-11-01T00:00:00Z");
  return buildResult({
    generator: "k6",
    mode: "bmk",
    targets: ["http://server-0:8080"],
    models: ["model0"],
    labels: { pod: options.pod ?? "0" },
    startMs: start,
    endMs: start + 10_000,
    requests,
    errors: options.errors ? { http_503: options.errors } : {},
    histogram: histogram.toJSON(),
    series: [],
  });
}

export interface FakeBehaviour {
  failUp?: string[];
  jobOutcome?: Record<string, JobOutcome>;
  /** Milliseconds each up takes, to observe overlap. */
  upMs?: number;
  /** The result files a stack's run left (default: two pods' worth); `env`: the FLEET_* overrides of the up that made the Job. */
  results?: (stack: string, env: Record<string, string>) => LoadTestResult[];
  /** The stack's config (default: the stack file as it is). */
  loadConfig?: (stack: string) => FleetConfig;
}

/** What the fakes record: every call as "<step> <stack>", each selected stack's env, and how many ups overlapped. */
interface FakeRecord {
  readonly events: string[];
  readonly envs: Array<Record<string, string>>;
  /** Per stack, the overrides of its last up and how many ups it had: each up's Job writes under run-<n>/. */
  readonly lastUp: Map<string, { env: Record<string, string>; count: number }>;
  running: number;
  maxRunning: number;
}

/** Fakes for the three injected interfaces, recording every call as "<step> <stack>" in order. */
export function fakes(behaviour: FakeBehaviour = {}) {
  const record: FakeRecord = { events: [], envs: [], lastUp: new Map(), running: 0, maxRunning: 0 };
  const { events, envs, lastUp } = record;
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
      return behaviour.results?.(stack, lastUp.get(stack)?.env ?? {}) ?? [fakeResult({ requests: 1000, pod: "0" }), fakeResult({ requests: 3000, pod: "1" })];
    },
  };
  const lines: string[] = [];
  const deps: MatrixDependencies = {
    workspace: fakeWorkspace(behaviour, record),
    jobWatcher,
    collector,
    loadConfig: behaviour.loadConfig ?? fixedLoadConfig,
    log: (line) => lines.push(line),
  };
  return { deps, events, lines, envs, maxRunning: () => record.maxRunning };
}

/** A Pulumi workspace whose ups take `upMs`, fail for `failUp` stacks, and output a Job per stack and run. */
function fakeWorkspace(behaviour: FakeBehaviour, record: FakeRecord): MatrixWorkspace {
  const { events, envs, lastUp } = record;
  return {
    async selectStack(name, env = {}) {
      envs.push({ ...env });
      const selected = { ...env };
      return {
        name,
        async preview(onOutput) {
          events.push(`preview ${name}`);
          onOutput("Previewing update\n+ 3 to create\n");
          return { create: 3 };
        },
        async up(onOutput) {
          events.push(`up ${name}`);
          const count = (lastUp.get(name)?.count ?? 0) + 1;
          lastUp.set(name, { env: selected, count });
          record.running++;
          record.maxRunning = Math.max(record.maxRunning, record.running);
          await new Promise((resolve) => setTimeout(resolve, behaviour.upMs ?? 0));
          record.running--;
          onOutput("Updating (dev)\n");
          if (behaviour.failUp?.includes(name)) throw new Error("creating EKS cluster: AccessDenied");
          return {
            [LOAD_TEST_OUTPUT_NAMES.kubeconfig]: "apiVersion: v1",
            [LOAD_TEST_OUTPUT_NAMES.namespace]: "load-test",
            [LOAD_TEST_OUTPUT_NAMES.jobName]: `k6-${name}`,
            [LOAD_TEST_OUTPUT_NAMES.resultsUri]: `s3://results/${name}/run-${count}/`,
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
}

/** A stack's config with a fixed-concurrency load test (the shipped AWS stacks search the capacity): what fakeResult's results are. */
function fixedLoadConfig(stack: string): FleetConfig {
  return loadStackConfig(stack, { env: { FLEET_LOAD_TEST_MODE: "bmk" } });
}

/** A capacity-mode config of a stack, with FLEET_* overrides such as the matrix's refine rates. */
export function capacityConfig(stack: string, env: Record<string, string> = {}): FleetConfig {
  return loadStackConfig(stack, { env: { FLEET_LOAD_TEST_MODE: "capacity", ...env } });
}

/**
 * The result files of one pass of a capacity Job on a fleet whose p90 holds 20 ms up to `knee` req/s and
 * reads 150 ms above it: the rates the Job's config asks for (the stack file with the up's overrides,
 * as the Pulumi program reads them), each pod offering its share, stopping after the first step that
 * breaks, as the k6 thresholds stop the pods. A confirmation's hold (steps as long as confirmSeconds)
 * keeps up only to `sustainedKnee` (default `knee`): a fleet that holds a short step but not minutes. `loadConfig`:
 * where the stack's config comes from (default: stacks/ with the mode set to capacity).
 */
export function fakeCapacityPass(
  stack: string,
  env: Record<string, string>,
  knee: number,
  sustainedKnee = knee,
  loadConfig: (stack: string, env: Record<string, string>) => FleetConfig = capacityConfig,
): LoadTestResult[] {
  const config = loadConfig(stack, env);
  const { pods, capacity, slo } = config.loadTest;
  const limit = capacity.stepSeconds >= capacity.confirmSeconds ? sustainedKnee : knee;
  const pod = (index: number): LoadTestResult => {
    const steps: CapacityStep[] = [];
    for (const rate of staircaseRatesOf(config)) {
      const share = rate / pods;
      const requests = Math.round(share * capacity.stepSeconds);
      const histogram = new LatencyHistogram();
      for (let i = 0; i < requests; i++) histogram.record(rate <= limit || i % 2 === 0 ? 20 + index : 150);
      steps.push({
        offeredRate: rate,
        achievedRate: requests / capacity.stepSeconds,
        durationSeconds: capacity.stepSeconds,
        warmupSeconds: capacity.warmupSeconds,
        requests,
        errors: {},
        histogram: histogram.toJSON(),
        latencyMs: histogram.summary(),
      });
      if (rate > limit) break;
    }
    const result = { ...fakeResult({ pod: String(index) }), mode: "rate" as const };
    return {
      ...result,
      capacity: { capacityAtSlo: 0, slo: sloOfStack(slo), steps },
    };
  };
  return Array.from({ length: pods }, (_, i) => pod(i));
}
