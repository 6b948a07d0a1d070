import { describe, expect, it } from "vitest";
import { desiredReplicas, stabilizedReplicas } from "./autoscaling.js";
import { parseFleetConfig } from "./parse.js";

describe("desiredReplicas", () => {
  const base = { target: 2, min: 1, max: 10 };
  it.each([
    { name: "twice the target doubles", current: 2, perPodMetric: [4, 4], want: 4 },
    { name: "rounds up", current: 3, perPodMetric: [3, 3, 2], want: 4 },
    { name: "half the target halves", current: 4, perPodMetric: [1, 1, 1, 1], want: 2 },
    { name: "within the tolerance: no change", current: 3, perPodMetric: [2.1, 2.2, 1.9], want: 3 },
    { name: "idle: down to min", current: 5, perPodMetric: [0, 0, 0, 0, 0], want: 1 },
    { name: "overload: capped at max", current: 2, perPodMetric: [100, 80], want: 10 },
    { name: "no metric: keeps current", current: 3, perPodMetric: [], want: 3 },
  ])("$name", ({ current, perPodMetric, want }) => {
    expect(desiredReplicas({ ...base, current, perPodMetric })).toBe(want);
  });

  it("takes a tolerance", () => {
    expect(desiredReplicas({ ...base, current: 2, perPodMetric: [2.6, 2.6], tolerance: 0.5 })).toBe(2);
    expect(desiredReplicas({ ...base, current: 2, perPodMetric: [2.6, 2.6], tolerance: 0.1 })).toBe(3);
  });

  it("refuses a target of 0 and bounds the wrong way round", () => {
    expect(() => desiredReplicas({ ...base, target: 0, current: 1, perPodMetric: [1] })).toThrow(/target must be above 0/);
    expect(() => desiredReplicas({ ...base, min: 3, max: 2, current: 1, perPodMetric: [1] })).toThrow(/1 <= min <= max/);
  });
});

describe("stabilizedReplicas", () => {
  const history = [
    { atSeconds: 0, replicas: 1 },
    { atSeconds: 10, replicas: 4 },
    { atSeconds: 20, replicas: 2 },
    { atSeconds: 30, replicas: 1 },
  ];
  it("holds the highest recommendation within the window", () => {
    expect(stabilizedReplicas(history, 15, 30)).toBe(2);
    expect(stabilizedReplicas(history, 25, 30)).toBe(4);
    expect(stabilizedReplicas(history, 5, 30)).toBe(1);
  });
  it("ignores recommendations after now and says so when the window is empty", () => {
    expect(stabilizedReplicas(history, 5, 12)).toBe(4);
    expect(stabilizedReplicas([], 60, 0)).toBeUndefined();
  });
});

describe("server.autoscaling in the stack config", () => {
  it("defaults to 1-4 servers at 2 in flight, checked every second, scale-down window 10 s", () => {
    expect(parseFleetConfig({}).server.autoscaling).toEqual({ min: 1, max: 4, targetInFlight: 2, tolerance: 0.1, scaleDownWindow: 10, interval: 1 });
    expect(parseFleetConfig({ server: { autoscaling: { scaleDownWindow: "1m", interval: "500ms" } } }).server.autoscaling).toMatchObject({
      scaleDownWindow: 60,
      interval: 0.5,
    });
  });
  it("refuses max below min with a sentence that says why", () => {
    expect(() => parseFleetConfig({ server: { autoscaling: { min: 3, max: 2 } } })).toThrow(/max must be at least min/);
  });
});
