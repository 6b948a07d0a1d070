import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { applyEnvOverrides, defaultStacksDir, envNameFor, fromNamespacedConfig, listStacks, loadStackConfig } from "./index.js";

const stacksDir = defaultStacksDir(import.meta.dirname);

describe("stack files in stacks/", () => {
  it("has the dev, c7i, c7g, g5 and inf2 stacks", () => {
    expect(listStacks(stacksDir)).toEqual(expect.arrayContaining(["dev", "c7i", "c7g", "g5", "inf2"]));
  });

  it.each(listStacks(stacksDir))("Pulumi.%s.yaml validates", (stack) => {
    const config = loadStackConfig(stack, { stacksDir, env: {} });
    expect(config.stack).toBe(stack);
  });

  it("reads architecture and accelerator per stack", () => {
    expect(loadStackConfig("c7g", { stacksDir, env: {} }).server.cpuArch).toBe("arm64");
    expect(loadStackConfig("g5", { stacksDir, env: {} }).server.processor).toBe("gpu");
    expect(loadStackConfig("inf2", { stacksDir, env: {} }).server.processor).toBe("inf");
  });
});

describe("loading a stack file", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "stacks-"));
  writeFileSync(path.join(dir, "Pulumi.bad.yaml"), "config:\n  aws:region: us-west-2\n  inference-fleet:server:\n    numServers: -1\n");
  writeFileSync(path.join(dir, "Pulumi.ok.yaml"), "config:\n  aws:region: us-west-2\n  aws:profile: ignored\n  inference-fleet:server:\n    numModels: 3\n");

  it("strips the namespaces and keeps aws:region", () => {
    const config = loadStackConfig("ok", { stacksDir: dir, env: {} });
    expect(config.region).toBe("us-west-2");
    expect(config.server.numModels).toBe(3);
  });

  it("names the file and field of a bad value", () => {
    expect(() => loadStackConfig("bad", { stacksDir: dir, env: {} })).toThrow(/Pulumi\.bad\.yaml[\s\S]*server\.numServers/);
  });

  it("lists the known stacks for a missing one", () => {
    expect(() => loadStackConfig("nope", { stacksDir: dir, env: {} })).toThrow(/Known stacks: bad, ok/);
    expect(() => loadStackConfig("okk", { stacksDir: dir, env: {} })).toThrow(/\. Did you mean "ok"\? Known stacks: bad, ok\./);
  });

  it("applies FLEET_* environment overrides through the schema", () => {
    const config = loadStackConfig("ok", {
      stacksDir: dir,
      env: { FLEET_SERVER_NUM_MODELS: "5", FLEET_LOAD_TEST_DURATION: "10s", FLEET_MODEL_PADDING: "fixed" },
    });
    expect(config.server.numModels).toBe(5);
    expect(config.loadTest.duration).toBe(10);
    expect(config.model.padding).toBe("fixed");
    expect(() => loadStackConfig("ok", { stacksDir: dir, env: { FLEET_SERVER_NUM_MODELS: "0" } })).toThrow(/server\.numModels/);
  });

  it("rejects a misspelled override instead of ignoring it", () => {
    expect(() => applyEnvOverrides({}, { FLEET_SERVER_NUM_MODLES: "2" })).toThrow(/Unknown environment override FLEET_SERVER_NUM_MODLES/);
    expect(envNameFor("loadTest.slo.thresholdMs")).toBe("FLEET_LOAD_TEST_SLO_THRESHOLD_MS");
  });

  it("reads Pulumi's allConfig() form, where objects are JSON strings", () => {
    const config = fromNamespacedConfig(
      { "inference-fleet:server": '{"numModels":2}', "inference-fleet:instanceType": "c7g.xlarge", "aws:region": "eu-west-1" },
      "x",
    );
    expect(config).toEqual({ stack: "x", server: { numModels: 2 }, instanceType: "c7g.xlarge", region: "eu-west-1" });
  });
});
