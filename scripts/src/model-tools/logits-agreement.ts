/**
 * Accumulates how close model B's logits are to model A's, pair by pair: the cosine similarity of each
 * pair's logits (all output tensors of the pair taken as one vector), and the largest absolute error.
 */
export class LogitsAgreement {
  private cosineSum = 0;
  private minCosine = 1;
  private count = 0;
  private maxAbsError = 0;
  private maxAbsLogit = 0;

  add(a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[]): void {
    let dot = 0,
      normA = 0,
      normB = 0;
    a.forEach((valuesA, t) => {
      const valuesB = b[t]!;
      if (valuesA.length !== valuesB.length) throw new Error(`The models returned ${valuesA.length} and ${valuesB.length} logits for the same input.`);
      for (let i = 0; i < valuesA.length; i++) {
        const x = valuesA[i]!,
          y = valuesB[i]!;
        dot += x * y;
        normA += x * x;
        normB += y * y;
        const error = Math.abs(x - y);
        if (!(error <= this.maxAbsError)) this.maxAbsError = Number.isNaN(error) ? Number.POSITIVE_INFINITY : error;
        if (Math.abs(x) > this.maxAbsLogit) this.maxAbsLogit = Math.abs(x);
      }
    });
    // Two all-zero vectors are identical; one zero vector against another is not similar at all.
    const cosine = normA === 0 && normB === 0 ? 1 : normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
    const safe = Number.isFinite(cosine) ? cosine : 0;
    this.cosineSum += safe;
    this.minCosine = Math.min(this.minCosine, safe);
    this.count++;
  }

  result(): { meanCosine: number; minCosine: number; maxAbsError: number; maxAbsLogit: number } {
    if (this.count === 0) throw new Error("No pairs were compared.");
    return { meanCosine: this.cosineSum / this.count, minCosine: this.minCosine, maxAbsError: this.maxAbsError, maxAbsLogit: this.maxAbsLogit };
  }
}
