import { describe, expect, it } from "vitest";
import { fnv1a32, modelsForShard, repositoryModelNames, shardOwner } from "./shard.js";

const models = repositoryModelNames(3000);

describe("shardOwner", () => {
  it("is stable: the same model and server count always give the same owner", () => {
    expect(models.slice(0, 50).map((m) => shardOwner(m, 7))).toEqual(models.slice(0, 50).map((m) => shardOwner(m, 7)));
    // Pinned values: a change to the hash would silently re-shard deployed fleets.
    expect(fnv1a32("model0")).toBe(1293426960);
    expect([0, 1, 2, 3, 4, 5].map((i) => shardOwner(`model${i}`, 4))).toEqual([1, 3, 0, 3, 1, 1]);
  });

  it("spreads models evenly (each of 8 servers within 20% of its fair share)", () => {
    const counts = new Array<number>(8).fill(0);
    for (const model of models) counts[shardOwner(model, 8)]!++;
    for (const count of counts) expect(Math.abs(count - 3000 / 8)).toBeLessThan(0.2 * (3000 / 8));
  });

  it.each([1, 2, 4, 9])("moves only the new server's ~1/n of models when going from %i to n+1 servers", (before) => {
    const after = before + 1;
    const moved = models.filter((m) => shardOwner(m, before) !== shardOwner(m, after));
    // Every model that moved went to the new server; none moved between old servers.
    expect(moved.every((m) => shardOwner(m, after) === before)).toBe(true);
    expect(moved.length / models.length).toBeGreaterThan(0.7 / after);
    expect(moved.length / models.length).toBeLessThan(1.3 / after);
  });

  it("rejects a server count that is not a positive whole number", () => {
    expect(() => shardOwner("model0", 0)).toThrow(/at least 1/);
  });
});

describe("modelsForShard", () => {
  it("partitions the models: every model in exactly one shard, order kept", () => {
    const shards = [0, 1, 2].map((i) => modelsForShard(models, i, 3));
    expect(shards.flat().sort()).toEqual([...models].sort());
    for (const shard of shards) expect(shard).toEqual(models.filter((m) => shard.includes(m)));
  });

  it("rejects an index outside 0..n-1", () => {
    expect(() => modelsForShard(models, 3, 3)).toThrow(/from 0 to 2/);
  });
});
