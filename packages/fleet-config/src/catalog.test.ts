import { describe, expect, it } from "vitest";
import { getInstanceType, knownInstanceTypes, PRICE_SOURCE, usdPerMillionInferences } from "./index.js";

describe("instance-type catalog", () => {
  it.each(["c5", "c6i", "c7i", "c7g", "c8g", "m7i", "g4dn", "g5", "g6", "inf1", "inf2"])("has the %s family with positive facts", (family) => {
    const types = knownInstanceTypes().filter((name) => name.startsWith(`${family}.`));
    expect(types.length).toBeGreaterThan(0);
    for (const name of types) {
      const facts = getInstanceType(name);
      expect(facts.vcpu).toBeGreaterThan(0);
      expect(facts.memoryGiB).toBeGreaterThan(0);
      expect(facts.onDemandUsdPerHour).toBeGreaterThan(0);
    }
  });

  it("knows accelerators and architectures", () => {
    expect(getInstanceType("g5.xlarge").accelerator).toEqual({ kind: "nvidia", model: "A10G", count: 1, memoryGiB: 24, coresPerDevice: 1 });
    expect(getInstanceType("inf2.48xlarge").accelerator).toMatchObject({ kind: "neuron", count: 12 });
    expect(getInstanceType("c7g.xlarge")).toMatchObject({ arch: "arm64", accelerator: null });
    expect(getInstanceType("c7i.xlarge").arch).toBe("x86_64");
  });

  it.each([
    ["c7i.xlarge", true],
    ["m7i.large", true],
    ["c6i.large", true],
    ["c7g.xlarge", true],
    ["c8g.large", true],
    ["c5.large", false],
    ["g5.xlarge", false],
    ["inf2.xlarge", false],
  ])("knows whether %s's CPU sums int8 dot products in 32 bits (%s)", (name, expected) => {
    expect(getInstanceType(name as string).cpu.int8DotProduct).toBe(expected);
  });

  it("prices scale with size within a family", () => {
    expect(getInstanceType("c7i.2xlarge").onDemandUsdPerHour).toBeCloseTo(2 * getInstanceType("c7i.xlarge").onDemandUsdPerHour, 6);
  });

  it("rejects an unknown type listing the known ones", () => {
    expect(() => getInstanceType("c7i.larg")).toThrow(/Unknown instance type "c7i\.larg"\. Did you mean "c7i\.large", /);
    expect(() => getInstanceType("z9.mega")).toThrow(/Unknown instance type "z9\.mega"\. Known families: c5 \(large, xlarge, .*\); .*inf2 \(xlarge, 8xlarge/);
  });

  it("names where and when prices were taken", () => {
    expect(PRICE_SOURCE.region).toBe("us-east-1");
    expect(PRICE_SOURCE.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it("computes USD per million inferences", () => {
    // 0.1785 $/h at 1000 req/s: 3.6M inferences per hour.
    expect(usdPerMillionInferences("c7i.xlarge", 1000)).toBeCloseTo(0.1785 / 3.6, 6);
    expect(usdPerMillionInferences("c7i.xlarge", 1000, 2)).toBeCloseTo((2 * 0.1785) / 3.6, 6);
    expect(usdPerMillionInferences("c7i.xlarge", 0)).toBe(Number.POSITIVE_INFINITY);
  });
});
