import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateTinyModel } from "../testing/tiny-model.js";
import { createSession } from "./load-model.js";

let model: Awaited<ReturnType<typeof generateTinyModel>>;
beforeAll(async () => {
  model = await generateTinyModel();
});
afterAll(async () => {
  await model?.cleanup();
});

describe("createSession", () => {
  it("names the provider it got: cpu when only cpu was asked for", async () => {
    const session = await createSession(`${model.dir}/model.onnx`, { threads: 1, executionProviders: ["cpu"] }, () => {});
    expect(session.executionProvider).toBe("cpu");
    await session.release();
  });

  it("falls back to cpu, saying so, when the cuda execution provider cannot start (no GPU libraries here)", async () => {
    const warnings: string[] = [];
    const session = await createSession(`${model.dir}/model.onnx`, { threads: 1, executionProviders: ["cuda", "cpu"] }, (message) => warnings.push(message));
    expect(warnings).toEqual([expect.stringMatching(/could not start the cuda,cpu execution providers .*falling back to cpu/)]);
    expect(session.inputNames).toContain("input_ids");
    expect(session.executionProvider).toBe("cpu");
    await session.release();
  });
});
