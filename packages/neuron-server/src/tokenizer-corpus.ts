import { buildTokenizerJson, loadBertVocabulary, SeededRandom } from "@inference-fleet/model-zoo";
import fc from "fast-check";

/**
 * Tokenizers and random text for the tokenizer parity test: bert-base-uncased as it is, and a cased
 * multilingual-like vocabulary of bert-base-multilingual-cased's order of size (119,547 entries),
 * built from bert-base-uncased plus capitalized words and most letters, numbers, marks and symbols
 * of the Basic Multilingual Plane, each as a word start and many as a "##" continuation.
 */

/** Characters of the corpus's accented, Greek, Cyrillic and mixed-case words, which the vocabulary also holds whole. */
const MULTILINGUAL_WORDS = [
  ...["Café", "naïve", "Ελλάδα", "Αθήνα", "Москва", "Привет", "Ünïcödé"],
  ...["São", "Paulo", "Zürich", "İstanbul", "Łódź", "ñandú", "ﬁne"],
];

const isCandidate = (char: string) => /^[\p{L}\p{N}\p{S}\p{M}]$/u.test(char);

/** The cased multilingual-like vocabulary, in id order (the specials keep bert-base-uncased's ids). */
export function casedMultilingualVocabulary(seed = 20): string[] {
  const random = new SeededRandom(seed);
  const chance = (p: number) => random.nextUint32() / 2 ** 32 < p;
  const vocabulary = loadBertVocabulary();
  const seen = new Set(vocabulary);
  const add = (token: string) => {
    if (!seen.has(token)) {
      seen.add(token);
      vocabulary.push(token);
    }
  };
  for (const token of vocabulary.slice()) {
    if (/^[a-z]{2,}$/.test(token) && chance(0.7)) add(token[0]!.toUpperCase() + token.slice(1));
  }
  for (const word of MULTILINGUAL_WORDS) {
    add(word);
    add(`##${word.slice(1)}`);
  }
  for (let code = 0x80; code < 0x10000; code++) {
    const char = String.fromCharCode(code);
    if (!isCandidate(char)) continue;
    // Some characters stay out, so words made of them are [UNK] as real vocabularies have it.
    if (chance(0.9)) add(char);
    if (chance(0.5)) add(`##${char}`);
  }
  return vocabulary;
}

/** bert-base-uncased's tokenizer.json (BertNormalizer lowercase, accents stripped). */
export function uncasedTokenizerJson(): string {
  return buildTokenizerJson();
}

/** A cased BertNormalizer tokenizer.json over `vocabulary` (strip_accents null: it follows lowercase, so accents stay). */
export function casedTokenizerJson(vocabulary: readonly string[] = casedMultilingualVocabulary()): string {
  const json = JSON.parse(buildTokenizerJson(vocabulary)) as Record<string, unknown>;
  json["normalizer"] = { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: false };
  return JSON.stringify(json);
}

/**
 * Basic Multilingual Plane characters the text may draw from: assigned (not Cn), not surrogates,
 * and not where the JS port is known to differ from Hugging Face's Rust library (which the servers
 * follow; their own tests pin those cases): Cn characters (Rust drops them as controls, the port keeps
 * them) and the capital sigma (the port lower-cases a final Σ to ς, Rust always to σ).
 * `alsoAssigned` narrows it to characters another Unicode database knows too (Python's is older).
 */
export function bmpAlphabet(alsoAssigned?: (code: number) => boolean): number[] {
  const codes: number[] = [];
  for (let code = 1; code < 0x10000; code++) {
    const char = String.fromCharCode(code);
    if ((code >= 0xd800 && code <= 0xdfff) || /^\p{Cn}$/u.test(char) || char === "\u03a3") continue;
    if (alsoAssigned === undefined || alsoAssigned(code)) codes.push(code);
  }
  return codes;
}

/** Random text: random BMP characters mixed with vocabulary words, accents (composed or not), CJK, punctuation, spaces, controls and special tokens. */
export function textArbitrary(alphabet: readonly number[], words: readonly string[]): fc.Arbitrary<string> {
  const piece = fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: alphabet.length - 1 }).map((i) => String.fromCharCode(alphabet[i]!)) },
    { weight: 4, arbitrary: fc.constantFrom(...words) },
    { weight: 2, arbitrary: fc.constantFrom(...MULTILINGUAL_WORDS, "e\u0301", "A\u030a", "n\u0303", "Ω", "ß", "ǅ", "Ⅻ", "ﬀ", "ﬁ", "ÀÉÎÕÜ", "ΑΒΓ", "АБВ") },
    { weight: 2, arbitrary: fc.constantFrom(" ", " ", " ", "\t", "\n", "\r", "\u00a0", "\u3000", "\u2028", "\u2003") },
    { weight: 2, arbitrary: fc.constantFrom(",", ".", "!", "?", "'", "-", "¿", "«", "»", "—", "…", "、", "。", "（", "）", "\u037e", "\u1fef") },
    { weight: 1, arbitrary: fc.constantFrom("中", "国", "人", "日本語", "한국어", "\uf900", "\u3400", "ｶﾀｶﾅ") },
    { weight: 1, arbitrary: fc.constantFrom("\u0000", "\u0007", "\u200b", "\ufeff", "\u00ad", "\ufffd", "\u0085") },
    { weight: 1, arbitrary: fc.constantFrom("[SEP]", "[CLS]", "[UNK]", "[MASK]", "[PAD]") },
    { weight: 1, arbitrary: fc.integer({ min: 101, max: 140 }).map((n) => "x".repeat(n)) },
  );
  return fc.array(piece, { minLength: 0, maxLength: 16 }).map((pieces) => pieces.join(""));
}

/** Whole words of a vocabulary to mix into random text (cased and upper-cased too), in a fixed sample. */
export function sampleWords(vocabulary: readonly string[], count = 2_000): string[] {
  const words = vocabulary.filter((token) => !token.startsWith("##") && !token.startsWith("[") && token.length > 1);
  const step = Math.max(1, Math.floor(words.length / count));
  const sample = words.filter((_, i) => i % step === 0);
  return [...sample, ...sample.slice(0, 200).map((word) => word.toUpperCase())];
}
