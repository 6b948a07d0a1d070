import { PutObjectCommand } from "@aws-sdk/client-s3";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startS3rver } from "../../testing/s3rver.js";
import { repositorySource } from "./repository-source.js";

// A real S3 API on loopback (s3rver) and the real AWS SDK: a repository is an s3:// prefix of model "subdirectories".
const files = { "model.onnx": Buffer.from("onnx bytes"), "tokenizer.json": Buffer.from("{}"), "model.json": Buffer.from('{"name":"m"}') };
let s3: Awaited<ReturnType<typeof startS3rver>>;

beforeAll(async () => {
  s3 = await startS3rver("fleet");
  for (const model of ["model10", "model2", "model1"]) {
    for (const [name, body] of Object.entries(files))
      await s3.client.send(new PutObjectCommand({ Bucket: "fleet", Key: `models/many/${model}/${name}`, Body: body }));
  }
  await s3.client.send(new PutObjectCommand({ Bucket: "fleet", Key: "models/many/README.txt", Body: "not a model" }));
});

afterAll(() => s3?.close());

describe("s3:// model repositories", () => {
  it("lists the model subdirectories under the prefix in natural order, and fetches one model into the cache", async () => {
    const cache = mkdtempSync(path.join(tmpdir(), "repo-cache-"));
    const source = repositorySource("s3://fleet/models/many/", cache, () => {});
    expect(await source.list()).toEqual(["model1", "model2", "model10"]);
    const dir = await source.modelDir("model2");
    expect(dir.startsWith(cache)).toBe(true);
    for (const [name, body] of Object.entries(files)) expect(readFileSync(path.join(dir, name)).equals(body)).toBe(true);
  });

  it("says what to do when the prefix holds no models", async () => {
    await expect(repositorySource("s3://fleet/nothing-here", "/unused", () => {}).list()).rejects.toThrow(/has no model subdirectories/);
  });
});
