import { loadStackConfig } from "@inference-fleet/fleet-config";
import { LatencyHistogram, sloOfConfig, type LoadProgress, type LoadTestResult } from "@inference-fleet/load-test";
import { describe, expect, it, vi } from "vitest";
import { capacitySettings, holdLostCheck } from "./capacity-run.js";

const dev = loadStackConfig("dev", { env: {} });
const FROM_MS = 1_800_000_000_000;

/** One measured second of 100 answers, each `ms` long. */
function second(index: number, ms: number): LoadTestResult["series"][number] {
  const latency = new LatencyHistogram();
  for (let i = 0; i < 100; i++) latency.record(ms);
  return { second: FROM_MS / 1000 + index, requests: 100, errors: 0, latency: latency.toJSON() };
}

/** A hold's progress `atSeconds` into its measured window: seconds 0-5 answered in 5 ms, then `slow` seconds in 500 ms. */
function progress(slow: number, atSeconds: number): LoadProgress {
  const series = [...Array.from({ length: 6 }, (_, i) => second(i, 5)), ...Array.from({ length: slow }, (_, i) => second(6 + i, 500))];
  return {
    elapsedSeconds: series.length,
    requests: 100 * series.length,
    requestsPerSecond: 100,
    p90Ms: 5,
    errors: 0,
    warmingUp: false,
    measuredFromMs: FROM_MS,
    atMs: FROM_MS + atSeconds * 1000,
    series: () => series,
  };
}

describe("holdLostCheck", () => {
  // dev: 60 s holds of 2 s windows, so 3 of 30 windows may break.
  const settings = capacitySettings(dev);
  const slo = sloOfConfig(dev);

  it("cuts a hold once a 4th finished window broke the SLO, counting only windows that finished", () => {
    const lost = holdLostCheck(settings, 100, slo);
    // 12 s in: windows 0-4 finished (the 6th still filling); 2 broke (seconds 6-9).
    expect(lost(progress(6, 12))).toBe(false);
    // 16 s in: windows 0-6 finished; 4 broke (seconds 6-13).
    expect(lost(progress(10, 16))).toBe(true);
    // Seconds in which nothing was answered break their windows too: a stalled fleet is lost.
    expect(lost(progress(0, 12))).toBe(false);
    expect(lost(progress(0, 16))).toBe(true);
  });

  it("reads time from the run's own clock, not this process's wall clock", () => {
    // Calm so far, 6 s in: not lost, however far Date.now() has drifted from the run's clock.
    vi.useFakeTimers({ now: FROM_MS + 60_000 });
    try {
      expect(holdLostCheck(settings, 100, slo)(progress(0, 6))).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});
