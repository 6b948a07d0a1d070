import { parseFleetConfig } from "@inference-fleet/fleet-config";
import { describe, expect, it } from "vitest";
import { acceleratorFallback } from "./accelerator-check.js";

const gpu = parseFleetConfig({ stack: "g5", instanceType: "g5.xlarge" });
const targets = ["http://server0:8080", "http://server1:8080"];

describe("acceleratorFallback", () => {
  it("accepts a gpu stack whose servers all ran on cuda", () => {
    expect(acceleratorFallback(gpu, { targets, servers: targets.map((target) => ({ target, executionProvider: "cuda" })) })).toBeUndefined();
  });

  it("fails a gpu stack with a server that fell back to cpu, naming it", () => {
    const servers = [
      { target: targets[0]!, executionProvider: "cuda" },
      { target: targets[1]!, executionProvider: "cpu" },
    ];
    expect(acceleratorFallback(gpu, { targets, servers })).toMatch(
      /asked for cuda .* but http:\/\/server1:8080 ran on cpu: .*CPU result priced as an accelerator.*allowCpuFallback/,
    );
  });

  it("fails when a server did not say which provider it used", () => {
    expect(acceleratorFallback(gpu, { targets, servers: [{ target: targets[0]!, executionProvider: "cuda" }] })).toMatch(
      /server1:8080 did not report its execution provider/,
    );
  });

  it("lets a stack keep a fallback run when it says so, and asks nothing of cpu stacks", () => {
    const allowed = { ...gpu, server: { ...gpu.server, allowCpuFallback: true } };
    const cpuServers = { targets, servers: targets.map((target) => ({ target, executionProvider: "cpu" })) };
    expect(acceleratorFallback(allowed, cpuServers)).toBeUndefined();
    expect(acceleratorFallback(parseFleetConfig({}), { targets, servers: [] })).toBeUndefined();
  });
});
