import { loadStackConfig, modelsForShard } from "@inference-fleet/fleet-config";
import { resolveServerSettings } from "@inference-fleet/model-server";
import { describe, expect, it } from "vitest";
import { fleetModelNames, serverEnvironment } from "./server-fleet.js";

const many = loadStackConfig("many", { env: {} });

describe("fleet local in repository mode (the many stack)", () => {
  it("starts each server on its shard of the repository, with settings the model server accepts", () => {
    const envs = [0, 1].map((index) => serverEnvironment(many, "/models/many-tiny", 8080 + index, index));
    expect(envs.map((env) => [env.MODEL_REPO, env.SERVER_INDEX, env.NUM_SERVERS, env.MAX_RESIDENT_MB])).toEqual([
      ["/models/many-tiny", "0", "2", "200"],
      ["/models/many-tiny", "1", "2", "200"],
    ]);
    const settings = envs.map((env) => resolveServerSettings({ env }));
    expect(settings.map((s) => [s.modelRepo, s.serverIndex, s.numServers])).toEqual([
      ["/models/many-tiny", 0, 2],
      ["/models/many-tiny", 1, 2],
    ]);
  });

  it("sends the load to every repository model, each one owned by exactly one server", () => {
    const names = fleetModelNames(many);
    expect(names).toHaveLength(40);
    expect([...modelsForShard(names, 0, 2), ...modelsForShard(names, 1, 2)].sort()).toEqual([...names].sort());
  });
});
