import { describe, expect, it } from "vitest";
import { ServerMetrics } from "./server-metrics.js";

describe("ServerMetrics", () => {
  it("keeps inference latency quantiles as a summary, the metric type CloudWatch's agent keeps (it drops histograms)", async () => {
    const metrics = new ServerMetrics();
    metrics.observeRequest("/predictions/:model", "model0", 200, 0.01);
    metrics.observeRequest("/v2/models/:model/infer", "model0", 200, 0.03);
    metrics.observeRequest("/v2/health/ready", "-", 200, 5);
    const text = await metrics.text();
    expect(text).toContain("# TYPE model_server_request_latency_seconds summary");
    expect(text).toMatch(/model_server_request_latency_seconds\{quantile="0\.9"\} 0\.03/);
    // Health checks are not inference: they do not count toward the SLO's latency.
    expect(text).toMatch(/model_server_request_latency_seconds_count 2\n/);
  });
});
