import { readFile } from "node:fs/promises";
import { forEachBertWord } from "./bert-text.js";
import { parseTokenizerJson, type WordPieceSpec } from "./tokenizer-json.js";

/** A question/context pair as BERT reads it: [CLS] question [SEP] context [SEP]. */
export interface EncodedPair {
  /** Token ids, exactly as long as the sequence (no padding). */
  readonly ids: Int32Array;
  /** Index of the first context token: token_type_ids are 0 before it and 1 from it on. */
  readonly contextStart: number;
  /** Index one past the last context token (the final [SEP]). */
  readonly contextEnd: number;
  /** Whether the context was cut to fit maxSeqLength. */
  readonly truncated: boolean;
}

/** The question alone leaves no room for the context: the caller's mistake, answered with a 400. */
export class QuestionTooLongError extends Error {
  constructor(maxSeqLength: number) {
    super(`seq_0 (the question) is too long: with [CLS] and two [SEP] it must leave room for the context within ${maxSeqLength} tokens; shorten the question.`);
    this.name = "QuestionTooLongError";
  }
}

/** Words cached per tokenizer; past this the cache starts again, so memory stays bounded whatever clients send. */
const WORD_CACHE_LIMIT = 50_000;

/**
 * BERT WordPiece tokenizer (uncased) that gives the same ids as Hugging Face tokenizers for
 * tokenizer.json files with BertNormalizer + BertPreTokenizer + WordPiece: vocabulary in a Map,
 * a cache of word -> ids, and an encoder that stops reading once the sequence is full, so a huge
 * context costs no more than maxSeqLength tokens of work.
 */
export class WordPieceTokenizer {
  readonly clsId: number;
  readonly sepId: number;
  readonly unkId: number;
  readonly vocabSize: number;
  private readonly idToToken: string[] = [];
  private readonly wordCache = new Map<string, Int32Array>();
  private readonly addedTokenPattern: RegExp | undefined;
  /** The first character every added token shares ("[" for BERT), so ordinary text skips the regex; undefined if they differ. */
  private readonly addedTokenLead: string | undefined;
  private scratch = new Int32Array(512);

  constructor(private readonly spec: WordPieceSpec) {
    this.clsId = spec.vocab.get(spec.clsToken)!;
    this.sepId = spec.vocab.get(spec.sepToken)!;
    this.unkId = spec.vocab.get(spec.unkToken)!;
    for (const [token, id] of spec.vocab) this.idToToken[id] = token;
    for (const [token, id] of spec.addedTokens) this.idToToken[id] ??= token;
    this.vocabSize = this.idToToken.length;
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
    this.forEachId(text, (id) => (ids.push(id), true));
    return ids;
  }

  /** [CLS] question [SEP] context [SEP], the context truncated (never the question) to maxSeqLength tokens. */
  encodePair(question: string, context: string, maxSeqLength: number): EncodedPair {
    if (this.scratch.length < maxSeqLength) this.scratch = new Int32Array(maxSeqLength);
    const out = this.scratch;
    let length = 0;
    out[length++] = this.clsId;
    const questionLimit = maxSeqLength - 2;
    let overflow = false;
    this.forEachId(question, (id) => {
      if (length >= questionLimit) return !(overflow = true);
      out[length++] = id;
      return true;
    });
    // The question must leave room for [SEP], at least one context token and the last [SEP].
    if (overflow || length > maxSeqLength - 3) throw new QuestionTooLongError(maxSeqLength);
    out[length++] = this.sepId;
    const contextStart = length;
    const contextLimit = maxSeqLength - 1;
    let truncated = false;
    this.forEachId(context, (id) => {
      if (length >= contextLimit) return !(truncated = true);
      out[length++] = id;
      return true;
    });
    const contextEnd = length;
    out[length++] = this.sepId;
    return { ids: out.slice(0, length), contextStart, contextEnd, truncated };
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

  /** Calls onId for each token id of text (added tokens such as [SEP] matched verbatim first); stops when it returns false. */
  private forEachId(text: string, onId: (id: number) => boolean): void {
    const pattern = this.addedTokenPattern;
    let running = true;
    const onWord = (word: string): boolean => {
      const ids = this.wordIds(word);
      for (let i = 0; i < ids.length && running; i++) running = onId(ids[i]!);
      return running;
    };
    if (pattern === undefined || (this.addedTokenLead !== undefined && !text.includes(this.addedTokenLead))) {
      forEachBertWord(text, onWord);
      return;
    }
    let last = 0;
    for (const match of text.matchAll(pattern)) {
      forEachBertWord(text.slice(last, match.index), onWord);
      if (!running) return;
      running = onId(this.spec.addedTokens.get(match[0])!);
      if (!running) return;
      last = match.index + match[0].length;
    }
    forEachBertWord(text.slice(last), onWord);
  }

  private wordIds(word: string): Int32Array {
    let ids = this.wordCache.get(word);
    if (ids === undefined) {
      ids = Int32Array.from(this.wordPiece(word));
      if (this.wordCache.size >= WORD_CACHE_LIMIT) this.wordCache.clear();
      this.wordCache.set(word, ids);
    }
    return ids;
  }

  /** Greedy longest-match-first; a word with no full cover, or longer than the limit, is one [UNK]. */
  private wordPiece(word: string): number[] {
    const { vocab, continuingSubwordPrefix: prefix, maxInputCharsPerWord } = this.spec;
    if (word.length > maxInputCharsPerWord && [...word].length > maxInputCharsPerWord) return [this.unkId];
    const ids: number[] = [];
    let start = 0;
    while (start < word.length) {
      let end = word.length;
      let found: number | undefined;
      while (start < end) {
        const piece = start > 0 ? prefix + word.slice(start, end) : word.slice(start, end);
        found = vocab.get(piece);
        if (found !== undefined) break;
        end--;
      }
      if (found === undefined) return [this.unkId];
      ids.push(found);
      start = end;
    }
    return ids;
  }
}
