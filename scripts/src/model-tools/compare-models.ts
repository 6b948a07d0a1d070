import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  bestAnswerSpan,
  inThreadSessions,
  modelPrecision,
  parseTokenizerJson,
  spanLogits,
  WordPieceTokenizer,
  type ModelSession,
} from "@inference-fleet/model-server";
import { SeededRandom } from "@inference-fleet/model-zoo";
import { spanF1, type Span } from "./answer-span.js";
import { LogitsAgreement } from "./logits-agreement.js";

export interface CompareOptions {
  /** The reference model dir (usually fp32). */
  readonly a: string;
  /** The model dir compared with it (usually int8). */
  readonly b: string;
  /** Random question/context pairs to run at most (default: as many as `seconds` allows; 1000 without `seconds`). */
  readonly pairs?: number;
  /** Stop starting new pairs after this many seconds (the pairs run so far are the report), so bert-base's 4 s per 10 pairs stays bounded. */
  readonly seconds?: number;
  /** Milliseconds clock, for tests. */
  readonly now?: () => number;
  readonly seed?: number;
  /** Longest input in tokens (default: model.json's maxSequenceLength of A, else 128). */
  readonly maxSeqLength?: number;
  /** ONNX Runtime intra-op threads per session (default 1). */
  readonly threads?: number;
  /** Called after each pair, for progress: pairs done, the most there will be, and the estimated total at this rate within the time budget. */
  readonly onPair?: (done: number, total: number, estimate: number) => void;
}

export interface CompareReport {
  readonly a: ModelSummary;
  readonly b: ModelSummary;
  readonly pairs: number;
  readonly seed: number;
  readonly maxSeqLength: number;
  /** Mean over pairs of the number of tokens run. */
  readonly meanTokens: number;
  /** Share of pairs whose best answer span (start and end token) is the same in both models. */
  readonly answerAgreement: number;
  /** Mean SQuAD-style token F1 between the two answers (partial credit for overlapping spans). */
  readonly answerF1: number;
  /** Mean over pairs of the cosine similarity of A's and B's logits (start and end logits together). */
  readonly meanCosine: number;
  /** The lowest per-pair cosine. */
  readonly minCosine: number;
  /** Largest |A - B| over every logit of every pair, and the largest |A| for scale. */
  readonly maxAbsError: number;
  readonly maxAbsLogit: number;
}

interface ModelSummary {
  readonly dir: string;
  readonly name?: string;
  readonly precision: string;
  /** Mean session run time per pair (batch 1), in milliseconds: indicative only, not a benchmark. */
  readonly meanRunMs: number;
}

async function readInfo(dir: string): Promise<Record<string, unknown>> {
  const text = await readFile(join(dir, "model.json"), "utf8").catch(() => undefined);
  if (text === undefined) return {};
  const parsed = JSON.parse(text) as unknown;
  return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
}

/** Whole lower-case words of the vocabulary (no "##" pieces, no [SPECIAL] tokens), to write random text with. */
function vocabularyWords(tokenizerJson: string, source: string): string[] {
  const spec = parseTokenizerJson(tokenizerJson, source);
  const words = [...spec.vocab.keys()].filter((token) => /^[a-z]{2,}$/.test(token));
  if (words.length < 100) throw new Error(`${source} has only ${words.length} whole-word tokens; compare needs a BERT-style WordPiece vocabulary.`);
  return words;
}

/** A seeded random question (4-12 words) and context (20-200 words), so every run compares the same pairs. */
function randomPair(random: SeededRandom, words: readonly string[]): { question: string; context: string } {
  const pick = () => words[random.nextUint32() % words.length]!;
  const count = (min: number, max: number) => min + (random.nextUint32() % (max - min + 1));
  const sentence = (n: number) => Array.from({ length: n }, pick).join(" ");
  const question = `${sentence(count(4, 12))}?`;
  const sentences: string[] = [];
  for (let total = 0, target = count(20, 200); total < target;) {
    const n = count(5, 20);
    sentences.push(`${sentence(n)}.`);
    total += n;
  }
  return { question, context: sentences.join(" ") };
}

/** Model A's tokenizer and its words; model B must have the same tokenizer.json, as the same token ids run through both. */
async function sharedTokenizer(a: string, b: string): Promise<{ tokenizer: WordPieceTokenizer; words: string[] }> {
  const tokenizerPath = join(a, "tokenizer.json");
  const tokenizerJson = await readFile(tokenizerPath, "utf8").catch(() => {
    throw new Error(`${tokenizerPath} is missing: compare tokenizes its pairs with model A's tokenizer.json.`);
  });
  const otherTokenizer = await readFile(join(b, "tokenizer.json"), "utf8").catch(() => undefined);
  if (otherTokenizer !== undefined && otherTokenizer !== tokenizerJson) {
    throw new Error(`${a} and ${b} have different tokenizer.json files; compare runs the same token ids through both, so they must share one.`);
  }
  return { tokenizer: WordPieceTokenizer.fromJson(tokenizerJson, tokenizerPath), words: vocabularyWords(tokenizerJson, tokenizerPath) };
}

/** What the pairs so far add up to. */
interface PairTally {
  readonly logits: LogitsAgreement;
  agreed: number;
  f1: number;
  tokens: number;
  readonly runMs: [number, number];
}

/** Runs one encoded pair through both models and adds how far apart their logits and answer spans are. */
async function comparePair(
  sessionA: ModelSession,
  sessionB: ModelSession,
  pair: { readonly ids: Int32Array; readonly contextStart: number; readonly contextEnd: number },
  tally: PairTally,
): Promise<void> {
  const row = { ids: pair.ids, contextStart: pair.contextStart };
  let t = performance.now();
  const outA = spanLogits((await sessionA.run([row]))[0]!);
  tally.runMs[0] += performance.now() - t;
  t = performance.now();
  const outB = spanLogits((await sessionB.run([row]))[0]!);
  tally.runMs[1] += performance.now() - t;
  tally.logits.add([outA.start, outA.end], [outB.start, outB.end]);
  const spanA: Span | undefined = bestAnswerSpan(outA.start, outA.end, pair.contextStart, pair.contextEnd);
  const spanB: Span | undefined = bestAnswerSpan(outB.start, outB.end, pair.contextStart, pair.contextEnd);
  if (spanA?.start === spanB?.start && spanA?.end === spanB?.end) tally.agreed++;
  tally.f1 += spanF1(spanA, spanB);
  tally.tokens += pair.ids.length;
}

/**
 * Runs two question-answering model dirs on the same random question/context pairs through in-process
 * ONNX Runtime (the model server's own session and runner, batch 1) and measures how far B is from A:
 * the best answer span's agreement, and the logits' cosine similarity and largest absolute error.
 */
export async function compareModels(options: CompareOptions): Promise<CompareReport> {
  const maxPairs = options.pairs ?? (options.seconds === undefined ? 1000 : Number.MAX_SAFE_INTEGER);
  const seed = options.seed ?? 1;
  if (!Number.isInteger(maxPairs) || maxPairs < 1) throw new Error(`The number of pairs must be a positive integer, got ${String(maxPairs)}.`);
  const now = options.now ?? (() => performance.now());
  const [infoA, infoB] = await Promise.all([readInfo(options.a), readInfo(options.b)]);
  const { tokenizer, words } = await sharedTokenizer(options.a, options.b);
  const fromInfo = typeof infoA["maxSequenceLength"] === "number" ? infoA["maxSequenceLength"] : undefined;
  const maxSeqLength = options.maxSeqLength ?? fromInfo ?? 128;
  const settings = { threads: options.threads ?? 1, executionProviders: ["cpu" as const] };
  const shape = { padding: "dynamic" as const, maxSeqLength };
  const warn = (message: string) => console.error(message);

  const sessions: ModelSession[] = [];
  try {
    for (const dir of [options.a, options.b]) sessions.push(await inThreadSessions.open(join(dir, "model.onnx"), shape, settings, warn));
    const [sessionA, sessionB] = sessions as [ModelSession, ModelSession];
    const random = new SeededRandom(seed);
    const tally: PairTally = { logits: new LogitsAgreement(), agreed: 0, f1: 0, tokens: 0, runMs: [0, 0] };
    const started = now();
    const deadline = options.seconds === undefined ? Number.POSITIVE_INFINITY : started + options.seconds * 1000;
    let pairs = 0;
    for (let i = 0; i < maxPairs && (i === 0 || now() < deadline); i++) {
      const { question, context } = randomPair(random, words);
      await comparePair(sessionA, sessionB, tokenizer.encodePair(question, context, maxSeqLength), tally);
      pairs = i + 1;
      const perPairMs = (now() - started) / pairs;
      const estimate = Math.min(maxPairs, Number.isFinite(deadline) ? Math.max(pairs, Math.floor((deadline - started) / Math.max(perPairMs, 1e-6))) : maxPairs);
      options.onPair?.(pairs, maxPairs, estimate);
    }
    const summary = (dir: string, info: Record<string, unknown>, ms: number): ModelSummary => ({
      dir,
      ...(typeof info["name"] === "string" ? { name: info["name"] } : {}),
      precision: modelPrecision(info),
      meanRunMs: ms / pairs,
    });
    return {
      a: summary(options.a, infoA, tally.runMs[0]),
      b: summary(options.b, infoB, tally.runMs[1]),
      pairs,
      seed,
      maxSeqLength,
      meanTokens: tally.tokens / pairs,
      answerAgreement: tally.agreed / pairs,
      answerF1: tally.f1 / pairs,
      ...tally.logits.result(),
    };
  } finally {
    await Promise.all(sessions.map((session) => session.release()));
  }
}
