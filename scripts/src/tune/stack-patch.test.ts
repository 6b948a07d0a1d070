import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { defaultStacksDir, loadStackConfig } from "@inference-fleet/fleet-config";
import { describe, expect, it } from "vitest";
import { shippedCandidate } from "./candidate.js";
import { changedFields, describeChange, renderTunedStack, tunedStackPath, validateStackText, writeTunedStack } from "./stack-patch.js";

const stacksDir = defaultStacksDir(import.meta.dirname);
const dev = loadStackConfig("dev", { stacksDir, env: {} });
const shipped = shippedCandidate(dev);
const devText = readFileSync(path.join(stacksDir, "Pulumi.dev.yaml"), "utf8");

describe("changedFields", () => {
  it("names only the fields that differ, with their config paths", () => {
    const tuned = { ...shipped, serversPerNode: 1, inferenceWorkers: 0, threads: 2, cpu: "2", maxBatch: 8 };
    expect(changedFields(dev, shipped, tuned).map(describeChange)).toEqual([
      "server.numServers: 2 -> 1",
      "server.maxBatch: 4 -> 8",
      "server.inferenceWorkers: derived -> 0",
      "server.threads: derived -> 2",
      "server.resources.cpu: 1 -> 2",
    ]);
    expect(changedFields(dev, shipped, shipped)).toEqual([]);
  });
});

describe("the tuned stack file", () => {
  const tuned = { ...shipped, serversPerNode: 1, inferenceWorkers: 0, threads: 2, cpu: "2", maxBatch: 8 };
  const changes = changedFields(dev, shipped, tuned);
  const text = renderTunedStack(devText, changes, ["Tuned by fleet tune on a test machine.", "server.maxBatch: 4 -> 8"]);

  it("is the shipped file with only the tuned fields changed, under a header", () => {
    const before = devText.split("\n");
    const after = text.split("\n");
    expect(after[0]).toBe("# Tuned by fleet tune on a test machine.");
    // Every line of the shipped file outside the server block is still there, in order.
    const outsideServer = before.filter((line) => !/^\s{4}(numServers|maxBatch|resources):/.test(line) && line !== "");
    let at = 0;
    for (const line of outsideServer) {
      at = after.indexOf(line, at);
      expect(at, `line kept: ${line}`).toBeGreaterThanOrEqual(0);
    }
    expect(after.indexOf(before[0]!)).toBeGreaterThan(0);
  });

  it("parses through the schema (base + patch) and differs from the shipped config only in the tuned fields", () => {
    const config = validateStackText(text, "dev-tuned", "Pulumi.dev-tuned.yaml");
    expect(config.server).toMatchObject({ numServers: 1, maxBatch: 8, inferenceWorkers: 0, threads: 2, resources: { cpu: "2", memory: "1Gi" } });
    expect({ ...config, stack: "dev", server: dev.server }).toEqual(dev);
  });

  it("is written next to the shipped file and loads as the stack <stack>-tuned", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tune-patch-"));
    copyFileSync(path.join(stacksDir, "Pulumi.dev.yaml"), path.join(dir, "Pulumi.dev.yaml"));
    const file = writeTunedStack(dir, "dev", changes, ["header"]);
    expect(file).toBe(tunedStackPath(dir, "dev"));
    expect(path.basename(file)).toBe("Pulumi.dev-tuned.yaml");
    expect(loadStackConfig("dev-tuned", { stacksDir: dir, env: {} }).server.maxBatch).toBe(8);
  });

  it("removes a field the winner leaves to the server's rule", () => {
    const explicit = renderTunedStack(devText, [{ field: "threads", from: undefined, to: 2 }], []);
    const derived = renderTunedStack(explicit, [{ field: "threads", from: 2, to: undefined }], []);
    expect(validateStackText(derived, "dev-tuned", "derived").server.threads).toBeUndefined();
  });

  it("is refused, and not written, when the tuned fleet does not fit its nodes", () => {
    const tooMany = changedFields(dev, shipped, { ...shipped, serversPerNode: 12, cpu: "1" });
    const dir = mkdtempSync(path.join(tmpdir(), "tune-patch-"));
    copyFileSync(path.join(stacksDir, "Pulumi.dev.yaml"), path.join(dir, "Pulumi.dev.yaml"));
    expect(() => writeTunedStack(dir, "dev", tooMany, [])).toThrow(/does not fit its nodes/);
    expect(() => loadStackConfig("dev-tuned", { stacksDir: dir, env: {} })).toThrow(/No stack file/);
  });
});
