import { describe, expect, it, vi } from "vitest";
import { AbandonedBodies } from "./abandoned-bodies.js";

describe("AbandonedBodies", () => {
  it("collects once, a second after a burst that adds up to the threshold, and not for less", () => {
    vi.useFakeTimers();
    try {
      const collect = vi.fn();
      const bodies = new AbandonedBodies(collect, 1000);
      bodies.note(400);
      vi.advanceTimersByTime(5000);
      expect(collect).not.toHaveBeenCalled();
      for (let i = 0; i < 10; i++) bodies.note(400);
      vi.advanceTimersByTime(999);
      expect(collect).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(collect).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("turns on V8's full collection without --expose-gc", () => {
    expect(() => new AbandonedBodies().note(0)).not.toThrow();
  });
});
