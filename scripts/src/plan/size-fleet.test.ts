import { loadStackConfig } from "@inference-fleet/fleet-config";
import { describe, expect, it } from "vitest";
import { HOURS_PER_MONTH } from "@inference-fleet/fleet-config";
import { renderSizing, sizeFleet, type MeasuredCapacity } from "./size-fleet.js";

const c7g = loadStackConfig("c7g", { env: {} });
const measured = (capacityAtSlo: number, nodes = 1): MeasuredCapacity => ({
  capacityAtSlo,
  nodes,
  confirmed: true,
  windows: { low: capacityAtSlo * 0.97, high: capacityAtSlo * 1.02 },
  file: "results/matrix-1/c7g.json",
  measuredAt: "2026-12-01T00:00:00.000Z",
  local: false,
});

describe("sizeFleet", () => {
  it.each([
    // 400 req/s per node, 20% spare: 320 planned; 5,000 / 320 = 15.6 -> 16 nodes of 5 servers.
    [400, 1, 5000, 0.2, 16],
    // Two measured nodes serving 800 together are 400 per node too.
    [800, 2, 5000, 0.2, 16],
    [400, 1, 5000, 0, 13],
    // Exactly full nodes are not rounded up to one more.
    [400, 1, 3200, 0.2, 10],
    [400, 1, 1, 0.2, 1],
  ])("%d req/s on %d node(s) for %d req/s with %d headroom: %d nodes", (capacity, nodes, forRate, headroom, expected) => {
    const sizing = sizeFleet(c7g, measured(capacity, nodes), forRate, headroom);
    expect(sizing).toMatchObject({ nodes: expected, capacityPerNode: capacity / nodes, serversPerNode: 5, servers: expected * 5, instanceType: "c7g.4xlarge" });
    expect(sizing.usdPerHour).toBeCloseTo(expected * 0.58, 6);
    expect(sizing.usdPerMonth).toBeCloseTo(expected * 0.58 * HOURS_PER_MONTH, 6);
  });

  it("refuses a rate or headroom that cannot be sized, and a measurement with no capacity", () => {
    expect(() => sizeFleet(c7g, measured(400), 0, 0.2)).toThrow(/--for-rate must be a positive number/);
    expect(() => sizeFleet(c7g, measured(400), 100, 1)).toThrow(/--headroom must be a share between 0 and 1/);
    expect(() => sizeFleet(c7g, measured(0), 100, 0.2)).toThrow(/holds no capacity for stack c7g: no rate held its SLO/);
  });

  it("answers first: to serve R req/s at p90 <= T, use N x TYPE for $X/month", () => {
    const text = renderSizing(sizeFleet(c7g, measured(400), 5000, 0.2), c7g.loadTest.slo);
    expect(text.split("\n")[0]).toBe("Stack c7g: to serve 5,000 req/s at p90 <= 100 ms, use 16 x c7g.4xlarge for $6,774.40/month ($9.28/h).");
    expect(text).toMatch(/nodes: 16, servers: 80 \(5 per node\)/);
    expect(text).toMatch(/capacity per node: 400 req\/s, windows 388-408 \(confirmed by a sustained hold; measured in the cluster/);
    expect(text).toMatch(/headroom: 20%, so each node is planned at 320 req\/s/);
  });
});
