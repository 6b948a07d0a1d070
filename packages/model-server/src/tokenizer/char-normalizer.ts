import type { NormalizerSpec } from "./tokenizer-json.js";

/**
 * What BertNormalizer + BertPreTokenizer make of one code point of the input, worked out once per
 * code point (the answers are cached): every step of Hugging Face's normalizer maps characters one
 * at a time, so text can be normalized piece by piece while each piece keeps its place in the input.
 */
export const CharKind = {
  /** Gone after normalization (a control character, or a mark stripped with the accents). */
  Drop: 0,
  /** Whitespace: ends the word. */
  Space: 1,
  /** Part of a word; `text` is what it normalizes to. */
  Word: 2,
  /** A word of its own: a punctuation character, or a CJK ideograph when handle_chinese_chars is on. */
  Alone: 3,
  /** Normalizes to several characters of different kinds (rare: e.g. U+1FEF decomposes to "`"); see `parts`. */
  Mixed: 4,
} as const;
export type CharKind = (typeof CharKind)[keyof typeof CharKind];

/** One run of a Mixed character's normalized text. */
interface CharPart {
  readonly kind: typeof CharKind.Space | typeof CharKind.Word | typeof CharKind.Alone;
  readonly text: string;
}

export interface CharClass {
  readonly kind: CharKind;
  /** The normalized text (Word and Alone). */
  readonly text: string;
  /** Whether `text` is the character itself, so a word of such characters is a slice of the input. */
  readonly same?: boolean;
  /** Its runs, in order (Mixed only). */
  readonly parts?: readonly CharPart[];
}

// Unicode category C (control, format, surrogate, private use, unassigned), as Rust's char::is_other.
const CONTROL = /^\p{C}$/u;
const WHITESPACE = /^\p{White_Space}$/u;
// Rust tokenizers' is_punctuation: the ASCII punctuation ranges and every Unicode P* category.
const PUNCTUATION = /^[!-/:-@[-`{-~\p{P}]$/u;
const NONSPACING_MARK = /\p{Mn}/gu;

/** Hugging Face's _is_chinese_char: the CJK Unified Ideographs blocks, their extensions and the compatibility blocks, BMP or not. */
function isChineseChar(code: number): boolean {
  return (
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0x20000 && code <= 0x2a6df) ||
    (code >= 0x2a700 && code <= 0x2b73f) ||
    (code >= 0x2b740 && code <= 0x2b81f) ||
    (code >= 0x2b820 && code <= 0x2ceaf) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0x2f800 && code <= 0x2fa1f)
  );
}

/** Classes of code points under one normalizer configuration; ASCII in a table, the rest cached as met. */
export class CharNormalizer {
  private readonly ascii: CharClass[] = [];
  private readonly cache = new Map<number, CharClass>();

  constructor(private readonly spec: NormalizerSpec) {
    for (let code = 0; code < 128; code++) this.ascii.push(this.classify(code));
  }

  classOf(code: number): CharClass {
    if (code < 128) return this.ascii[code]!;
    let found = this.cache.get(code);
    if (found === undefined) {
      found = this.classify(code);
      // Bounded: there are at most ~1.1 million code points, and real text uses a few thousand.
      this.cache.set(code, found);
    }
    return found;
  }

  private classify(code: number): CharClass {
    const char = String.fromCodePoint(code);
    const { cleanText, handleChineseChars, stripAccents, lowercase } = this.spec;
    if (cleanText && (code === 0 || code === 0xfffd || (code !== 9 && code !== 10 && code !== 13 && CONTROL.test(char)))) return DROPPED;
    if (WHITESPACE.test(char)) return SPACE;
    let text = stripAccents ? char.normalize("NFD").replace(NONSPACING_MARK, "") : char;
    // One character at a time, as Rust's char::to_lowercase: no final-sigma rule.
    if (lowercase) text = [...text].map((c) => c.toLowerCase()).join("");
    if (handleChineseChars && isChineseChar(code)) return text === "" ? DROPPED : { kind: CharKind.Alone, text, same: text === char };
    const parts: CharPart[] = [];
    for (const c of text) {
      const kind = WHITESPACE.test(c) ? CharKind.Space : PUNCTUATION.test(c) ? CharKind.Alone : CharKind.Word;
      const last = parts.at(-1);
      if (kind !== CharKind.Alone && last?.kind === kind) parts[parts.length - 1] = { kind, text: last.text + c };
      else parts.push({ kind, text: c });
    }
    if (parts.length === 0) return DROPPED;
    if (parts.length === 1) return parts[0]!.kind === CharKind.Space ? SPACE : { ...parts[0]!, same: text === char };
    return { kind: CharKind.Mixed, text, parts };
  }
}

const DROPPED: CharClass = { kind: CharKind.Drop, text: "" };
const SPACE: CharClass = { kind: CharKind.Space, text: " " };
