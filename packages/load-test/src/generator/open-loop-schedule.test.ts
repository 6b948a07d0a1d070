import { describe, expect, it } from "vitest";
import { openLoopSchedule } from "./run-load.js";

describe("openLoopSchedule", () => {
  it("sends at the rate from the start without a warm-up", () => {
    const due = openLoopSchedule(100, 0);
    expect([0, 1, 100].map(due)).toEqual([0, 10, 1000]);
  });

  it("ramps from a tenth of the rate to the rate over the warm-up, then holds the rate", () => {
    const rate = 1000;
    const warmup = 5;
    const due = openLoopSchedule(rate, warmup);
    const sentBy = (ms: number) => {
      let n = 0;
      while (due(n) <= ms) n++;
      return n;
    };
    // Over the warm-up: the mean of 100 and 1,000 req/s for 5 s.
    expect(sentBy(warmup * 1000)).toBeCloseTo(((100 + 1000) / 2) * warmup, -1);
    // The first second at about 190 req/s (100 rising to 280), not 1,000.
    expect(sentBy(1000)).toBeLessThan(200);
    // After the warm-up, exactly the rate: 1,000 more in the next second.
    expect(sentBy(warmup * 1000 + 1000) - sentBy(warmup * 1000)).toBeCloseTo(rate, -1);
    // Due times only move forward.
    for (let n = 1; n < 6000; n++) expect(due(n)).toBeGreaterThan(due(n - 1));
  });
});
