import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseS3Uri } from "./results-collector.js";
import { s3ResultsCollector } from "./s3-results-collector.js";
import { fakeResult } from "./test-fixtures.js";

// A real S3 API on loopback (s3rver) and the real AWS SDK client.
let server: S3rver;
let clientConfig: ConstructorParameters<typeof S3Client>[0];

beforeAll(async () => {
  server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory: mkdtempSync(path.join(tmpdir(), "s3rver-")),
    configureBuckets: [{ name: "results", configs: [] }],
  });
  const { port } = await server.run();
  clientConfig = {
    endpoint: `http://127.0.0.1:${port}`,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  };
  const client = new S3Client(clientConfig);
  const put = (key: string, body: string) => client.send(new PutObjectCommand({ Bucket: "results", Key: key, Body: body }));
  await put("c7g/k6-run-1/pod-0.json", JSON.stringify(fakeResult({ pod: "0", requests: 100 })));
  await put("c7g/k6-run-1/pod-1.json", JSON.stringify(fakeResult({ pod: "1", requests: 200 })));
  await put("c7g/k6-run-1/k6.log", "not a result");
  await put("c7g/k6-run-2/pod-0.json", JSON.stringify(fakeResult({ pod: "0", requests: 999 })));
  await put("c7g/k6-run-3/pod-0.json", '{"schemaVersion": 1}');
});

afterAll(() => server.close());

describe("s3ResultsCollector", () => {
  it("reads every result file under the run's prefix and nothing else", async () => {
    const results = await s3ResultsCollector(clientConfig).collect("s3://results/c7g/k6-run-1/");
    expect(results.map((r) => [r.labels.pod, r.requests])).toEqual([
      ["0", 100],
      ["1", 200],
    ]);
  });

  it("says when a run wrote nothing", async () => {
    await expect(s3ResultsCollector(clientConfig).collect("s3://results/c7g/k6-run-9/")).rejects.toThrow(
      /No result files under s3:\/\/results\/c7g\/k6-run-9\//,
    );
  });

  it("names a file that is not a results file", async () => {
    await expect(s3ResultsCollector(clientConfig).collect("s3://results/c7g/k6-run-3/")).rejects.toThrow(
      /c7g\/k6-run-3\/pod-0\.json is not a load-test results file/,
    );
  });
});

describe("parseS3Uri", () => {
  it("splits bucket and prefix, and rejects other URIs", () => {
    expect(parseS3Uri("s3://bucket/a/b/")).toEqual({ bucket: "bucket", prefix: "a/b/" });
    expect(() => parseS3Uri("https://bucket/a")).toThrow(/not an s3:\/\/bucket\/prefix URI/);
  });
});
