// Which server and model each request goes to. Pure, shared by the k6 script and the local
// generator, so both spread load the same way.

import { shardOwner } from "@inference-fleet/fleet-config";

export type ModelDistribution = "uniform" | "zipf";

/** any: a request may go to any server (every server serves every model); shard: to the server that owns its model. */
export type ModelRouting = "any" | "shard";
export const MODEL_ROUTINGS: readonly ModelRouting[] = ["any", "shard"];

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
  /** shard: the target is the model's owner by the fleet's shared hash (needs `models`). */
  routing?: ModelRouting;
  /** Model names, in the order model indexes refer to. */
  models?: readonly string[];
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
  if (options.routing === "shard") return createShardPicker(options);
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

/**
 * Shard routing: every model has one server (shardOwner over the target count, as the servers were
 * started with SERVER_INDEX/NUM_SERVERS). Sequential cycles the models; random picks a model by the
 * distribution, and its owner is the target.
 */
function createShardPicker(options: PickerOptions): (index: number, random: () => number) => Pick {
  const models = options.models;
  if (models === undefined || models.length !== options.modelCount)
    throw new Error("Shard routing needs the model names (MODELS) to find each model's server.");
  const owners = models.map((model) => shardOwner(model, options.targetCount));
  if (options.sequential) return (index) => ({ target: owners[index % owners.length]!, model: index % owners.length });
  const modelWeights = cumulativeWeights(options.modelCount, options.distribution, options.zipfS);
  return (_index, random) => {
    const model = chooseIndex(modelWeights, random());
    return { target: owners[model]!, model };
  };
}
