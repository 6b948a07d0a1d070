import { describe, expect, it } from "vitest";
import { ConnectBackoff } from "./backoff.js";

/**
 * `workers` closed-loop workers on a fake clock against a server that refuses every connection
 * (each attempt fails 1 ms after it goes out) for `seconds`: returns the attempt times.
 */
function attemptsAgainstDeadServer(backoff: ConnectBackoff, workers: number, seconds: number): number[] {
  const attempts: number[] = [];
  const nextAt = Array.from({ length: workers }, () => 0);
  let failingAt: number[] = [];
  for (let now = 0; now < seconds * 1000; now += 1) {
    for (const at of failingAt.filter((t) => t <= now)) backoff.failed(at);
    failingAt = failingAt.filter((t) => t > now);
    for (let w = 0; w < workers; w++) {
      if (nextAt[w]! > now) continue;
      const wait = backoff.waitMs(now);
      if (wait > 0) {
        nextAt[w] = now + wait;
        continue;
      }
      attempts.push(now);
      failingAt.push(now + 1);
      nextAt[w] = now + 2;
    }
  }
  return attempts;
}

describe("ConnectBackoff (fake clock)", () => {
  it("bounds the attempt rate against a dead server: doubling waits up to the cap, one probe at a time", () => {
    const attempts = attemptsAgainstDeadServer(new ConnectBackoff({ initialMs: 10, maxMs: 1000 }), 32, 60);
    // 32 attempts at once, then probes at 10, 20, 40, ... 640 ms, then one a second.
    expect(attempts.filter((t) => t === 0)).toHaveLength(32);
    expect(attempts.length).toBeLessThan(32 + 8 + 60);
    const lastTen = attempts.filter((t) => t >= 50_000);
    expect(lastTen.length).toBeGreaterThanOrEqual(9);
    expect(lastTen.length).toBeLessThanOrEqual(11);
    for (let i = 1; i < lastTen.length; i++) expect(lastTen[i]! - lastTen[i - 1]!).toBeGreaterThanOrEqual(1000);
  });

  it("waits longer after each failed probe, and not at all once a request succeeds", () => {
    const backoff = new ConnectBackoff({ initialMs: 10, maxMs: 40 });
    expect(backoff.waitMs(0)).toBe(0);
    backoff.failed(0);
    expect(backoff.waitMs(5)).toBe(5);
    expect(backoff.waitMs(10)).toBe(0); // the probe
    expect(backoff.waitMs(10)).toBeGreaterThan(0); // others wait for its outcome
    backoff.failed(11);
    expect(backoff.waitMs(12)).toBe(19);
    // A request sent before the wait began fails late: the wait does not grow for it.
    backoff.failed(13);
    expect(backoff.waitMs(13)).toBe(18);
    backoff.waitMs(31);
    backoff.failed(31);
    backoff.waitMs(71);
    backoff.failed(71);
    expect(backoff.waitMs(72)).toBe(39); // capped at 40
    backoff.succeeded();
    expect(backoff.active).toBe(false);
    expect(backoff.waitMs(73)).toBe(0);
  });
});
