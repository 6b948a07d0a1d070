import { CharKind, CharNormalizer, type CharClass } from "./char-normalizer.js";
import type { NormalizerSpec } from "./tokenizer-json.js";

/**
 * BERT's text rules (Hugging Face tokenizers' BertNormalizer + BertPreTokenizer), split into words
 * that know where they came from in the input. One pass over the characters: a word that is a slice
 * of the input (the common case, ASCII or not) costs no intermediate strings; a word that
 * normalization changed in length (NFD, stripped accents, dropped control characters) is built with
 * an alignment from each of its UTF-16 units to the input characters it came from.
 */

/** Where each UTF-16 unit of a built word came from: input offsets [starts[k], ends[k]). Valid only during the callback. */
export interface WordAlignment {
  readonly starts: Int32Array;
  readonly ends: Int32Array;
}

/**
 * One word: its normalized text and its span [start, end) in the input. Without `alignment`, unit k
 * of the word is input unit start + k. Returns false to stop.
 */
export type OnWord = (word: string, start: number, end: number, alignment: WordAlignment | undefined) => boolean;

/** ASCII kinds for the fast path: 0 keep, 1 drop (control), 2 break (whitespace), 3 punctuation, 4 upper case. */
const KEEP = 0,
  DROP = 1,
  BREAK = 2,
  PUNCT = 3,
  UPPER = 4;

function asciiKinds(normalizer: CharNormalizer, lowercase: boolean): Uint8Array {
  const kinds = new Uint8Array(128);
  for (let code = 0; code < 128; code++) {
    const { kind, text } = normalizer.classOf(code);
    if (kind === CharKind.Drop) kinds[code] = DROP;
    else if (kind === CharKind.Space) kinds[code] = BREAK;
    else if (kind === CharKind.Alone) kinds[code] = PUNCT;
    else kinds[code] = lowercase && text !== String.fromCharCode(code) ? UPPER : KEEP;
  }
  return kinds;
}

/** Splits text into BERT words under one normalizer configuration. Not re-entrant: words share scratch buffers. */
export class BertWordSplitter {
  private readonly chars: CharNormalizer;
  private readonly ascii: Uint8Array;
  private starts = new Int32Array(256);
  private ends = new Int32Array(256);
  private readonly alignment: { starts: Int32Array; ends: Int32Array } = { starts: this.starts, ends: this.ends };

  constructor(spec: NormalizerSpec) {
    this.chars = new CharNormalizer(spec);
    this.ascii = asciiKinds(this.chars, spec.lowercase);
  }

  /** Calls onWord for each word of text[from, to), offsets into `text`; stops when it returns false. */
  forEachWord(text: string, onWord: OnWord, from = 0, to = text.length): void {
    const ascii = this.ascii;
    // The word in progress: none (start < 0), a slice of the input (lowercased if `lower`), or built with an alignment (`built`).
    let start = -1;
    let lower = false;
    let built: string | undefined;
    let units = 0;
    let end = 0;
    const flush = (): boolean => {
      if (start < 0) return true;
      const first = start;
      start = -1;
      if (built === undefined) {
        const word = text.slice(first, end);
        return onWord(lower ? word.toLowerCase() : word, first, end, undefined);
      }
      const word = built;
      built = undefined;
      return units === 0 || onWord(word, this.starts[0]!, this.ends[units - 1]!, this.alignment);
    };
    /** Switches the word in progress from a slice to a built string with its alignment. */
    const build = () => {
      if (built !== undefined) return;
      built = text.slice(start, end);
      if (lower) built = built.toLowerCase();
      units = 0;
      for (let k = start; k < end; k++) this.push(k, k + 1, units++);
    };
    const append = (piece: string, at: number, next: number) => {
      if (start < 0) {
        start = at;
        end = at;
        lower = false;
        built = "";
        units = 0;
      } else build();
      built += piece;
      for (let k = 0; k < piece.length; k++) this.push(at, next, units++);
      end = next;
    };
    /** A dropped character inside a word belongs to the character before it (as Hugging Face's alignments have it). */
    const drop = (next: number) => {
      if (start < 0) return;
      build();
      if (units > 0) this.ends[units - 1] = next;
    };
    const alone = (piece: string, at: number, next: number, same: boolean | undefined): boolean => {
      if (!flush()) return false;
      if (same) return onWord(piece, at, next, undefined);
      for (let k = 0; k < piece.length; k++) this.push(at, next, k);
      return onWord(piece, at, next, this.alignment);
    };

    let i = from;
    while (i < to) {
      const code = text.charCodeAt(i);
      if (code < 128) {
        const kind = ascii[code]!;
        if (kind === KEEP || kind === UPPER) {
          if (start < 0) {
            start = i;
            lower = false;
            built = undefined;
          }
          if (built !== undefined) append(kind === UPPER ? text[i]!.toLowerCase() : text[i]!, i, i + 1);
          else if (kind === UPPER) lower = true;
          end = ++i;
          continue;
        }
        if (kind === DROP) drop(i + 1);
        else if (!flush()) return;
        else if (kind === PUNCT && !onWord(text[i]!, i, i + 1, undefined)) return;
        i++;
        continue;
      }
      const point = text.codePointAt(i)!;
      const next = i + (point > 0xffff ? 2 : 1);
      const cls: CharClass = this.chars.classOf(point);
      switch (cls.kind) {
        case CharKind.Word:
          if (cls.same && built === undefined) {
            if (start < 0) {
              start = i;
              lower = false;
            }
            end = next;
          } else append(cls.text, i, next);
          break;
        case CharKind.Drop:
          drop(next);
          break;
        case CharKind.Space:
          if (!flush()) return;
          break;
        case CharKind.Alone:
          if (!alone(cls.text, i, next, cls.same)) return;
          break;
        default:
          for (const part of cls.parts!) {
            if (part.kind === CharKind.Word) append(part.text, i, next);
            else if (!(part.kind === CharKind.Space ? flush() : alone(part.text, i, next, false))) return;
          }
      }
      i = next;
    }
    flush();
  }

  private push(start: number, end: number, index: number): void {
    if (index >= this.starts.length) {
      const grow = (old: Int32Array) => {
        const bigger = new Int32Array(old.length * 2);
        bigger.set(old);
        return bigger;
      };
      this.starts = this.alignment.starts = grow(this.starts);
      this.ends = this.alignment.ends = grow(this.ends);
    }
    this.starts[index] = start;
    this.ends[index] = end;
  }
}

/** The normalized text of `text` as BertNormalizer gives it (words joined by spaces): for tests and tools, not the hot path. */
export function normalizeBertText(text: string, spec: NormalizerSpec = UNCASED): string {
  const words: string[] = [];
  new BertWordSplitter(spec).forEachWord(text, (word) => (words.push(word), true));
  return words.join(" ");
}

/** bert-base-uncased's BertNormalizer. */
export const UNCASED: NormalizerSpec = { cleanText: true, handleChineseChars: true, stripAccents: true, lowercase: true };
