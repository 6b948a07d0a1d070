import { describe, expect, it } from "vitest";
import { deriveConcurrency, describeConcurrency, serverConcurrency, type ConcurrencyInput } from "./concurrency.js";
import { resolveServerSettings } from "./settings.js";

const shared = { numModels: 4, separateSessions: false, repository: false };
const separate = { numModels: 4, separateSessions: true, repository: false };
const repository = { numModels: 1, separateSessions: false, repository: true };

describe.each<[string, ConcurrencyInput, number, number]>([
  ["one core", { cpus: 1, ...shared }, 0, 1],
  ["a fractional CPU under one (500m)", { cpus: 0.5, ...shared }, 0, 1],
  ["1.5 CPUs: one usable", { cpus: 1.5, ...shared }, 0, 1],
  ["one core, separate sessions", { cpus: 1, ...separate }, 0, 1],
  ["one core, repository", { cpus: 1, ...repository }, 0, 1],
  ["2 CPUs, one shared session", { cpus: 2, ...shared }, 1, 1],
  ["3 CPUs, one shared session", { cpus: 3, ...shared }, 1, 2],
  ["2.5 CPUs, one shared session", { cpus: 2.5, ...shared }, 1, 1],
  ["16 CPUs, one shared session", { cpus: 16, ...shared }, 1, 15],
  ["3 CPUs, 4 separate sessions", { cpus: 3, ...separate }, 2, 1],
  ["8 CPUs, 4 separate sessions", { cpus: 8, ...separate }, 4, 1],
  ["16 CPUs, 4 separate sessions", { cpus: 16, ...separate }, 4, 3],
  ["9 CPUs, 2 separate sessions", { cpus: 9, numModels: 2, separateSessions: true, repository: false }, 2, 4],
  ["4 CPUs, repository", { cpus: 4, ...repository }, 3, 1],
  ["THREADS set wins", { cpus: 4, ...shared, threads: 2 }, 1, 2],
  ["INFERENCE_WORKERS=0 set wins; threads still leave a core", { cpus: 4, ...shared, inferenceWorkers: 0 }, 0, 3],
  ["INFERENCE_WORKERS=2 splits the threads", { cpus: 5, ...shared, inferenceWorkers: 2 }, 2, 2],
  ["both set win on one core", { cpus: 1, ...shared, threads: 4, inferenceWorkers: 1 }, 1, 4],
])("deriveConcurrency: %s", (_case, input, inferenceWorkers, threads) => {
  it(`runs ${inferenceWorkers} inference workers x ${threads} ONNX Runtime threads`, () => {
    expect(deriveConcurrency(input)).toEqual({ inferenceWorkers, threads });
  });
});

describe("serverConcurrency", () => {
  it("reads the settings: repository mode from MODEL_REPO, explicit THREADS and INFERENCE_WORKERS", () => {
    const budget = { cpus: 4, source: "cgroup" as const, detail: "cgroup cpu.max" };
    expect(serverConcurrency(resolveServerSettings({ env: { MODEL_REPO: "/models" } }), budget)).toEqual({ inferenceWorkers: 3, threads: 1 });
    const separateTwo = resolveServerSettings({ env: { NUM_MODELS: "2", SEPARATE_SESSIONS: "true" } });
    expect(serverConcurrency(separateTwo, budget)).toEqual({ inferenceWorkers: 2, threads: 1 });
    expect(serverConcurrency(resolveServerSettings({ env: { THREADS: "2", INFERENCE_WORKERS: "0" } }), budget)).toEqual({ inferenceWorkers: 0, threads: 2 });
    expect(serverConcurrency(resolveServerSettings(), budget)).toEqual({ inferenceWorkers: 1, threads: 3 });
  });
});

describe("describeConcurrency", () => {
  const none = { threads: false, inferenceWorkers: false };
  const cgroup = (cpus: number) => ({ cpus, source: "cgroup" as const, detail: "cgroup cpu.max" });
  it.each([
    [cgroup(3), { inferenceWorkers: 1, threads: 2 }, none, "cpu budget 3 (cgroup cpu.max): 1 inference worker x 2 ONNX Runtime threads"],
    [
      { cpus: 1, source: "affinity", detail: "CPU affinity" },
      { inferenceWorkers: 0, threads: 1 },
      none,
      "cpu budget 1 (CPU affinity): no inference worker, 1 ONNX Runtime thread on the main thread",
    ],
    [
      cgroup(2.5),
      { inferenceWorkers: 2, threads: 1 },
      { threads: true, inferenceWorkers: true },
      "cpu budget 2.5 (cgroup cpu.max): 2 inference workers x 1 ONNX Runtime thread (INFERENCE_WORKERS and THREADS set explicitly)",
    ],
  ] as const)("names the budget, its source and what runs", (budget, concurrency, explicit, line) => {
    expect(describeConcurrency(budget, concurrency, explicit)).toBe(line);
  });
});
