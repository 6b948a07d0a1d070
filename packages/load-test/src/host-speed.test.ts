import { describe, expect, it } from "vitest";
import { describeHostSpeed, hostSpeed, hostSpeedWindows } from "./host-speed.js";

describe("the machine's own speed", () => {
  it("counts the fixed work per window on every core; one probe gives one figure", { timeout: 20_000 }, async () => {
    const seen: number[] = [];
    const rates = await hostSpeedWindows(1, 0.5, { warmupSeconds: 0.1, onWindow: (rate) => seen.push(rate) });
    expect(rates).toHaveLength(2);
    expect(seen).toEqual(rates);
    for (const rate of rates) expect(rate).toBeGreaterThan(0);
    // The same machine a moment later: not equal (it is a measurement), but of the same order.
    const rate = await hostSpeed(0.5);
    expect(rate / rates[0]!).toBeGreaterThan(0.1);
    expect(rate / rates[0]!).toBeLessThan(10);
  });

  it("refuses a probe shorter than its window", async () => {
    await expect(hostSpeedWindows(0.5, 1)).rejects.toThrow(/at least one window: got 0.5 s in windows of 1 s/);
  });

  it("says how far the machine moved, and only warns past 10%", () => {
    expect(describeHostSpeed({ before: 300_000, after: 363_000, probeSeconds: 3 })).toBe(
      "this machine's own speed moved +21% between the start and the end of the run (3 s of fixed work on every core before and after): " +
        "the capacity repeats no better than the machine does; measure again on a quieter one, or compare runs made side by side",
    );
    expect(describeHostSpeed({ before: 300_000, after: 240_000, probeSeconds: 3 })).toMatch(/^this machine's own speed moved -20% between/);
    expect(describeHostSpeed({ before: 300_000, after: 285_000, probeSeconds: 2 })).toBe(
      "this machine's own speed held within 10% over the run (-5%; 2 s of fixed work on every core before and after)",
    );
  });
});
