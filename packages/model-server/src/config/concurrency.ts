import type { CpuBudget } from "./cpu-budget.js";
import type { ServerSettings } from "./settings.js";

/** What the rule needs to know about a server; `threads` and `inferenceWorkers` win when set. */
export interface ConcurrencyInput {
  /** CPUs the process may use (readCpuBudget().cpus; fractional under a CFS quota). */
  readonly cpus: number;
  readonly numModels: number;
  readonly separateSessions: boolean;
  /** Repository mode: many sessions, loaded on demand. */
  readonly repository: boolean;
  /** THREADS, when set. */
  readonly threads?: number | undefined;
  /** INFERENCE_WORKERS, when set. */
  readonly inferenceWorkers?: number | undefined;
}

/** What a server runs: inference worker threads (0: sessions on the main thread) and ONNX Runtime intra-op threads per session. */
export interface Concurrency {
  readonly inferenceWorkers: number;
  readonly threads: number;
}

/**
 * Inference workers and ONNX Runtime threads for a CPU budget. Usable CPUs are the whole ones (at
 * least 1). Below 2, sessions stay on the main thread with 1 thread: on one core a worker only adds
 * hand-offs (~80-100 us of CPU per request, measured in the README). From 2, one core is left to the
 * main thread (HTTP and tokenization) and the rest go to ONNX Runtime: one worker per session up to
 * usable - 1 workers (one shared session: 1 worker with usable - 1 threads), the CPUs split among them.
 */
export function deriveConcurrency(input: ConcurrencyInput): Concurrency {
  const usable = Math.max(1, Math.floor(input.cpus));
  const sessions = input.repository ? Number.POSITIVE_INFINITY : input.separateSessions ? input.numModels : 1;
  const inferenceWorkers = input.inferenceWorkers ?? (usable < 2 ? 0 : Math.min(usable - 1, sessions));
  const threads = input.threads ?? (usable < 2 ? 1 : Math.max(1, Math.floor((usable - 1) / Math.max(1, inferenceWorkers))));
  return { inferenceWorkers, threads };
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

/** The start-up log line: "cpu budget 3 (cgroup cpu.max): 1 inference worker x 2 ONNX Runtime threads". */
export function describeConcurrency(budget: CpuBudget, concurrency: Concurrency, explicit: { threads: boolean; inferenceWorkers: boolean }): string {
  const { inferenceWorkers, threads } = concurrency;
  const onnx = plural(threads, "ONNX Runtime thread");
  const runs = inferenceWorkers === 0 ? `no inference worker, ${onnx} on the main thread` : `${plural(inferenceWorkers, "inference worker")} x ${onnx}`;
  const set = [explicit.inferenceWorkers ? "INFERENCE_WORKERS" : "", explicit.threads ? "THREADS" : ""].filter(Boolean);
  const cpus = Math.round(budget.cpus * 100) / 100;
  return `cpu budget ${cpus} (${budget.detail}): ${runs}${set.length > 0 ? ` (${set.join(" and ")} set explicitly)` : ""}`;
}

/** The one place a server's effective workers and threads are decided: its settings over the rule. */
export function serverConcurrency(
  settings: Pick<ServerSettings, "numModels" | "separateSessions" | "modelRepo" | "threads" | "inferenceWorkers">,
  budget: CpuBudget,
): Concurrency {
  return deriveConcurrency({
    cpus: budget.cpus,
    numModels: settings.numModels,
    separateSessions: settings.separateSessions,
    repository: settings.modelRepo !== undefined,
    threads: settings.threads,
    inferenceWorkers: settings.inferenceWorkers,
  });
}
