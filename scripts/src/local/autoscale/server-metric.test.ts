import { describe, expect, it } from "vitest";
import { CounterRates, loadMetricsOf } from "./server-metric.js";

describe("loadMetricsOf", () => {
  it("reads the queue depth summed over sessions and the inference requests answered, each undefined when not exported", () => {
    const text = [
      "model_server_requests_in_flight 3",
      'model_server_queue_depth{session="a"} 2',
      'model_server_queue_depth{session="b"} 1',
      'model_server_requests_total{route="/predictions/:model",model="m",status="200"} 120',
      'model_server_requests_total{route="/health",model="-",status="200"} 9',
    ].join("\n");
    expect(loadMetricsOf(text)).toEqual({ queueDepth: 3, requests: 120 });
    expect(loadMetricsOf("model_server_queue_depth_other 3\n")).toEqual({ queueDepth: undefined, requests: undefined });
  });
});

describe("CounterRates", () => {
  it("gives the per-second rate between successive readings of a server, none at its first", () => {
    const rates = new CounterRates();
    expect(rates.update("a", 100, 1000)).toBeUndefined();
    expect(rates.update("a", 250, 2000)).toBe(150);
    // Half a second: 40 requests are 80 req/s.
    expect(rates.update("a", 290, 2500)).toBe(80);
    expect(rates.update("b", 5, 2500)).toBeUndefined();
  });

  it("starts afresh after a counter reset, and for a server it stopped reading", () => {
    const rates = new CounterRates();
    rates.update("a", 500, 0);
    expect(rates.update("a", 20, 1000)).toBeUndefined();
    expect(rates.update("a", 70, 2000)).toBe(50);
    rates.keepOnly(["b"]);
    expect(rates.update("a", 200, 3000)).toBeUndefined();
  });
});
