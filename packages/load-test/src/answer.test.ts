import { describe, expect, it } from "vitest";
import { answerError, isAnswerError, MAX_ANSWER_BYTES } from "./answer.js";
import { k6ResponseErrorKind } from "./k6/metrics.js";

describe("answerError: the one rule for a 2xx body", () => {
  it.each([
    ['{"detail":"Paris"}', 18, "18", null],
    ['{"detail":"Paris"}', 18, undefined, null],
    ['{"detail":"Par', 14, "18", "length_mismatch"],
    ['{"detail":"Paris"}', 18, "30", "length_mismatch"],
    ["<html>", 6, "6", "bad_body"],
    ['{"error":"no detail"}', 21, "21", "bad_body"],
    ["null", 4, "4", "bad_body"],
    ["", 0, "0", "bad_body"],
    ["x", MAX_ANSWER_BYTES + 1, undefined, "body_too_large"],
  ])("%j (%d bytes, Content-Length %s) -> %s", (body, bytes, length, kind) => {
    expect(answerError(body, bytes, length)).toBe(kind);
  });

  it("tells answer errors from the other kinds", () => {
    expect(["truncated_body", "length_mismatch", "body_too_large", "bad_body"].every(isAnswerError)).toBe(true);
    expect([null, "http_503", "timeout", "connection"].some(isAnswerError)).toBe(false);
  });
});

describe("k6ResponseErrorKind", () => {
  const ok = (body: string, headers: Record<string, string>) => ({ status: 200, error_code: 0, body, headers });

  it("counts Content-Length in UTF-8 bytes, as the server sent them, not in characters", () => {
    const body = '{"detail":"Zürich 東京 🚀"}';
    expect(k6ResponseErrorKind(ok(body, { "Content-Length": String(Buffer.byteLength(body)) }))).toBeNull();
    expect(k6ResponseErrorKind(ok(body, { "Content-Length": String(body.length) }))).toBe("length_mismatch");
  });

  it("judges the status first, and a body only for a 2xx", () => {
    expect(k6ResponseErrorKind({ status: 503, error_code: 0, body: '{"detail":"x"}', headers: {} })).toBe("http_503");
    expect(k6ResponseErrorKind({ status: 0, error_code: 1050, body: null, headers: {} })).toBe("timeout");
    expect(k6ResponseErrorKind({ status: 302, error_code: 0, body: "", headers: {} })).toBe("http_other");
    expect(k6ResponseErrorKind(ok("", {}))).toBe("bad_body");
  });
});
