// pulumi up with model.source hf://...: the program imports the model (through a loopback hub) and uploads the imported dir.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseFleetConfig } from "@inference-fleet/fleet-config";
import { FakeHub, tinyUncasedQaCheckpoint } from "@inference-fleet/model-zoo/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withHubModelImported } from "./hub-model.js";
import { assertModelDirReady, assertModelPrecision, planModelSource } from "./model-source.js";

let hub: FakeHub;
let commit: string;
beforeAll(async () => {
  hub = await FakeHub.start();
  commit = hub.addCommit("test-org/tiny-qa", tinyUncasedQaCheckpoint());
});
afterAll(() => hub.close());

describe("withHubModelImported", { timeout: 30_000 }, () => {
  it("imports an hf:// source into the hub cache and plans the upload of that dir", async () => {
    const env = { HF_ENDPOINT: hub.url, HF_HOME: await mkdtemp(path.join(tmpdir(), "infra-hf-")) };
    const config = parseFleetConfig({ stack: "t", model: { name: "tiny-qa", source: "hf://test-org/tiny-qa@main" } });
    const lines: string[] = [];
    const imported = await withHubModelImported(config, (line) => lines.push(line), env);

    const expected = path.join(env.HF_HOME, "inference-fleet", "test-org--tiny-qa", commit, "model");
    expect(imported.model.source).toBe(expected);
    const plan = planModelSource(imported, "/repo");
    expect(plan).toEqual({ kind: "upload", localDir: expected, prefix: "models/tiny-qa/" });
    expect(() => assertModelDirReady(plan)).not.toThrow();
    expect(() => assertModelPrecision(plan, "fp32")).not.toThrow();
    expect(lines.join("\n")).toContain(`is commit ${commit}`);
  });

  it("leaves other sources as they are", async () => {
    const config = parseFleetConfig({ stack: "t", model: { source: "s3://bucket/models/" } });
    expect(await withHubModelImported(config, () => undefined, {})).toBe(config);
  });
});
