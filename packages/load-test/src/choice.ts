// Which server and model each request goes to. Pure, shared by the k6 script and the local
// generator, so both spread load the same way.

export type ModelDistribution = "uniform" | "zipf";

/** Cumulative weights for choosing among `n` items: uniform, or Zipf (item k has weight 1/k^s, so model0 is the most popular). */
export function cumulativeWeights(n: number, distribution: ModelDistribution = "uniform", zipfS = 1): number[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`Need at least one item to choose from, got ${n}.`);
  if (distribution === "zipf" && !(zipfS >= 0)) throw new Error(`ZIPF_S must be a number >= 0 (1 is classic Zipf), got ${zipfS}.`);
  const weights = Array.from({ length: n }, (_, k) => (distribution === "zipf" ? 1 / Math.pow(k + 1, zipfS) : 1));
  const total = weights.reduce((a, b) => a + b, 0);
  let running = 0;
  return weights.map((w, k) => (k === n - 1 ? 1 : (running += w / total)));
}

/** The index whose cumulative weight first exceeds `u` (0 <= u < 1): binary search. */
export function chooseIndex(cumulative: readonly number[], u: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (u < cumulative[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export interface PickerOptions {
  targetCount: number;
  modelCount: number;
  /** "seq" cycles through every (server, model) pair in order; every other mode picks at random. */
  sequential: boolean;
  distribution?: ModelDistribution;
  zipfS?: number;
}

export interface Pick {
  target: number;
  model: number;
}

/**
 * Returns a function from (request number, random source) to the server and model to call.
 * Sequential: request i goes to pair i mod (servers x models), models cycling fastest, as the
 * AWS sample's seq test loops over servers and models. Random: the server uniformly, the model by
 * the chosen distribution.
 */
export function createPicker(options: PickerOptions): (index: number, random: () => number) => Pick {
  const { targetCount, modelCount } = options;
  if (targetCount < 1 || modelCount < 1) throw new Error("Give at least one target URL and one model name.");
  if (options.sequential) {
    const pairs = targetCount * modelCount;
    return (index) => {
      const pair = index % pairs;
      return { target: Math.floor(pair / modelCount), model: pair % modelCount };
    };
  }
  const modelWeights = cumulativeWeights(modelCount, options.distribution, options.zipfS);
  return (_index, random) => ({ target: Math.floor(random() * targetCount) % targetCount, model: chooseIndex(modelWeights, random()) });
}
