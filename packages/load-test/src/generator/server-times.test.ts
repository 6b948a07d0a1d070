import { describe, expect, it } from "vitest";
import { queueDepthOf } from "./server-times.js";

describe("queueDepthOf", () => {
  it("sums model_server_queue_depth over sessions, and says when a server exports none", () => {
    const text = '# TYPE model_server_queue_depth gauge\nmodel_server_queue_depth{session="s0"} 3\nmodel_server_queue_depth{session="s1"} 2\nother 9\n';
    expect(queueDepthOf(text)).toBe(5);
    expect(queueDepthOf("other 1\n")).toBeUndefined();
  });
});
