import { describe, expect, it } from "vitest";
import { bestAnswerSpan } from "@inference-fleet/model-server";
import { spanF1 } from "./answer-span.js";
import { LogitsAgreement } from "./logits-agreement.js";

describe("bestAnswerSpan, as fleet model compare uses it", () => {
  it("picks the best start + end inside the context, start <= end, at most 30 tokens", () => {
    const start = [9, 0, 1, 5, 0, 0];
    const end = [9, 0, 3, 0, 0, 2];
    // Index 0 ([CLS]) is outside the context [1, 6); start 3 + end 5 beats start 2 + end 2.
    expect(bestAnswerSpan(start, end, 1, 6)).toMatchObject({ start: 3, end: 5 });
    expect(bestAnswerSpan(start, end, 3, 3)).toBeUndefined();
  });
});

describe("spanF1", () => {
  it.each([
    [{ start: 2, end: 4 }, { start: 2, end: 4 }, 1],
    [{ start: 2, end: 5 }, { start: 4, end: 5 }, (2 * 1 * 0.5) / 1.5],
    [{ start: 2, end: 3 }, { start: 5, end: 6 }, 0],
    [undefined, undefined, 1],
    [{ start: 1, end: 1 }, undefined, 0],
  ])("F1(%o, %o) = %d", (a, b, expected) => {
    expect(spanF1(a, b)).toBeCloseTo(expected, 10);
  });
});

describe("LogitsAgreement", () => {
  it("averages per-pair cosines and keeps the largest absolute error", () => {
    const agreement = new LogitsAgreement();
    agreement.add([[1, 0]], [[1, 0]]);
    agreement.add([[1, 0]], [[0, 2]]);
    expect(agreement.result()).toEqual({ meanCosine: 0.5, minCosine: 0, maxAbsError: 2, maxAbsLogit: 1 });
  });

  it("counts NaN logits as an infinite error", () => {
    const agreement = new LogitsAgreement();
    agreement.add([[1, 2]], [[Number.NaN, 2]]);
    expect(agreement.result().maxAbsError).toBe(Number.POSITIVE_INFINITY);
  });
});
