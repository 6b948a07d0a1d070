import { describe, expect, it } from "vitest";
import { inferenceRequestsOf, queueDepthOf } from "./server-times.js";

describe("queueDepthOf", () => {
  it("sums model_server_queue_depth over sessions, and says when a server exports none", () => {
    const text = '# TYPE model_server_queue_depth gauge\nmodel_server_queue_depth{session="s0"} 3\nmodel_server_queue_depth{session="s1"} 2\nother 9\n';
    expect(queueDepthOf(text)).toBe(5);
    expect(queueDepthOf("other 1\n")).toBeUndefined();
  });
});

describe("inferenceRequestsOf", () => {
  it("sums model_server_requests_total over the inference routes, every model and status, and nothing else", () => {
    const text = [
      "# TYPE model_server_requests_total counter",
      'model_server_requests_total{route="/predictions/:model",model="m0",status="200"} 40',
      'model_server_requests_total{route="/v2/models/:model/infer",model="m1",status="503"} 2',
      'model_server_requests_total{model="m0",route="/predictions/:model",status="200"} 3',
      'model_server_requests_total{route="/health",model="-",status="200"} 500',
      'model_server_requests_total{route="unmatched",model="-",status="404"} 7',
      'model_server_requests_total_created{route="/predictions/:model"} 9',
    ].join("\n");
    expect(inferenceRequestsOf(text)).toBe(45);
  });

  it("reads 0 from a server that counts requests but had no inference yet, and nothing without the counter", () => {
    expect(inferenceRequestsOf('model_server_requests_total{route="/health",model="-",status="200"} 5\n')).toBe(0);
    expect(inferenceRequestsOf("model_server_queue_depth 3\n")).toBeUndefined();
  });
});
