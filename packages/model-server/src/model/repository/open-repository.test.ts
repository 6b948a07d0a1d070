import { modelsForShard } from "@inference-fleet/fleet-config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveServerSettings } from "../../config/settings.js";
import { ServerMetrics } from "../../http/server-metrics.js";
import { openModelRepository } from "./open-repository.js";
import { generateTinyRepository } from "../../testing/model-repository.js";
import { silentLogger } from "../../testing/tiny-model.js";

let repo: Awaited<ReturnType<typeof generateTinyRepository>>;
beforeAll(async () => {
  repo = await generateTinyRepository(5);
});
afterAll(() => repo?.cleanup());

describe("repository settings", () => {
  it("reads MODEL_REPO, MAX_RESIDENT_MB, SERVER_INDEX and NUM_SERVERS", () => {
    const settings = resolveServerSettings({ env: { MODEL_REPO: "/models", MAX_RESIDENT_MB: "900", SERVER_INDEX: "2", NUM_SERVERS: "3" } });
    expect(settings).toMatchObject({ modelRepo: "/models", maxResidentMb: 900, serverIndex: 2, numServers: 3 });
    expect(resolveServerSettings({})).toMatchObject({ maxResidentMb: 1024, serverIndex: 0, numServers: 1 });
  });

  it("rejects a shard index outside 0..NUM_SERVERS-1, naming both variables", () => {
    expect(() => resolveServerSettings({ env: { SERVER_INDEX: "3", NUM_SERVERS: "3" } })).toThrow(/SERVER_INDEX.*less than numServers \(NUM_SERVERS\) 3/);
  });
});

describe("openModelRepository", () => {
  it("serves only this server's shard, by the fleet's shared hash", async () => {
    const shards = await Promise.all(
      [0, 1].map((serverIndex) =>
        openModelRepository(
          { ...resolveServerSettings({ env: { SERVER_INDEX: String(serverIndex), NUM_SERVERS: "2" } }), threads: 1, modelRepo: repo.root },
          new ServerMetrics(),
          silentLogger,
        ),
      ),
    );
    expect(shards.map((shard) => shard.names())).toEqual([modelsForShard(repo.names, 0, 2), modelsForShard(repo.names, 1, 2)]);
    expect(shards.flatMap((shard) => shard.names()).sort()).toEqual([...repo.names].sort());
    await Promise.all(shards.map((shard) => shard.close()));
  });
});
