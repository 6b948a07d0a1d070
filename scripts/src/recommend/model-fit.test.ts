import { loadStackConfig } from "@inference-fleet/fleet-config";
import { describe, expect, it } from "vitest";
import { modelFitProblem } from "./model-fit.js";

const MIB = 1024 * 1024;
const c7g = loadStackConfig("c7g", { env: {} });

describe("modelFitProblem", () => {
  it("passes a model whose weights fit each server's memory once per session", () => {
    // c7g: 4 copies, separate sessions, 4Gi per server.
    expect(modelFitProblem(c7g, 420 * MIB)).toBeUndefined();
    expect(modelFitProblem(c7g, 1000 * MIB)).toBeUndefined();
  });

  it("refuses one whose weights alone exceed the server's memory, counting a session per copy", () => {
    expect(modelFitProblem(c7g, 1100 * MIB)).toMatch(
      /^does not fit: model\.onnx is 1100 MiB and each server loads it 4 time\(s\), 4400 MiB of weights alone, over server\.resources\.memory 4Gi\./,
    );
    const shared = { ...c7g, server: { ...c7g.server, separateSessions: false } };
    expect(modelFitProblem(shared, 1100 * MIB)).toBeUndefined();
  });

  it("refuses one larger than an accelerator's memory", () => {
    const g5 = loadStackConfig("g5", { env: { FLEET_SERVER_RESOURCES_MEMORY: "64Gi", FLEET_SERVER_NUM_MODELS: "1" } });
    expect(modelFitProblem(g5, 30 * 1024 * MIB)).toMatch(/over the 24 GiB of one A10G\.$/);
  });
});
