import { describe, expect, it } from "vitest";
import { bestAnswerSpan } from "./answer-span.js";

describe("bestAnswerSpan", () => {
  it("picks the highest start + end inside the context", () => {
    const start = [9, 0, 1, 5, 0, 0];
    const end = [9, 0, 0, 0, 4, 9];
    // Index 0 ([CLS]) and 5 ([SEP]) score highest but are outside the context [1, 5).
    expect(bestAnswerSpan(start, end, 1, 5)).toEqual({ start: 3, end: 4, score: 9 });
  });

  it("never ends before it starts", () => {
    expect(bestAnswerSpan([0, 0, 9], [0, 9, 1], 0, 3)).toEqual({ start: 2, end: 2, score: 10 });
  });

  it("bounds the answer length", () => {
    const start = [5, 0, 0, 0];
    const end = [0, 0, 0, 5];
    expect(bestAnswerSpan(start, end, 0, 4, 2)).toEqual({ start: 0, end: 0, score: 5 });
  });

  it("is undefined for an empty context", () => {
    expect(bestAnswerSpan([1], [1], 1, 1)).toBeUndefined();
  });
});
