import { describe, expect, it } from "vitest";
import { ResultRecorder } from "@inference-fleet/load-test";
import { DEFAULT_SLO } from "@inference-fleet/fleet-config";
import { sloMiss } from "./slo-miss.js";

const START = Date.UTC(2026, 0, 1);
const meta = { generator: "local" as const, mode: "bmk" as const, targets: ["http://127.0.0.1:8080"], models: ["model0"], labels: {} };

/** 1,000 requests over 10 s: `slow` of them at 300 ms, the rest at 20 ms, `errors` of them 503s. */
function run({ slow = 0, errors = 0 }): ReturnType<ResultRecorder["finish"]> {
  const recorder = new ResultRecorder(START);
  for (let i = 0; i < 1000; i++) {
    const at = START + i * 10;
    if (i < errors) recorder.recordError("http_503", at);
    else recorder.recordSuccess(i < errors + slow ? 300 : 20, at);
  }
  return recorder.finish(meta, START + 10_000);
}

describe("sloMiss", () => {
  it("says nothing when the run meets its SLO and error budget", () => {
    expect(sloMiss(run({ slow: 50, errors: 5 }), DEFAULT_SLO)).toBeUndefined();
  });

  it("names the percentile that broke and by how much", () => {
    expect(sloMiss(run({ slow: 200 }), DEFAULT_SLO)).toBe("misses its SLO (p90 <= 100 ms, at most 1% errors): p90 was 300.0 ms, over 100 ms.");
  });

  it("names the error share and kinds over the budget, whatever the latency of the successes", () => {
    expect(sloMiss(run({ errors: 800 }), DEFAULT_SLO)).toBe(
      "misses its SLO (p90 <= 100 ms, at most 1% errors): errors were 80.00% of 1000 requests (800 http_503), over the 1.00% budget.",
    );
  });

  it("fails a run in which nothing succeeded", () => {
    expect(sloMiss(run({ errors: 1000 }), DEFAULT_SLO)).toMatch(/no request succeeded \(1000 finished\); errors were 100.00%/);
  });
});
