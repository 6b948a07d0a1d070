import { describe, expect, it } from "vitest";
import { parseFleetConfig } from "../parse.js";
import { SERVER_DOCKERFILES, serverImagePlan } from "./images.js";
import { executionProviderFor, serverImageVariantFor } from "./processor.js";

describe("processor mapping", () => {
  it.each([
    ["cpu", "c7i.large", "cpu", "cpu"],
    ["gpu", "g5.xlarge", "cuda", "gpu"],
    ["inf", "inf2.xlarge", "neuron", "neuron"],
  ] as const)("%s (%s) runs on %s from the %s image", (processor, instanceType, provider, variant) => {
    expect(executionProviderFor(processor)).toBe(provider);
    expect(serverImageVariantFor(processor)).toBe(variant);
    const config = parseFleetConfig({ instanceType });
    expect(config.server.processor).toBe(processor);
    expect(serverImagePlan(config)).toMatchObject({ kind: "build", variant, dockerfile: SERVER_DOCKERFILES[variant] });
  });

  it("builds nothing for a stack that names its own image", () => {
    expect(serverImagePlan(parseFleetConfig({ instanceType: "inf2.xlarge", server: { image: "registry.local/server:1" } }))).toMatchObject({
      kind: "external",
      image: "registry.local/server:1",
    });
  });
});
