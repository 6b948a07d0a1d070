import { shardOwner } from "@inference-fleet/fleet-config";
import { describe, expect, it } from "vitest";
import { describeExecutionProviders, executionProviderFromMetadata, executionProvidersOf, metadataModels, metadataUrl } from "./servers.js";

describe("metadataModels", () => {
  const targets = ["http://s0:8080", "http://s1:8080", "http://s2:8080"];
  const models = Array.from({ length: 30 }, (_, i) => `model${i}`);

  it("asks every server about the first model when every server serves every model", () => {
    expect(metadataModels(targets, models)).toEqual(["model0", "model0", "model0"]);
  });

  it("asks each server about a model it owns under shard routing", () => {
    const asked = metadataModels(targets, models, "shard");
    expect(asked.map((model) => shardOwner(model, targets.length))).toEqual([0, 1, 2]);
  });

  it("falls back to the first model for a server that owns none", () => {
    // One model on two servers: one of them owns nothing, and a 404 from it would mean "unknown".
    expect(metadataModels(targets.slice(0, 2), ["model0"], "shard")).toEqual(["model0", "model0"]);
  });

  it("builds the Open Inference Protocol's metadata URL", () => {
    expect(metadataUrl("http://s0:8080/", "my model")).toBe("http://s0:8080/v2/models/my%20model");
  });
});

describe("executionProviderFromMetadata", () => {
  it.each([
    [200, '{"name":"model0","parameters":{"execution_provider":"cuda"}}', "cuda"],
    [200, '{"name":"model0","parameters":{"max_sequence_length":128}}', undefined],
    [200, '{"parameters":{"execution_provider":7}}', undefined],
    [200, "not json", undefined],
    [200, "null", undefined],
    [200, null, undefined],
    [404, '{"parameters":{"execution_provider":"cuda"}}', undefined],
    [0, "", undefined],
  ])("status %i with body %s -> %s", (status, body, provider) => {
    expect(executionProviderFromMetadata(status, body)).toBe(provider);
  });
});

describe("executionProvidersOf and describeExecutionProviders", () => {
  it("maps each target to its provider, undefined where unknown", () => {
    const servers = [{ target: "http://a", executionProvider: "cuda" }, { target: "http://b" }];
    expect(executionProvidersOf({ servers })).toEqual(
      new Map([
        ["http://a", "cuda"],
        ["http://b", undefined],
      ]),
    );
  });

  it.each([
    [[], "not recorded"],
    [[{ target: "a", executionProvider: "cpu" }], "cpu on 1 of 1 server"],
    [
      [
        { target: "a", executionProvider: "cuda" },
        { target: "b", executionProvider: "cuda" },
      ],
      "cuda on 2 of 2 servers",
    ],
    [
      [
        { target: "a", executionProvider: "cpu" },
        { target: "b", executionProvider: "cuda" },
        { target: "c", executionProvider: "cuda" },
      ],
      "cuda on 2 of 3 servers, cpu on 1 of 3 servers",
    ],
    [[{ target: "a" }, { target: "b", executionProvider: "cuda" }], "unknown on 1 of 2 servers, cuda on 1 of 2 servers"],
  ])("describes %o as %s", (servers, text) => {
    expect(describeExecutionProviders({ servers })).toBe(text);
  });
});

describe("the model precision servers report", () => {
  it("is read from the same metadata answer as the provider, kept through merges, and described", async () => {
    const { mergeServers, serverInfoFromMetadata, describePrecisions } = await import("./servers.js");
    const body = JSON.stringify({ name: "model0", parameters: { execution_provider: "cpu", precision: "int8" } });
    const a = serverInfoFromMetadata("http://a", 200, body);
    expect(a).toEqual({ target: "http://a", executionProvider: "cpu", precision: "int8" });
    expect(serverInfoFromMetadata("http://b", 404, body)).toEqual({ target: "http://b" });
    const merged = mergeServers([[{ target: "http://a" }], [a], [{ target: "http://b", precision: "fp32" }]]);
    expect(merged).toEqual([a, { target: "http://b", precision: "fp32" }]);
    expect(describePrecisions({ servers: merged })).toBe("int8 on 1 of 2 servers, fp32 on 1 of 2 servers");
  });
});
