import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CpuBudget } from "./config/cpu-budget.js";
import { resolveServerSettings, type SettingsFlags } from "./config/settings.js";
import { startServer, type RunningServer } from "./server.js";
import { freePort } from "./process/free-port.js";
import { generateTinyRepository } from "./testing/model-repository.js";
import { generateTinyModel } from "./testing/tiny-model.js";

// What a server says about itself at start-up and after: its CPU budget, and the execution provider
// each session really got. This machine has no GPU, so a server asking for cuda must say cpu.

let model: Awaited<ReturnType<typeof generateTinyModel>>;
let repo: Awaited<ReturnType<typeof generateTinyRepository>>;
const servers: RunningServer[] = [];

beforeAll(async () => {
  [model, repo] = await Promise.all([generateTinyModel(), generateTinyRepository(2)]);
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.drain(1000)));
  await Promise.all([model?.cleanup(), repo?.cleanup()]);
});

type LogLine = { level: number; msg: string; [key: string]: unknown };

/** Starts a real server on loopback with these settings, keeping every log line it writes. */
async function start(flags: SettingsFlags, budget?: CpuBudget): Promise<{ server: RunningServer; logs: LogLine[] }> {
  const logs: LogLine[] = [];
  const logger = pino({ base: undefined }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
  const settings = resolveServerSettings({ flags: { modelSource: model.dir, port: await freePort(), host: "127.0.0.1", quiet: true, ...flags } });
  const server = await startServer(settings, logger, () => {}, budget);
  servers.push(server);
  return { server, logs };
}

async function executionProviderOf(server: RunningServer, name: string): Promise<unknown> {
  const response = await fetch(`${server.url}/v2/models/${name}`);
  expect(response.status).toBe(200);
  const metadata = (await response.json()) as { name: string; platform: string; parameters: Record<string, unknown> };
  expect(metadata).toMatchObject({ name, platform: "onnxruntime_onnx", parameters: { max_sequence_length: 128 } });
  return metadata.parameters["execution_provider"];
}

/** The model_server_session_info samples of the server's /metrics. */
async function sessionInfo(server: RunningServer): Promise<string[]> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return text.split("\n").filter((line) => line.startsWith("model_server_session_info"));
}

describe("a server that asks for cuda on a machine without it", { timeout: 60_000 }, () => {
  it("falls back to cpu in its inference worker and says cpu in the ready line, the metadata and the metrics", async () => {
    const { server, logs } = await start({ executionProviders: ["cuda", "cpu"], inferenceWorkers: 1, numModels: 2 });
    expect(logs.find((line) => line.level === 40)?.msg).toMatch(/could not start the cuda,cpu execution providers .*falling back to cpu/);
    const ready = logs.find((line) => line.msg === "model server ready");
    expect(ready).toMatchObject({ requestedExecutionProviders: ["cuda", "cpu"], executionProviders: { shared: "cpu" } });
    expect(await executionProviderOf(server, "model0")).toBe("cpu");
    expect(await executionProviderOf(server, "model1")).toBe("cpu");
    expect(await sessionInfo(server)).toEqual(['model_server_session_info{session="shared",execution_provider="cpu"} 1']);
  });

  it("in repository mode, says cpu for each model it loaded", async () => {
    const { server } = await start({ modelRepo: repo.root, executionProviders: ["cuda", "cpu"], inferenceWorkers: 0 });
    // Before any load nothing is known: no provider is claimed.
    expect(await executionProviderOf(server, "model0")).toBeUndefined();
    expect(await sessionInfo(server)).toEqual([]);
    expect((await fetch(`${server.url}/predictions/model0`)).status).toBe(200);
    expect((await fetch(`${server.url}/predictions/model1`)).status).toBe(200);
    expect(await executionProviderOf(server, "model0")).toBe("cpu");
    expect(await sessionInfo(server)).toEqual(['model_server_session_info{session="repository",execution_provider="cpu"} 2']);
  });
});

describe("a cpu-only server", { timeout: 60_000 }, () => {
  it("says cpu for each of its separate sessions", async () => {
    const { server, logs } = await start({ numModels: 2, separateSessions: true, inferenceWorkers: 0 });
    expect(logs.filter((line) => line.level >= 40)).toEqual([]);
    expect(logs.find((line) => line.msg === "model server ready")).toMatchObject({ executionProviders: { model0: "cpu", model1: "cpu" } });
    expect(await executionProviderOf(server, "model1")).toBe("cpu");
    expect((await sessionInfo(server)).sort()).toEqual([
      'model_server_session_info{session="model0",execution_provider="cpu"} 1',
      'model_server_session_info{session="model1",execution_provider="cpu"} 1',
    ]);
  });
});

describe("the CPU budget at start-up", { timeout: 60_000 }, () => {
  it("derives workers and threads from a pod's cgroup quota and names both in one line", async () => {
    const { logs } = await start({}, { cpus: 3, source: "cgroup", detail: "cgroup cpu.max" });
    expect(logs.map((line) => line.msg)).toContain("cpu budget 3 (cgroup cpu.max): 1 inference worker x 2 ONNX Runtime threads");
    expect(logs.find((line) => line.msg === "model server ready")).toMatchObject({ inferenceWorkers: 1, threads: 2 });
  });

  it("keeps sessions on the main thread on one CPU, and lets explicit settings win", async () => {
    const one = await start({}, { cpus: 1, source: "affinity", detail: "CPU affinity" });
    expect(one.logs.find((line) => line.msg === "model server ready")).toMatchObject({ inferenceWorkers: 0, threads: 1 });
    const explicit = await start({ threads: 2, inferenceWorkers: 0 }, { cpus: 8, source: "cores", detail: "core count" });
    expect(explicit.logs.map((line) => line.msg)).toContain(
      "cpu budget 8 (core count): no inference worker, 2 ONNX Runtime threads on the main thread (INFERENCE_WORKERS and THREADS set explicitly)",
    );
  });
});
