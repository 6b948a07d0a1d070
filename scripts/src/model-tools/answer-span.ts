/** An answer as token indices [start, end], inclusive. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** Longest answer considered, in tokens: the bound the model server uses (SQuAD's usual one). */
const MAX_ANSWER_TOKENS = 30;

/**
 * The span the model server would answer with: the highest start + end logit with start <= end, both in the
 * context [contextStart, contextEnd), at most 30 tokens. The same rule as model-server's bestAnswerSpan,
 * which its package does not export (TODO: import it once it does).
 */
export function answerSpan(start: ArrayLike<number>, end: ArrayLike<number>, contextStart: number, contextEnd: number): Span | undefined {
  let best: Span | undefined;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let s = contextStart; s < contextEnd; s++) {
    const last = Math.min(contextEnd, s + MAX_ANSWER_TOKENS);
    for (let e = s; e < last; e++) {
      const score = start[s]! + end[e]!;
      if (best === undefined || score > bestScore) {
        best = { start: s, end: e };
        bestScore = score;
      }
    }
  }
  return best;
}

/** SQuAD-style F1 of two answers over token positions: 1 for the same span, 0 for disjoint ones. */
export function spanF1(a: Span | undefined, b: Span | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 1 : 0;
  const overlap = Math.min(a.end, b.end) - Math.max(a.start, b.start) + 1;
  if (overlap <= 0) return 0;
  const precision = overlap / (b.end - b.start + 1);
  const recall = overlap / (a.end - a.start + 1);
  return (2 * precision * recall) / (precision + recall);
}
