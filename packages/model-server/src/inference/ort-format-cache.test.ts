import { mkdtemp, readdir, readFile, rm, utimes, writeFile, cp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelLoadError } from "../model/load-model.js";
import { generateTinyRepository } from "../testing/model-repository.js";
import { readModelBytes } from "./model-bytes.js";
import { inThreadSessions } from "./model-session.js";
import { convertModelDirs, withOrtFormatCache } from "./ort-format-cache.js";
import type { InferenceRow } from "./session-runner.js";

let repo: Awaited<ReturnType<typeof generateTinyRepository>>;
let cacheDir: string;
const settings = { threads: 1, executionProviders: ["cpu" as const] };
const shape = { padding: "dynamic" as const, maxSeqLength: 128 };
const rows: InferenceRow[] = [{ ids: Int32Array.from([101, 2040, 2003, 102, 1996, 3899, 102]), contextStart: 4 }];

beforeAll(async () => {
  repo = await generateTinyRepository(2);
  cacheDir = await mkdtemp(join(tmpdir(), "ort-format-cache-"));
});
afterAll(async () => {
  await repo?.cleanup();
  await rm(cacheDir, { recursive: true, force: true });
});

describe("the ORT-format cache", { timeout: 30_000 }, () => {
  it("converts a model once, in a worker, and its sessions answer exactly as the ONNX file's", async () => {
    const sessions = withOrtFormatCache(inThreadSessions, join(cacheDir, "a"));
    const onnx = join(repo.root, "model0", "model.onnx");
    const [first, second] = await Promise.all([sessions.open(onnx, shape, settings, () => {}), sessions.open(onnx, shape, settings, () => {})]);
    expect(sessions.conversions).toBe(1);
    expect((await readdir(join(cacheDir, "a"))).filter((name) => name.endsWith(".ort"))).toHaveLength(1);
    const reference = await inThreadSessions.open(onnx, shape, settings, () => {});
    const [expected] = await reference.run(rows);
    for (const session of [first, second]) {
      const [actual] = await session.run(rows);
      expect(actual).toEqual(expected);
    }
    await Promise.all([first.release(), second.release(), reference.release()]);
    // Released and opened again: the cached file, no second conversion.
    await (await sessions.open(onnx, shape, settings, () => {})).release();
    expect(sessions.conversions).toBe(1);
    await sessions.close();
  });

  it("converts again when model.onnx changes, and opens a model it cannot convert as it is, naming the file", async () => {
    const sessions = withOrtFormatCache(inThreadSessions, join(cacheDir, "b"));
    const dir = join(repo.root, "changing");
    await cp(join(repo.root, "model1"), dir, { recursive: true });
    const onnx = join(dir, "model.onnx");
    await (await sessions.open(onnx, shape, settings, () => {})).release();
    await utimes(onnx, new Date(), new Date(Date.now() + 5_000));
    await (await sessions.open(onnx, shape, settings, () => {})).release();
    expect(sessions.conversions).toBe(2);
    await writeFile(onnx, "not an ONNX model");
    const failure = sessions.open(onnx, shape, settings, () => {});
    await expect(failure).rejects.toBeInstanceOf(ModelLoadError);
    await expect(failure).rejects.toThrow(onnx);
    await sessions.close();
  });

  it("uses a model dir's own model.ort without converting, unless model.onnx is newer", async () => {
    const dir = join(repo.root, "shipped");
    await cp(join(repo.root, "model0"), dir, { recursive: true });
    const { converted } = await convertModelDirs(dir, { settings });
    expect(converted).toEqual([dir]);
    const sessions = withOrtFormatCache(inThreadSessions, join(cacheDir, "c"));
    const onnx = join(dir, "model.onnx");
    await (await sessions.open(onnx, shape, settings, () => {})).release();
    expect(sessions.conversions).toBe(0);
    await utimes(onnx, new Date(), new Date(Date.now() + 5_000));
    await (await sessions.open(onnx, shape, settings, () => {})).release();
    expect(sessions.conversions).toBe(1);
    await sessions.close();
  });

  it("reads model bytes whole, and reuses a freed buffer for the next model", async () => {
    const path = join(repo.root, "model0", "model.onnx");
    const first = await readModelBytes(path);
    expect(Buffer.from(first.bytes).equals(await readFile(path))).toBe(true);
    first.free();
    const second = await readModelBytes(join(repo.root, "model1", "model.onnx"));
    // (Compared by identity: a failed toBe would try to print two 17 MB buffers.)
    expect(second.bytes.buffer === first.bytes.buffer).toBe(true);
    expect(Buffer.from(second.bytes).equals(await readFile(join(repo.root, "model1", "model.onnx")))).toBe(true);
    second.free();
  });
});
