import { buildTokenizerJson } from "@inference-fleet/model-zoo";
import { Tokenizer } from "@huggingface/tokenizers";
import { describe, expect, it } from "vitest";
import { casedTokenizerJson } from "../testing/cased-tokenizer.js";
import { parseTokenizerJson } from "./tokenizer-json.js";
import { WordPieceTokenizer } from "./wordpiece-tokenizer.js";

const casedJson = casedTokenizerJson();
const cased = WordPieceTokenizer.fromJson(casedJson);
const uncased = WordPieceTokenizer.fromJson(buildTokenizerJson());
const reference = new Tokenizer(JSON.parse(casedJson) as object, {});
const vocab = parseTokenizerJson(casedJson).vocab;

/** The substrings of `text` each token's offsets point at. */
const spans = (tokenizer: WordPieceTokenizer, text: string) => tokenizer.encodeWithOffsets(text).offsets.map(([start, end]) => text.slice(start, end));

describe("a cased BertNormalizer (strip_accents null follows lowercase: accents kept)", () => {
  it.each(["Marie Curie", "Café in São Paulo", "Zürich, Ελλάδα, Москва!", "iPhone McDonald", "paris PARIS Paris", "Cafe\u0301"])(
    "gives the JS port's ids for %j",
    (text) => {
      expect(cased.encodeText(text)).toEqual(reference.encode(text, { add_special_tokens: false }).ids);
    },
  );

  it("keeps case and accents where the uncased tokenizer folds them", () => {
    expect(cased.encodeText("Café Ελλάδα")).toEqual([vocab.get("Café"), vocab.get("Ελλάδα")]);
    expect(cased.encodeText("Paris")).not.toEqual(cased.encodeText("paris"));
    expect(uncased.encodeText("Paris")).toEqual(uncased.encodeText("paris"));
  });

  it("splits a word into pieces with the continuation prefix", () => {
    expect(cased.encodeText("iPhone")).toEqual([vocab.get("iPhone")]);
    expect(spans(cased, "Paulo")).toEqual(["Paulo"]);
  });
});

describe("offsets into the original text", () => {
  it("point at the exact characters, accents and case as sent", () => {
    const text = "Où est Zürich? À São Paulo, près du Café «Москва».";
    expect(spans(cased, text)).toContain("Zürich");
    expect(spans(cased, text)).toContain("Москва");
    expect(spans(uncased, text).slice(0, 2)).toEqual(["Où", "est"]);
  });

  it("cover a decomposed accent stripped from the word (NFD changes lengths)", () => {
    const text = "cafe\u0301 noir";
    expect(uncased.encodeText(text)).toEqual(uncased.encodeText("café noir"));
    expect(spans(uncased, text)).toEqual(["cafe\u0301", "noir"]);
  });

  it("cover each piece of a word and the whole word for [UNK]", () => {
    expect(spans(uncased, "unaffable")).toEqual(["una", "ffa", "ble"]);
    expect(uncased.encodeWithOffsets(`a ${"x".repeat(120)}`).offsets).toEqual([
      [0, 1],
      [2, 122],
    ]);
  });

  it("give each CJK ideograph its own span, outside the BMP too (two UTF-16 units)", () => {
    expect(spans(uncased, "中国\u{20000}\u{2A700}x")).toEqual(["中", "国", "\u{20000}", "\u{2A700}", "x"]);
  });

  it("skip control characters and give [SEP] in the text its own span", () => {
    expect(spans(uncased, "a\u0007b [SEP] c")).toEqual(["a\u0007b", "[SEP]", "c"]);
  });

  it("are carried by encodePair for the context, with 0, 0 for [CLS] and [SEP]", () => {
    const context = "Marie Curie was born in Warsaw.";
    const pair = cased.encodePair("Where?", context, 64);
    expect([...pair.offsets.slice(0, 2)]).toEqual([0, 0]);
    expect(context.slice(pair.offsets[2 * pair.contextStart], pair.offsets[2 * (pair.contextEnd - 1) + 1])).toBe(context);
  });
});

describe("where the JS port differs from Hugging Face's Rust library, the Rust library", () => {
  it("lower-cases a capital sigma one character at a time (σ, never the final ς)", () => {
    expect(uncased.encodeText("ΟΔΟΣ")).toEqual(uncased.encodeText("οδοσ"));
  });

  it("drops unassigned code points (category Cn) as control characters", () => {
    expect(uncased.encodeText("a\u0378b")).toEqual(uncased.encodeText("ab"));
  });

  it("splits CJK ideographs outside the BMP into words of their own", () => {
    expect(uncased.encodeText("\u{20000}\u{20001}")).toEqual([uncased.unkId, uncased.unkId]);
  });
});

describe("tokenizer.json variants", () => {
  const base = JSON.parse(buildTokenizerJson()) as Record<string, unknown>;
  const variant = (changes: Record<string, unknown>) => WordPieceTokenizer.fromJson(JSON.stringify({ ...base, ...changes }));

  it("reads a Sequence of NFD, Lowercase and StripAccents", () => {
    const sequence = variant({ normalizer: { type: "Sequence", normalizers: [{ type: "NFD" }, { type: "Lowercase" }, { type: "StripAccents" }] } });
    expect(sequence.encodeText("Héllo, Wörld")).toEqual(uncased.encodeText("hello, world"));
  });

  it("reads [CLS] and [SEP] from a BertProcessing post-processor", () => {
    const bert = variant({ post_processor: { type: "BertProcessing", sep: ["[MASK]", 103], cls: ["[PAD]", 0] } });
    expect([...bert.encodePair("a", "b", 16).ids]).toEqual([0, ...uncased.encodeText("a"), 103, ...uncased.encodeText("b"), 103]);
  });

  it.each([
    [{ normalizer: { type: "NFKC" } }, /normalizer is "NFKC"; supported are BertNormalizer and a Sequence/],
    [{ normalizer: { type: "Sequence", normalizers: [{ type: "StripAccents" }] } }, /StripAccents without NFD/],
    [{ pre_tokenizer: { type: "Whitespace" } }, /pre_tokenizer is "Whitespace"; only BertPreTokenizer/],
  ])("refuses %j, saying what is supported", (changes, message) => {
    expect(() => variant(changes)).toThrow(message);
  });
});

describe("encodeForClassification", () => {
  it("encodes one text as [CLS] text [SEP] and a pair as [CLS] a [SEP] b [SEP]", () => {
    const [a, b] = [uncased.encodeText("hello world"), uncased.encodeText("good")];
    expect(uncased.encodeForClassification("hello world", undefined, 16)).toEqual({ ids: Int32Array.from([101, ...a, 102]), secondStart: 4, truncated: false });
    expect(uncased.encodeForClassification("hello world", "good", 16)).toEqual({
      ids: Int32Array.from([101, ...a, 102, ...b, 102]),
      secondStart: 4,
      truncated: false,
    });
  });

  it("truncates the longer text first, a token at a time (longest_first)", () => {
    const encoded = uncased.encodeForClassification("a b c d e f g h", "x y", 9);
    expect([...encoded.ids]).toEqual([101, ...uncased.encodeText("a b c d"), 102, ...uncased.encodeText("x y"), 102]);
    expect(encoded.truncated).toBe(true);
    expect([...uncased.encodeForClassification("a b c", "v w x y z", 7).ids]).toEqual([
      101,
      ...uncased.encodeText("a b"),
      102,
      ...uncased.encodeText("v w"),
      102,
    ]);
  });
});
