import { describe, expect, it } from "vitest";
import { BodyBudget } from "./body-budget.js";

describe("BodyBudget", () => {
  it("admits bodies up to its bytes, refuses the next, and admits again once one is released", () => {
    const budget = new BodyBudget(100);
    expect(budget.tryReserve(60)).toBe(true);
    expect(budget.tryReserve(40)).toBe(true);
    expect(budget.tryReserve(1)).toBe(false);
    budget.release(40);
    expect(budget.bytesInFlight).toBe(60);
    expect(budget.tryReserve(30)).toBe(true);
  });

  it("always admits a body when none is in flight, so a budget below one body cannot refuse every request", () => {
    const budget = new BodyBudget(10);
    expect(budget.tryReserve(50)).toBe(true);
    expect(budget.tryReserve(1)).toBe(false);
    budget.release(50);
    expect(budget.tryReserve(50)).toBe(true);
  });
});
