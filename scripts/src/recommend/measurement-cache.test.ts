// What makes a saved measurement stale, and what does not.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadStackConfig } from "@inference-fleet/fleet-config";
import { describe, expect, it } from "vitest";
import { fakeResult } from "../matrix/test-fixtures.js";
import { MeasurementCache, measurementKey } from "./measurement-cache.js";

const config = loadStackConfig("c7g", { env: {} });
const versions = { "model-server": "0.1.0", "neuron-server": "0.1.0" };
const key = measurementKey(config, "aws", versions);

describe("measurementKey", () => {
  it.each([
    ["another model commit", measurementKey({ ...config, model: { ...config.model, source: "hf://org/name@b" } }, "aws", versions)],
    ["another server version", measurementKey(config, "aws", { ...versions, "model-server": "0.2.0" })],
    ["another server setting", measurementKey({ ...config, server: { ...config.server, maxBatch: 8 } }, "aws", versions)],
    ["another machine", measurementKey(config, "local x64 2 x Some CPU", versions)],
  ])("changes with %s", (_what, other) => expect(other).not.toBe(key));

  it("does not change with the stack's name or the rate to size for", () => {
    const renamed = { ...config, stack: "rec-c7g-fp32-2", loadTest: { ...config.loadTest, sizing: { forRate: 123, headroom: 0.3 } } };
    expect(measurementKey(renamed, "aws", versions)).toBe(key);
  });
});

describe("MeasurementCache", () => {
  it("reads back what it wrote, and nothing for a key never written", async () => {
    const cache = new MeasurementCache(mkdtempSync(path.join(tmpdir(), "recommend-cache-")));
    const result = fakeResult({ requests: 10 });
    cache.write(key, { result, seconds: 12, usd: 0.5, measuredAt: result.endTime }, "c7g.4xlarge fp32");
    expect(await cache.read(key)).toEqual({ result, seconds: 12, usd: 0.5, measuredAt: result.endTime, label: "c7g.4xlarge fp32" });
    expect(await cache.read("0".repeat(20))).toBeUndefined();
  });
});
