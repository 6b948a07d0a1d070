import { parseFleetConfig } from "@inference-fleet/fleet-config";
import { describe, expect, it } from "vitest";
import { fleetLoadOptions } from "./load-options.js";

describe("fleetLoadOptions", () => {
  const fleet = { targets: ["http://127.0.0.1:8080"], models: ["model0"] };

  it.each([
    [{}, undefined],
    [{ texts: "single" }, "single"],
    [{ texts: "pair" }, "pair"],
  ])("passes loadTest %o on as texts %s (absent: GET with the server's default texts)", (loadTest, texts) => {
    expect(fleetLoadOptions(parseFleetConfig({ loadTest }), fleet, { mode: "bmk" }).texts).toBe(texts);
  });
});
