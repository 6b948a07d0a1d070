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
interface WordAlignment {
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
  private readonly alignment: { starts: Int32Array; ends: Int32Array } = { starts: new Int32Array(256), ends: new Int32Array(256) };
  // The word in progress on the general path: none (start < 0), a slice of the input [start, end) (lowercased if `lower`),
  // or `built` with `units` UTF-16 units aligned in `alignment`. Fields, not closure variables, so the ASCII loop stays fast.
  private text = "";
  private onWord: OnWord = () => true;
  private start = -1;
  private end = 0;
  private lower = false;
  private built: string | undefined;
  private units = 0;

  constructor(spec: NormalizerSpec) {
    this.chars = new CharNormalizer(spec);
    this.ascii = asciiKinds(this.chars, spec.lowercase);
  }

  /** Calls onWord for each word of text[from, to), offsets into `text`; stops when it returns false. */
  forEachWord(text: string, onWord: OnWord, from = 0, to = text.length): void {
    const ascii = this.ascii;
    this.text = text;
    this.onWord = onWord;
    this.start = -1;
    this.built = undefined;
    let i = from;
    while (i < to) {
      const code = text.charCodeAt(i);
      if (code < 128) {
        const kind = ascii[code]!;
        if ((kind === KEEP || kind === UPPER) && this.start < 0) {
          // The common case: a run of ASCII word characters, scanned with locals only.
          let j = i + 1;
          let lower = kind === UPPER;
          for (; j < to; j++) {
            const c = text.charCodeAt(j);
            if (c >= 128) break;
            const k = ascii[c]!;
            if (k === UPPER) lower = true;
            else if (k !== KEEP) break;
          }
          if (j === to || (text.charCodeAt(j) < 128 && ascii[text.charCodeAt(j)] !== DROP)) {
            const word = text.slice(i, j);
            if (!onWord(lower ? word.toLowerCase() : word, i, j, undefined)) return;
          } else {
            // A non-ASCII or dropped character follows: the word goes on on the general path.
            this.start = i;
            this.end = j;
            this.lower = lower;
          }
          i = j;
          continue;
        }
        if (kind === KEEP || kind === UPPER) {
          if (this.built !== undefined) this.append(kind === UPPER ? text[i]!.toLowerCase() : text[i]!, i, i + 1);
          else {
            if (kind === UPPER) this.lower = true;
            this.end = i + 1;
          }
        } else if (kind === DROP) this.drop(i + 1);
        else if (!this.flush()) return;
        else if (kind === PUNCT && !onWord(text[i]!, i, i + 1, undefined)) return;
        i++;
        continue;
      }
      const point = text.codePointAt(i)!;
      const next = i + (point > 0xffff ? 2 : 1);
      if (!this.general(this.chars.classOf(point), i, next)) return;
      i = next;
    }
    this.flush();
  }

  /** One non-ASCII character; false when onWord asked to stop. */
  private general(cls: CharClass, at: number, next: number): boolean {
    switch (cls.kind) {
      case CharKind.Word:
        if (cls.same && this.built === undefined) {
          if (this.start < 0) {
            this.start = at;
            this.lower = false;
          }
          this.end = next;
        } else this.append(cls.text, at, next);
        return true;
      case CharKind.Drop:
        this.drop(next);
        return true;
      case CharKind.Space:
        return this.flush();
      case CharKind.Alone:
        return this.alone(cls.text, at, next, cls.same);
      default:
        for (const part of cls.parts!) {
          if (part.kind === CharKind.Word) this.append(part.text, at, next);
          else if (!(part.kind === CharKind.Space ? this.flush() : this.alone(part.text, at, next, false))) return false;
        }
        return true;
    }
  }

  /** Hands the word in progress to onWord; false when it asked to stop. */
  private flush(): boolean {
    if (this.start < 0) return true;
    const first = this.start;
    this.start = -1;
    const built = this.built;
    if (built === undefined) {
      const word = this.text.slice(first, this.end);
      return this.onWord(this.lower ? word.toLowerCase() : word, first, this.end, undefined);
    }
    this.built = undefined;
    const { starts, ends } = this.alignment;
    return this.units === 0 || this.onWord(built, starts[0]!, ends[this.units - 1]!, this.alignment);
  }

  /** Switches the word in progress from a slice to a built string with its alignment. */
  private build(): void {
    if (this.built !== undefined) return;
    const slice = this.text.slice(this.start, this.end);
    this.built = this.lower ? slice.toLowerCase() : slice;
    this.units = 0;
    for (let k = this.start; k < this.end; k++) this.push(k, k + 1);
  }

  private append(piece: string, at: number, next: number): void {
    if (this.start < 0) {
      this.start = at;
      this.end = at;
      this.lower = false;
      this.built = "";
      this.units = 0;
    } else this.build();
    this.built += piece;
    for (let k = 0; k < piece.length; k++) this.push(at, next);
    this.end = next;
  }

  /** A dropped character inside a word belongs to the character before it (as Hugging Face's alignments have it). */
  private drop(next: number): void {
    if (this.start < 0) return;
    this.build();
    if (this.units > 0) this.alignment.ends[this.units - 1] = next;
  }

  /** A word of its own (punctuation, a CJK ideograph), after the word in progress. */
  private alone(piece: string, at: number, next: number, same: boolean | undefined): boolean {
    if (!this.flush()) return false;
    if (same) return this.onWord(piece, at, next, undefined);
    for (let k = 0; k < piece.length; k++) {
      this.alignment.starts[k] = at;
      this.alignment.ends[k] = next;
    }
    return this.onWord(piece, at, next, this.alignment);
  }

  private push(start: number, end: number): void {
    const index = this.units++;
    if (index >= this.alignment.starts.length) {
      const grow = (old: Int32Array) => {
        const bigger = new Int32Array(old.length * 2);
        bigger.set(old);
        return bigger;
      };
      this.alignment.starts = grow(this.alignment.starts);
      this.alignment.ends = grow(this.alignment.ends);
    }
    this.alignment.starts[index] = start;
    this.alignment.ends[index] = end;
  }
}

/** The normalized text of `text` as BertNormalizer gives it (words joined by spaces): for tests and tools, not the hot path. */
export function normalizeBertText(text: string, spec: NormalizerSpec = UNCASED): string {
  const words: string[] = [];
  new BertWordSplitter(spec).forEachWord(text, (word) => (words.push(word), true));
  return words.join(" ");
}

/** bert-base-uncased's BertNormalizer. */
const UNCASED: NormalizerSpec = { cleanText: true, handleChineseChars: true, stripAccents: true, lowercase: true };
