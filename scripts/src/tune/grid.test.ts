import { loadStackConfig } from "@inference-fleet/fleet-config";
import { describe, expect, it } from "vitest";
import { candidateKey, shippedCandidate, type Placement, type TuneCandidate } from "./candidate.js";
import { coarseGrid, layouts, refineAround, survivors } from "./grid.js";

const dev = loadStackConfig("dev", { env: {} });
const twoCores: Placement = { kind: "local", cpus: 2 };
const shipped = shippedCandidate(dev);

/** Which settings differ from the shipped ones, by the names the grid varies. */
function differences(candidate: TuneCandidate): string[] {
  const layout = (c: TuneCandidate) =>
    candidateKey(dev, { ...shipped, serversPerNode: c.serversPerNode, inferenceWorkers: c.inferenceWorkers, threads: c.threads }, twoCores);
  return [
    layout(candidate) !== layout(shipped) ? "layout" : "",
    candidate.maxBatch !== shipped.maxBatch ? "maxBatch" : "",
    candidate.maxQueueDelayMs !== shipped.maxQueueDelayMs ? "delay" : "",
    candidate.numModels !== shipped.numModels ? "copies" : "",
  ].filter(Boolean);
}

describe("coarseGrid", () => {
  const grid = coarseGrid(dev, twoCores);

  it("starts with the shipped settings and changes one setting at a time from them", () => {
    expect(grid[0]).toEqual(shipped);
    for (const candidate of grid.slice(1)) expect(differences(candidate)).toHaveLength(1);
  });

  it("takes the settings in turn, so the first five points probe every setting", () => {
    expect(new Set(grid.slice(1, 5).flatMap(differences))).toEqual(new Set(["layout", "maxBatch", "delay", "copies"]));
  });

  it("never lists two points that run the same servers (derived workers and threads count as what they derive to)", () => {
    const keys = grid.map((c) => candidateKey(dev, c, twoCores));
    expect(new Set(keys).size).toBe(keys.length);
    // On 2 cores, 2 servers with derived settings run 1 worker x 1 thread each: the shipped point, not a new one.
    expect(keys.filter((k) => k.startsWith("2x1w1t copies 2 batch 4 delay 0"))).toHaveLength(1);
  });
});

describe("layouts", () => {
  it("splits the node's CPUs among the servers and keeps every layout within them", () => {
    for (const layout of layouts(dev, { kind: "local", cpus: 8 })) {
      const perServer = Number(layout.cpu);
      expect(perServer * layout.serversPerNode!).toBeLessThanOrEqual(8);
      expect(layout.threads!).toBeLessThanOrEqual(Math.max(1, perServer));
    }
    expect(new Set(layouts(dev, { kind: "local", cpus: 8 }).map((l) => l.serversPerNode))).toEqual(new Set([1, 2, 4, 8]));
  });

  it("on a cluster, splits what the shipped pods of one node ask for (2 x 1 CPU on dev)", () => {
    expect(layouts(dev, { kind: "cluster" }).map((l) => `${l.serversPerNode}@${l.cpu}`)).toEqual(["2@1", "2@1", "1@2", "1@2", "1@2"]);
  });
});

describe("refineAround", () => {
  const withBatch = { ...shipped, maxBatch: 8 };
  const withLayout = { ...shipped, serversPerNode: 1, inferenceWorkers: 1, threads: 2, cpu: "2" };
  const worse = { ...shipped, maxQueueDelayMs: 5 };
  const scored = [
    { candidate: shipped, capacity: 1000 },
    { candidate: withBatch, capacity: 1100 },
    { candidate: withLayout, capacity: 1300 },
    { candidate: worse, capacity: 700 },
  ];
  const measured = new Set(scored.map((s) => candidateKey(dev, s.candidate, twoCores)));
  const refined = refineAround(dev, twoCores, scored, measured);

  it("first combines the best level of each setting that beat the shipped settings alone", () => {
    expect(refined[0]).toMatchObject({ serversPerNode: 1, inferenceWorkers: 1, threads: 2, maxBatch: 8, maxQueueDelayMs: 0 });
  });

  it("then tries each setting one level either side of the best point, leaving out what was measured", () => {
    const rest = refined.slice(1);
    expect(rest).toContainEqual({ ...withLayout, maxBatch: 2 });
    expect(rest).toContainEqual({ ...withLayout, maxQueueDelayMs: 1 });
    expect(rest).toContainEqual({ ...withLayout, numModels: 1 });
    expect(rest).toContainEqual({ ...withLayout, numModels: 4 });
    for (const candidate of refined) expect(measured.has(candidateKey(dev, candidate, twoCores))).toBe(false);
  });
});

describe("survivors", () => {
  it("keeps the best half, best first, at most the cap", () => {
    const scored = [100, 400, 300, 200, 500].map((capacity) => ({ candidate: { ...shipped, maxBatch: capacity }, capacity }));
    expect(survivors(scored, 5).map((s) => s.capacity)).toEqual([500, 400, 300]);
    expect(survivors(scored, 2).map((s) => s.capacity)).toEqual([500, 400]);
  });
});

describe("shippedCandidate", () => {
  it("refuses a fleet whose servers do not split evenly over its nodes (the search is per node)", () => {
    const uneven = { ...dev, server: { ...dev.server, numServers: 3 }, cluster: { ...dev.cluster, fleetNodes: 2 } };
    expect(() => shippedCandidate(uneven)).toThrow(/numServers \(3\) does not split evenly over cluster.fleetNodes \(2\)/);
  });
});
