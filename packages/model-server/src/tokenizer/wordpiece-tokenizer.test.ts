import { buildTokenizerJson } from "@inference-fleet/model-zoo";
import { describe, expect, it, vi } from "vitest";
import { DEFAULT_CONTEXT, DEFAULT_QUESTION } from "../sample-defaults.js";
import { normalizeBertText } from "./bert-text.js";
import { QuestionTooLongError, WordPieceTokenizer } from "./wordpiece-tokenizer.js";

const tokenizer = WordPieceTokenizer.fromJson(buildTokenizerJson());

// Ids checked by hand against bert-base-uncased's vocab.txt and Hugging Face tokenizers' output.
describe.each([
  ["hello", [7592]],
  ["Hello World", [7592, 2088]],
  ["[CLS]", [101]],
  ["[SEP]", [102]],
  ["hello[SEP]world", [7592, 102, 2088]],
  // Greedy longest-match-first: "una" is in the vocabulary, so it wins over "un" (as the reference does).
  ["unaffable", [14477, 20961, 3468]],
  ["Héllo, World!", [7592, 1010, 2088, 999]],
  ["naïve café", [15743, 7668]],
  ["don't", [2123, 1005, 1056]],
  ["what does the little engine say?", [2054, 2515, 1996, 2210, 3194, 2360, 1029]],
  ["中国人", [1746, 1799, 1756]],
  ["hello中国", [7592, 1746, 1799]],
  ["a\u0001b c\u00a0d", [11113, 1039, 1040]],
  ["", []],
  ["   \t\n ", []],
  ["x".repeat(101), [100]],
])("encodeText(%j)", (text, ids) => {
  it("gives the reference ids", () => {
    expect(tokenizer.encodeText(text)).toEqual(ids);
  });
});

describe("BERT normalization", () => {
  it("lower-cases, strips accents, drops control characters and spaces out CJK ideographs", () => {
    expect(normalizeBertText("ÀB\u200bc\u3000中")).toBe("abc 中");
  });

  it("gives the same words on the ASCII fast path as on the Unicode path", () => {
    const ascii = "Mixed CASE, punctuation... and\ttabs\u0007!";
    // A non-ASCII character at the end forces the Unicode path for the same text.
    expect(tokenizer.encodeText(`${ascii} é`)).toEqual([...tokenizer.encodeText(ascii), tokenizer.encodeText("e")[0]]);
  });

  it("gives a word longer than 100 characters one [UNK] but keeps its neighbours", () => {
    expect(tokenizer.encodeText(`hello ${"a".repeat(150)} world`)).toEqual([7592, 100, 2088]);
  });
});

describe("encodePair", () => {
  it("builds [CLS] question [SEP] context [SEP] with the context span marked", () => {
    const pair = tokenizer.encodePair("hello", "world !", 128);
    expect([...pair.ids]).toEqual([101, 7592, 102, 2088, 999, 102]);
    expect(pair.contextStart).toBe(3);
    expect(pair.contextEnd).toBe(5);
    expect(pair.truncated).toBe(false);
  });

  it("encodes the AWS sample's default pair in 59 tokens", () => {
    const pair = tokenizer.encodePair(DEFAULT_QUESTION, DEFAULT_CONTEXT, 128);
    expect(pair.ids.length).toBe(59);
    expect(tokenizer.decode(pair.ids, pair.contextEnd - 10, pair.contextEnd)).toBe("i think i can , i think i can .");
  });

  it("truncates only the context, to exactly maxSeqLength tokens", () => {
    const pair = tokenizer.encodePair("what is this?", "word ".repeat(10_000), 32);
    expect(pair.ids.length).toBe(32);
    expect(pair.truncated).toBe(true);
    expect([...pair.ids.slice(0, 6)]).toEqual([101, 2054, 2003, 2023, 1029, 102]);
    expect(pair.ids[31]).toBe(102);
    expect(pair.contextEnd).toBe(31);
  });

  it("rejects a question that leaves no room for the context", () => {
    expect(() => tokenizer.encodePair("word ".repeat(29), "context", 32)).toThrow(QuestionTooLongError);
    expect(tokenizer.encodePair("word ".repeat(28), "context", 32).ids.length).toBe(32);
  });

  it("stops reading a huge context once the sequence is full", () => {
    // A tokenizer of its own, so the count is of this call's words only.
    const counted = WordPieceTokenizer.fromJson(buildTokenizerJson());
    const wordsRead = vi.spyOn(counted as unknown as { wordPieces(word: string): Int32Array }, "wordPieces");
    const pair = counted.encodePair("q", "lorem ipsum ".repeat(500_000), 128);
    expect(pair.ids.length).toBe(128);
    expect(pair.truncated).toBe(true);
    // The question's word and no more of the million context words than 128 tokens can hold.
    expect(wordsRead.mock.calls.length).toBeLessThanOrEqual(128);
  });
});

describe("decode", () => {
  it("joins tokens as the AWS sample does, gluing ## pieces to the word before", () => {
    expect(tokenizer.decode([14477, 20961, 3468, 1010, 7592])).toBe("unaffable , hello");
  });
});
