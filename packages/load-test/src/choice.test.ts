import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { repositoryModelNames, shardOwner } from "@inference-fleet/fleet-config";
import { chooseIndex, createPicker, cumulativeWeights } from "./choice.js";

/** A seeded random source so counts are reproducible. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe("createPicker", () => {
  it("visits every (server, model) pair in order in seq mode", () => {
    const pick = createPicker({ targetCount: 2, modelCount: 3, sequential: true });
    expect([0, 1, 2, 3, 4, 5, 6].map((i) => pick(i, Math.random))).toEqual([
      { target: 0, model: 0 },
      { target: 0, model: 1 },
      { target: 0, model: 2 },
      { target: 1, model: 0 },
      { target: 1, model: 1 },
      { target: 1, model: 2 },
      { target: 0, model: 0 },
    ]);
  });

  it("spreads random picks evenly over servers and models", () => {
    const pick = createPicker({ targetCount: 3, modelCount: 4, sequential: false });
    const random = seeded(7);
    const counts = new Map<string, number>();
    for (let i = 0; i < 24_000; i++) {
      const { target, model } = pick(i, random);
      counts.set(`${target}/${model}`, (counts.get(`${target}/${model}`) ?? 0) + 1);
    }
    expect(counts.size).toBe(12);
    for (const n of counts.values()) expect(Math.abs(n - 2000)).toBeLessThan(200);
  });

  it("makes model k about 1/(k+1) as popular as model0 under Zipf (s = 1)", () => {
    const pick = createPicker({ targetCount: 1, modelCount: 5, sequential: false, distribution: "zipf", zipfS: 1 });
    const random = seeded(11);
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < 50_000; i++) counts[pick(i, random).model]! += 1;
    for (let k = 1; k < 5; k++) expect(counts[k]! / counts[0]!).toBeCloseTo(1 / (k + 1), 1);
  });

  it("rejects an empty target or model list", () => {
    expect(() => createPicker({ targetCount: 0, modelCount: 1, sequential: false })).toThrow(/at least one target/);
  });
});

describe("chooseIndex", () => {
  it("always returns a valid index whose cumulative weight exceeds u", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.double({ min: 0, max: 3, noNaN: true }),
        (n, u, s) => {
          const cumulative = cumulativeWeights(n, "zipf", s);
          const k = chooseIndex(cumulative, u);
          expect(k).toBeGreaterThanOrEqual(0);
          expect(k).toBeLessThan(n);
          expect(u).toBeLessThan(cumulative[k]!);
          if (k > 0) expect(u).toBeGreaterThanOrEqual(cumulative[k - 1]!);
        },
      ),
    );
  });
});

describe("shard routing", () => {
  const models = repositoryModelNames(200);

  it("sends every request for a model to the server that owns it, by the shared hash", () => {
    const pick = createPicker({ targetCount: 3, modelCount: models.length, sequential: false, distribution: "zipf", zipfS: 1.1, routing: "shard", models });
    const random = seeded(5);
    const seen = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const { target, model } = pick(i, random);
      expect(target).toBe(shardOwner(models[model]!, 3));
      seen.add(target);
    }
    expect(seen.size).toBe(3);
  });

  it("keeps the Zipf popularity of models (model0 about 1/H(200, 1.1) of requests)", () => {
    const pick = createPicker({ targetCount: 2, modelCount: models.length, sequential: false, distribution: "zipf", zipfS: 1.1, routing: "shard", models });
    const random = seeded(9);
    let first = 0;
    for (let i = 0; i < 20_000; i++) if (pick(i, random).model === 0) first++;
    const harmonic = models.reduce((sum, _m, k) => sum + 1 / Math.pow(k + 1, 1.1), 0);
    expect(first / 20_000).toBeCloseTo(1 / harmonic, 1);
  });

  it("in seq mode visits every model once per cycle, each at its owner", () => {
    const pick = createPicker({ targetCount: 4, modelCount: models.length, sequential: true, routing: "shard", models });
    const picks = models.map((_m, i) => pick(i, Math.random));
    expect(picks.map((p) => p.model)).toEqual(models.map((_m, i) => i));
    expect(picks.map((p) => p.target)).toEqual(models.map((m) => shardOwner(m, 4)));
  });

  it("asks for the model names it needs", () => {
    expect(() => createPicker({ targetCount: 2, modelCount: 3, sequential: false, routing: "shard" })).toThrow(/needs the model names/);
  });
});
