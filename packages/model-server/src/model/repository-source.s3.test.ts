import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repositorySource } from "./repository-source.js";

// A real S3 API on loopback (s3rver) and the real AWS SDK: a repository is an s3:// prefix of model "subdirectories".
const files = { "model.onnx": Buffer.from("onnx bytes"), "tokenizer.json": Buffer.from("{}"), "model.json": Buffer.from('{"name":"m"}') };
let server: S3rver;
const ENV_KEYS = ["AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] as const;
const saved = ENV_KEYS.map((key) => [key, process.env[key]] as const);

beforeAll(async () => {
  server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: mkdtempSync(path.join(tmpdir(), "s3rver-")), configureBuckets: [{ name: "fleet", configs: [] }] });
  const { port } = await server.run();
  Object.assign(process.env, { AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`, AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" });
  const client = new S3Client({ endpoint: `http://127.0.0.1:${port}`, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } });
  for (const model of ["model10", "model2", "model1"]) {
    for (const [name, body] of Object.entries(files)) await client.send(new PutObjectCommand({ Bucket: "fleet", Key: `models/many/${model}/${name}`, Body: body }));
  }
  await client.send(new PutObjectCommand({ Bucket: "fleet", Key: "models/many/README.txt", Body: "not a model" }));
});

afterAll(async () => {
  for (const [key, value] of saved) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await server.close();
});

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
