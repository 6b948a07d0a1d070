/** The best answer: token indices [start, end] (inclusive) and the sum of their logits. */
export interface AnswerSpan {
  readonly start: number;
  readonly end: number;
  readonly score: number;
}

/** Longest answer considered, in tokens (SQuAD's usual bound). */
const MAX_ANSWER_TOKENS = 30;

/**
 * The span with the highest start + end logit among valid ones: start <= end, both inside the
 * context [contextStart, contextEnd), at most maxTokens long. Undefined when the context is empty.
 */
export function bestAnswerSpan(
  startLogits: ArrayLike<number>,
  endLogits: ArrayLike<number>,
  contextStart: number,
  contextEnd: number,
  maxTokens = MAX_ANSWER_TOKENS,
): AnswerSpan | undefined {
  let best: AnswerSpan | undefined;
  for (let start = contextStart; start < contextEnd; start++) {
    const startScore = startLogits[start]!;
    const last = Math.min(contextEnd, start + maxTokens);
    for (let end = start; end < last; end++) {
      const score = startScore + endLogits[end]!;
      if (best === undefined || score > best.score) best = { start, end, score };
    }
  }
  return best;
}
