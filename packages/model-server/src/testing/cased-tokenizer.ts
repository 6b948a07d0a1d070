import { buildTokenizerJson, loadBertVocabulary } from "@inference-fleet/model-zoo";

/** Cased words the tests ask about, whole in the vocabulary: accents, Greek, Cyrillic, mixed case. */
const CASED_WORDS = [
  "Marie",
  "Curie",
  "Warsaw",
  "Paris",
  "Café",
  "São",
  "Paulo",
  "Zürich",
  "Ελλάδα",
  "Αθήνα",
  "Москва",
  "Привет",
  "McDonald",
  "iPhone",
  "##Phone",
];

/**
 * bert-base-uncased's vocabulary (30,522 entries, so it fits the tiny model's embeddings) with its
 * [unusedN] slots given to `words`, under a BertNormalizer with the given options (cased by default).
 */
export function casedTokenizerJson(
  words: readonly string[] = CASED_WORDS,
  normalizer: Record<string, unknown> = { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: false },
): string {
  const vocabulary = loadBertVocabulary();
  const unused = vocabulary.flatMap((token, id) => (/^\[unused\d+\]$/.test(token) ? [id] : []));
  if (words.length > unused.length) throw new Error(`At most ${unused.length} extra words fit; got ${words.length}.`);
  words.forEach((word, i) => (vocabulary[unused[i]!] = word));
  const json = JSON.parse(buildTokenizerJson(vocabulary)) as Record<string, unknown>;
  json["normalizer"] = normalizer;
  return JSON.stringify(json);
}
