import { readFile } from "node:fs/promises";
import { HttpError } from "../http-error.js";
import { BertWordSplitter, type OnWord } from "./bert-text.js";
import { parseTokenizerJson, type WordPieceSpec } from "./tokenizer-json.js";

/** A question/context pair as BERT reads it: [CLS] question [SEP] context [SEP]. */
export interface EncodedPair {
  /** Token ids, exactly as long as the sequence (no padding). */
  readonly ids: Int32Array;
  /** Each token's span in its own text (question or context): [offsets[2k], offsets[2k + 1]); 0, 0 for [CLS] and [SEP]. */
  readonly offsets: Int32Array;
  /** Index of the first context token: token_type_ids are 0 before it and 1 from it on. */
  readonly contextStart: number;
  /** Index one past the last context token (the final [SEP]). */
  readonly contextEnd: number;
  /** Whether the context was cut to fit maxSeqLength. */
  readonly truncated: boolean;
}

/** Ids of one text with each token's span in it. */
export interface EncodedText {
  readonly ids: number[];
  /** [start, end) in the text of each token, as Hugging Face's Encoding.offsets. */
  readonly offsets: [number, number][];
}

/** The question alone leaves no room for the context: the caller's mistake, answered with a 400. */
export class QuestionTooLongError extends HttpError {
  constructor(maxSeqLength: number) {
    super(
      `seq_0 (the question) is too long: with [CLS] and two [SEP] it must leave room for the context within ${maxSeqLength} tokens; shorten the question.`,
      400,
    );
  }
}

/** Calls back with each token's id and its span [start, end) in the text; returns false to stop. */
type OnToken = (id: number, start: number, end: number) => boolean;

/** Words cached per tokenizer; past this the cache starts again, so memory stays bounded whatever clients send. */
const WORD_CACHE_LIMIT = 50_000;

/**
 * BERT WordPiece tokenizer that gives the same ids as Hugging Face tokenizers for tokenizer.json
 * files with BertNormalizer (cased or uncased, accents kept or stripped) + BertPreTokenizer +
 * WordPiece, and each token's offsets in the input: vocabulary in a Map, a cache of word -> pieces,
 * and an encoder that stops reading once the sequence is full, so a huge context costs no more than
 * maxSeqLength tokens of work.
 */
export class WordPieceTokenizer {
  readonly clsId: number;
  readonly sepId: number;
  readonly unkId: number;
  readonly vocabSize: number;
  private readonly idToToken: string[] = [];
  /** Per word: [id, end] pairs, end being where the piece ends in the word (UTF-16 units). */
  private readonly wordCache = new Map<string, Int32Array>();
  private readonly splitter: BertWordSplitter;
  private readonly addedTokenPattern: RegExp | undefined;
  /** The first character every added token shares ("[" for BERT), so ordinary text skips the regex; undefined if they differ. */
  private readonly addedTokenLead: string | undefined;
  private scratch = new Int32Array(512);

  constructor(private readonly spec: WordPieceSpec) {
    this.clsId = spec.clsId;
    this.sepId = spec.sepId;
    this.unkId = spec.vocab.get(spec.unkToken) ?? spec.addedTokens.get(spec.unkToken)!;
    for (const [token, id] of spec.vocab) this.idToToken[id] = token;
    for (const [token, id] of spec.addedTokens) this.idToToken[id] ??= token;
    this.vocabSize = this.idToToken.length;
    this.splitter = new BertWordSplitter(spec.normalizer);
    const escaped = [...spec.addedTokens.keys()].sort((a, b) => b.length - a.length).map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    this.addedTokenPattern = escaped.length > 0 ? new RegExp(escaped.join("|"), "g") : undefined;
    const leads = new Set([...spec.addedTokens.keys()].map((token) => token[0]));
    this.addedTokenLead = leads.size === 1 ? [...leads][0] : undefined;
  }

  static fromJson(text: string, source?: string): WordPieceTokenizer {
    return new WordPieceTokenizer(parseTokenizerJson(text, source));
  }

  static async fromFile(path: string): Promise<WordPieceTokenizer> {
    return WordPieceTokenizer.fromJson(await readFile(path, "utf8"), path);
  }

  /** Ids of `text` without special tokens around it (what tokenizer.encode(text, add_special_tokens=False) gives). */
  encodeText(text: string): number[] {
    const ids: number[] = [];
    this.forEachToken(text, (id) => (ids.push(id), true));
    return ids;
  }

  /** Ids and offsets of `text` without special tokens around it. */
  encodeWithOffsets(text: string): EncodedText {
    const ids: number[] = [];
    const offsets: [number, number][] = [];
    this.forEachToken(text, (id, start, end) => (ids.push(id), offsets.push([start, end]), true));
    return { ids, offsets };
  }

  /** [CLS] question [SEP] context [SEP], the context truncated (never the question) to maxSeqLength tokens. */
  encodePair(question: string, context: string, maxSeqLength: number): EncodedPair {
    if (this.scratch.length < maxSeqLength) this.scratch = new Int32Array(maxSeqLength);
    const out = this.scratch;
    // [CLS] and [SEP] have offsets 0, 0: a fresh buffer each call (returned as is), zeros where no token writes.
    const offsets = new Int32Array(2 * maxSeqLength);
    let length = 0;
    out[length++] = this.clsId;
    const questionLimit = maxSeqLength - 2;
    let overflow = false;
    this.forEachToken(question, (id, start, end) => {
      if (length >= questionLimit) return !(overflow = true);
      offsets[2 * length] = start;
      offsets[2 * length + 1] = end;
      out[length++] = id;
      return true;
    });
    // The question must leave room for [SEP], at least one context token and the last [SEP].
    if (overflow || length > maxSeqLength - 3) throw new QuestionTooLongError(maxSeqLength);
    out[length++] = this.sepId;
    const contextStart = length;
    const contextLimit = maxSeqLength - 1;
    let truncated = false;
    this.forEachToken(context, (id, start, end) => {
      if (length >= contextLimit) return !(truncated = true);
      offsets[2 * length] = start;
      offsets[2 * length + 1] = end;
      out[length++] = id;
      return true;
    });
    const contextEnd = length;
    out[length++] = this.sepId;
    return { ids: out.slice(0, length), offsets: offsets.subarray(0, 2 * length), contextStart, contextEnd, truncated };
  }

  /**
   * [CLS] first [SEP], or [CLS] first [SEP] second [SEP] for a pair, cut to maxSeqLength tokens the way
   * Hugging Face's longest_first truncation does: a token at a time from whichever text is longer.
   * `secondStart` is where token_type_ids turn to 1 (the length when there is no second text).
   */
  encodeForClassification(first: string, second: string | undefined, maxSeqLength: number): { ids: Int32Array; secondStart: number; truncated: boolean } {
    const room = maxSeqLength - (second === undefined ? 2 : 3);
    if (room < 2) throw new Error(`maxSeqLength ${maxSeqLength} leaves no room for text.`);
    const read = (text: string) => {
      const ids: number[] = [];
      this.forEachToken(text, (id) => ids.push(id) <= room);
      return ids;
    };
    const a = read(first);
    const b = second === undefined ? [] : read(second);
    const truncated = a.length + b.length > room;
    while (a.length + b.length > room) (a.length > b.length ? a : b).pop();
    const ids = second === undefined ? [this.clsId, ...a, this.sepId] : [this.clsId, ...a, this.sepId, ...b, this.sepId];
    return { ids: Int32Array.from(ids), secondStart: second === undefined ? ids.length : a.length + 2, truncated };
  }

  /** Text of ids[from, to) as the AWS sample returns it: tokens joined by spaces, "##" pieces glued on. */
  decode(ids: ArrayLike<number>, from = 0, to = ids.length): string {
    const prefix = this.spec.continuingSubwordPrefix;
    let text = "";
    for (let i = from; i < to; i++) {
      const token = this.idToToken[ids[i]!] ?? this.spec.unkToken;
      if (i > from && token.startsWith(prefix)) text += token.slice(prefix.length);
      else text += i > from ? ` ${token}` : token;
    }
    return text.trim();
  }

  /** Calls onToken for each token of text (added tokens such as [SEP] matched verbatim first); stops when it returns false. */
  private forEachToken(text: string, onToken: OnToken): void {
    const pattern = this.addedTokenPattern;
    this.onToken = onToken;
    this.running = true;
    if (pattern === undefined || (this.addedTokenLead !== undefined && !text.includes(this.addedTokenLead))) {
      this.splitter.forEachWord(text, this.onWord);
      return;
    }
    let last = 0;
    for (const match of text.matchAll(pattern)) {
      this.splitter.forEachWord(text, this.onWord, last, match.index);
      if (!this.running) return;
      last = match.index + match[0].length;
      if (!onToken(this.spec.addedTokens.get(match[0])!, match.index, last)) return;
    }
    this.splitter.forEachWord(text, this.onWord, last);
  }

  // The encoder's callback and whether it wants more: fields, so onWord is made once, not per call.
  private onToken: OnToken = () => true;
  private running = true;

  /** Each word's pieces, with their spans in the input, to onToken. */
  private readonly onWord: OnWord = (word, start, _end, alignment) => {
    const pieces = this.wordPieces(word);
    const onToken = this.onToken;
    let from = 0;
    for (let i = 0; i < pieces.length; i += 2) {
      const to = pieces[i + 1]!;
      if (!(alignment === undefined ? onToken(pieces[i]!, start + from, start + to) : onToken(pieces[i]!, alignment.starts[from]!, alignment.ends[to - 1]!))) {
        return (this.running = false);
      }
      from = to;
    }
    return true;
  };

  private wordPieces(word: string): Int32Array {
    let pieces = this.wordCache.get(word);
    if (pieces === undefined) {
      pieces = Int32Array.from(this.wordPiece(word));
      if (this.wordCache.size >= WORD_CACHE_LIMIT) this.wordCache.clear();
      this.wordCache.set(word, pieces);
    }
    return pieces;
  }

  /** Greedy longest-match-first, as [id, end] pairs; a word with no full cover, or longer than the limit (in characters), is one [UNK]. */
  private wordPiece(word: string): number[] {
    const { vocab, continuingSubwordPrefix: prefix, maxInputCharsPerWord } = this.spec;
    const whole = [this.unkId, word.length];
    if (word.length > maxInputCharsPerWord && [...word].length > maxInputCharsPerWord) return whole;
    const pieces: number[] = [];
    let start = 0;
    while (start < word.length) {
      let end = word.length;
      let found: number | undefined;
      while (start < end) {
        const piece = start > 0 ? prefix + word.slice(start, end) : word.slice(start, end);
        found = vocab.get(piece);
        if (found !== undefined) break;
        // One character back: a surrogate pair is never cut in two.
        end -= end - 2 >= start && isLowSurrogate(word.charCodeAt(end - 1)) && isHighSurrogate(word.charCodeAt(end - 2)) ? 2 : 1;
      }
      if (found === undefined) return whole;
      pieces.push(found, end);
      start = end;
    }
    return pieces;
  }
}

const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;
