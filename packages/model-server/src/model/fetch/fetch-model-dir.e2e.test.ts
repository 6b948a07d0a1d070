import { PutObjectCommand } from "@aws-sdk/client-s3";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startS3rver } from "../../testing/s3rver.js";
import { ModelLoadError } from "../load-model.js";
import { resolveModelSource, type RemoteFetch } from "./fetch-model-dir.js";

// A real S3 API on loopback (s3rver) and the real AWS SDK, through the server's own s3:// source.
const files = {
  "model.onnx": randomBytes(300_000),
  "tokenizer.json": Buffer.from('{"model":{"type":"WordPiece"}}'),
  "model.json": Buffer.from('{"name":"x"}'),
};
let s3: Awaited<ReturnType<typeof startS3rver>>;

beforeAll(async () => {
  s3 = await startS3rver("models");
  for (const [name, body] of Object.entries(files)) await s3.client.send(new PutObjectCommand({ Bucket: "models", Key: `bert/tiny/${name}`, Body: body }));
  await s3.client.send(new PutObjectCommand({ Bucket: "models", Key: "broken/model.onnx", Body: files["model.onnx"] }));
});

afterAll(() => s3?.close());

describe("s3:// model sources", () => {
  it("downloads the model dir once into the cache, then reuses it", async () => {
    const cache = mkdtempSync(path.join(tmpdir(), "model-cache-"));
    const log: string[] = [];
    const dir = await resolveModelSource("s3://models/bert/tiny", cache, (m) => log.push(m));
    for (const [name, body] of Object.entries(files)) expect(readFileSync(path.join(dir, name)).equals(body)).toBe(true);
    expect(log.at(-1)).toMatch(/^Fetched s3:\/\/models\/bert\/tiny into/);
    expect(await resolveModelSource("s3://models/bert/tiny", cache, (m) => log.push(m))).toBe(dir);
    expect(log.at(-1)).toMatch(/^Using the cached copy/);
  });

  it("fetches again when a cached file was changed on disk", async () => {
    const cache = mkdtempSync(path.join(tmpdir(), "model-cache-"));
    const dir = await resolveModelSource("s3://models/bert/tiny", cache, () => {});
    writeFileSync(path.join(dir, "model.onnx"), "truncated");
    const log: string[] = [];
    await resolveModelSource("s3://models/bert/tiny", cache, (m) => log.push(m));
    expect(log.at(-1)).toMatch(/^Fetched/);
    expect(readFileSync(path.join(dir, "model.onnx")).equals(files["model.onnx"])).toBe(true);
  });

  it("names the missing file of an incomplete model dir", async () => {
    const cache = mkdtempSync(path.join(tmpdir(), "model-cache-"));
    await expect(resolveModelSource("s3://models/broken", cache, () => {})).rejects.toThrow(/s3:\/\/models\/broken has no tokenizer\.json/);
  });

  it("says which location could not be read", async () => {
    const cache = mkdtempSync(path.join(tmpdir(), "model-cache-"));
    await expect(resolveModelSource("s3://no-such-bucket/x", cache, () => {})).rejects.toThrow(/Could not read s3:\/\/no-such-bucket\/x\/model\.onnx/);
  });
});

describe("download checks", () => {
  const announcing =
    (overrides: object): RemoteFetch =>
    async (_source, file) => ({ body: Readable.from([files[file as keyof typeof files]]), ...overrides });

  it.each([
    [{ bytes: 12 }, /got 300000 bytes but the store announced 12/],
    [{ sha256Base64: "AAAA" }, /SHA-256 does not match/],
    [{ md5Hex: "0".repeat(32) }, /MD5 does not match the store's ETag/],
  ])("rejects a download whose %j disagrees with the store, and caches nothing", async (overrides, message) => {
    const cache = mkdtempSync(path.join(tmpdir(), "model-cache-"));
    await expect(resolveModelSource("https://example.invalid/m", cache, () => {}, announcing(overrides))).rejects.toThrow(ModelLoadError);
    await expect(resolveModelSource("https://example.invalid/m", cache, () => {}, announcing(overrides))).rejects.toThrow(message);
    const log: string[] = [];
    await resolveModelSource("https://example.invalid/m", cache, (m) => log.push(m), announcing({}));
    expect(log.at(-1)).toMatch(/^Fetched/);
  });
});
