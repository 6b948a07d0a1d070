import { describe, expect, it } from "vitest";
import { SeededRandom } from "./prng.js";

function sample(seed: number, count = 100_000, std = 0.02): Float32Array {
  const values = new Float32Array(count);
  new SeededRandom(seed).fillNormal(values, std);
  return values;
}

describe("SeededRandom", () => {
  it("repeats its values for the same seed and differs for neighbouring seeds", () => {
    expect(sample(42, 1000)).toEqual(sample(42, 1000));
    const [a, b] = [sample(42, 1000), sample(43, 1000)];
    expect(a.filter((v, i) => v === b[i]).length).toBeLessThan(10);
  });

  it("draws values with mean 0 and the requested standard deviation, bounded near 3.5 std like a truncated normal", () => {
    const values = sample(1);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
    expect(Math.abs(mean)).toBeLessThan(0.0005);
    expect(std).toBeGreaterThan(0.0195);
    expect(std).toBeLessThan(0.0205);
    expect(Math.max(...values.map(Math.abs))).toBeLessThan(0.02 * 3.5);
  });

  it("rejects seeds that are not non-negative integers", () => {
    expect(() => new SeededRandom(-1)).toThrow(/non-negative integer/);
    expect(() => new SeededRandom(1.5)).toThrow(/non-negative integer/);
  });
});
