import { cp, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelLoadError } from "../model/load-model.js";
import { generateTinyRepository, repositoryApp } from "../testing/model-repository.js";
import { inThreadSessions } from "./model-session.js";
import { spanLogits, type InferenceRow } from "./session-runner.js";
import { WorkerSessions } from "./worker-sessions.js";

let repo: Awaited<ReturnType<typeof generateTinyRepository>>;
const pools: WorkerSessions[] = [];
const pool = (count: number) => {
  const created = new WorkerSessions(count);
  pools.push(created);
  return created;
};
const settings = { threads: 1, executionProviders: ["cpu" as const] };
const shape = { padding: "dynamic" as const, maxSeqLength: 128 };
const modelPath = (name: string) => join(repo.root, name, "model.onnx");

beforeAll(async () => {
  repo = await generateTinyRepository(4);
});
afterAll(async () => {
  await Promise.all(pools.map((created) => created.close()));
  await repo?.cleanup();
});

// Rows of different lengths (padding), one with explicit type ids and mask, as the v2 token route sends.
const rows: InferenceRow[] = [
  { ids: Int32Array.from([101, 2040, 2003, 102, 1996, 3899, 102]), contextStart: 4 },
  { ids: Int32Array.from([101, 2054, 102, 2009, 2001, 1037, 2204, 2154, 102]), contextStart: 3 },
  {
    ids: Int32Array.from([101, 7592, 102, 2088, 102]),
    contextStart: 0,
    typeIds: Int32Array.from([0, 0, 0, 1, 1]),
    attentionMask: Int32Array.from([1, 1, 1, 1, 0]),
  },
];

describe("sessions in inference worker threads", { timeout: 30_000 }, () => {
  it("give the same logits as a session on this thread, row by row", async () => {
    const local = await inThreadSessions.open(modelPath("model0"), shape, settings, () => {});
    const remote = await pool(1).open(modelPath("model0"), shape, settings, () => {});
    expect(remote.inputNames).toEqual(local.inputNames);
    const [expected, actual] = await Promise.all([local.run(rows), remote.run(rows)]);
    expect(actual).toHaveLength(rows.length);
    actual.forEach((row, index) => {
      const [got, want] = [spanLogits(row), spanLogits(expected[index]!)];
      expect(got.start.length).toBe(rows[index]!.ids.length);
      expect(Array.from(got.start)).toEqual(Array.from(want.start));
      expect(Array.from(got.end)).toEqual(Array.from(want.end));
    });
    await Promise.all([local.release(), remote.release()]);
  });

  it("reject a corrupt model with a ModelLoadError naming the file, and keep serving", async () => {
    const corrupt = join(repo.root, "corrupt");
    await cp(join(repo.root, "model1"), corrupt, { recursive: true });
    await writeFile(join(corrupt, "model.onnx"), "not an ONNX model");
    const workers = pool(1);
    const failure = workers.open(join(corrupt, "model.onnx"), shape, settings, () => {});
    await expect(failure).rejects.toBeInstanceOf(ModelLoadError);
    await expect(failure).rejects.toThrow(join(corrupt, "model.onnx"));
    expect(workers.sessionsPerWorker()).toEqual([0]);
    const session = await workers.open(modelPath("model1"), shape, settings, () => {});
    expect(spanLogits((await session.run(rows.slice(0, 1)))[0]!).start).toHaveLength(7);
    await session.release();
    await expect(session.run(rows)).rejects.toThrow(/No session/);
  });

  it("spread sessions over the workers and keep the event loop turning while they load and run", async () => {
    const workers = pool(2);
    // Event-loop utilization counts the time this thread was busy, not wall-clock gaps, so a machine
    // that deschedules the process for a while (a shared CI runner) cannot fail it. Loading and
    // running the same sessions on this thread measures 1.0; in the workers it measured 0.08.
    const before = performance.eventLoopUtilization();
    const sessions = await Promise.all(["model0", "model1", "model2", "model3"].map((name) => workers.open(modelPath(name), shape, settings, () => {})));
    for (let i = 0; i < 20; i++) await Promise.all(sessions.map((session) => session.run(rows)));
    const { utilization } = performance.eventLoopUtilization(before);
    expect(workers.sessionsPerWorker()).toEqual([2, 2]);
    expect(utilization).toBeLessThan(0.5);
    await Promise.all(sessions.map((session) => session.release()));
    expect(workers.sessionsPerWorker()).toEqual([0, 0]);
  });

  it("serve a repository that cycles more models than fit, releasing each unloaded session in its worker", async () => {
    const workers = pool(2);
    const api = repositoryApp(repo.root, { names: repo.names, maxResidentBytes: Math.floor(2.5 * repo.modelBytes), sessions: workers });
    for (let round = 0; round < 2; round++) {
      for (const name of repo.names) expect((await api.app.request(`/predictions/${name}`)).status).toBe(200);
    }
    expect(api.loads).toHaveLength(8);
    await api.repository.close();
    expect(workers.sessionsPerWorker()).toEqual([0, 0]);
  });

  it("refuse new sessions once closed", async () => {
    const workers = new WorkerSessions(1);
    await workers.close();
    await expect(workers.open(modelPath("model0"), shape, settings, () => {})).rejects.toThrow(/stopped/);
  });
});
