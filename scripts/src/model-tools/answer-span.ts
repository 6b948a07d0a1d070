// The answer itself is the model server's bestAnswerSpan; this file only scores how two answers agree.

/** An answer as token indices [start, end], inclusive. */
export interface Span {
  readonly start: number;
  readonly end: number;
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
