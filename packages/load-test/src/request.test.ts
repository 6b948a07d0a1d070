import { describe, expect, it } from "vitest";
import { buildRequest, DEFAULT_CONTEXT, DEFAULT_QUESTION } from "./request.js";

describe("buildRequest", () => {
  it("sends no body with GET: the server answers its default texts", () => {
    expect(buildRequest("http://h:8080/", "model0")).toEqual({ method: "GET", url: "http://h:8080/predictions/model0", body: undefined, headers: {} });
  });

  it("sends a pair (seq_0 + seq_1) by default with POST", () => {
    expect(JSON.parse(buildRequest("http://h", "m", "POST").body!)).toEqual({ seq_0: DEFAULT_QUESTION, seq_1: DEFAULT_CONTEXT });
  });

  it("sends one sentence (seq_0 alone) for texts single, e.g. to a text-classification model", () => {
    const request = buildRequest("http://h", "m", "POST", "single", "What a lovely day.");
    expect(JSON.parse(request.body!)).toEqual({ seq_0: "What a lovely day." });
    expect(request.headers).toEqual({ "content-type": "application/json" });
  });
});
