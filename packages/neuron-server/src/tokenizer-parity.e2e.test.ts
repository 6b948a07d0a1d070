import { WordPieceTokenizer } from "@inference-fleet/model-server";
import { Tokenizer } from "@huggingface/tokenizers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pythonMissing, runPythonJson } from "./python-server.js";
import { bmpAlphabet, casedMultilingualVocabulary, casedTokenizerJson, sampleWords, textArbitrary, uncasedTokenizerJson } from "./tokenizer-corpus.js";
import { loadBertVocabulary } from "@inference-fleet/model-zoo";

/**
 * Both servers' tokenizers give the ids of Hugging Face's official JS port (@huggingface/tokenizers)
 * on 10,000 random strings per vocabulary: the TypeScript one string by string (fast-check shrinks a
 * failure to a small example), the Python one over the same strings in one subprocess.
 */
const RUNS = 10_000;
const SEED = 20;
const missing = pythonMissing();

const cased = casedMultilingualVocabulary();
const vocabularies = [
  { name: "cased multilingual-like", json: casedTokenizerJson(cased), words: sampleWords(cased) },
  { name: "uncased (bert-base-uncased)", json: uncasedTokenizerJson(), words: sampleWords(loadBertVocabulary()) },
];

/** BMP code points Python's (older) Unicode database has not assigned: left out of the text, so both databases agree. */
const pythonUnassigned = new Set(
  missing === undefined
    ? runPythonJson<number[]>("import json, unicodedata\nprint(json.dumps([c for c in range(0x10000) if unicodedata.category(chr(c)) == 'Cn']))", null)
    : [],
);
const alphabet = bmpAlphabet((code) => !pythonUnassigned.has(code));

const PYTHON_IDS =
  "import json, sys\nfrom neuron_server.tokenizer import WordPieceTokenizer\n" +
  "data = json.load(sys.stdin)\nt = WordPieceTokenizer(json.loads(data['json']))\n" +
  "print(json.dumps({'single': [t.encode_text(s) for s in data['texts']], 'pairs': [t.encode_pair(q, c, 100000).ids for q, c in data['pairs']]}))";

describe.each(vocabularies)("the $name tokenizer", ({ json, words }) => {
  const reference = new Tokenizer(JSON.parse(json) as object, {});
  const ours = WordPieceTokenizer.fromJson(json);
  const text = textArbitrary(alphabet, words);
  // The port reads an empty text_pair as no pair at all (Rust encodes [CLS] q [SEP] [SEP]): the pair texts are not empty.
  const pair = fc.tuple(
    text,
    text.filter((c) => c !== ""),
  );
  const referenceIds = (s: string) => reference.encode(s, { add_special_tokens: false }).ids;
  const referencePair = ([q, c]: [string, string]) => reference.encode(q, { text_pair: c }).ids;

  it(`gives the reference ids on ${RUNS} random strings (TypeScript)`, () => {
    fc.assert(
      fc.property(text, (s) => {
        expect(ours.encodeText(s)).toEqual(referenceIds(s));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it("gives the reference ids for [CLS] question [SEP] context [SEP] (TypeScript)", () => {
    fc.assert(
      fc.property(pair, ([q, c]) => {
        expect([...ours.encodePair(q, c, 100_000).ids]).toEqual(referencePair([q, c]));
      }),
      { numRuns: 1_000, seed: SEED },
    );
  });

  it("gives offsets that cover every token's text in order, with nothing but spaces and dropped characters between them", () => {
    fc.assert(
      fc.property(text, (s) => {
        const { ids, offsets } = ours.encodeWithOffsets(s);
        let last = 0;
        for (const [start, end] of offsets) {
          expect(end).toBeGreaterThan(start);
          // Pieces of one character share its span (a Hangul syllable decomposes into several jamo under NFD).
          if (start >= last) expect(ours.encodeText(s.slice(last, start))).toEqual([]);
          else expect(end).toBeGreaterThanOrEqual(last);
          last = end;
        }
        expect(ours.encodeText(s.slice(last))).toEqual([]);
        if (offsets.length > 0) expect(ours.encodeText(s.slice(offsets[0]![0], last))).toEqual(ids);
      }),
      { numRuns: 2_000, seed: SEED },
    );
  });

  it.skipIf(missing !== undefined)(`gives the reference ids on the same ${RUNS} strings and 1,000 pairs (Python)`, () => {
    const texts = fc.sample(text, { numRuns: RUNS, seed: SEED });
    const pairs = fc.sample(pair, { numRuns: 1_000, seed: SEED });
    const python = runPythonJson<{ single: number[][]; pairs: number[][] }>(PYTHON_IDS, { json, texts, pairs });
    texts.forEach((s, i) => expect(python.single[i], JSON.stringify(s)).toEqual(referenceIds(s)));
    pairs.forEach((p, i) => expect(python.pairs[i], JSON.stringify(p)).toEqual(referencePair(p)));
  });
});

it("uses a cased vocabulary of bert-base-multilingual-cased's order of size", () => {
  expect(cased.length).toBeGreaterThan(100_000);
  expect(cased.length).toBeLessThan(150_000);
});
