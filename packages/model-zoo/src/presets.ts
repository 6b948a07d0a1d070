/** The shape of a BERT encoder with a question-answering head. */
export interface BertArchitecture {
  readonly layers: number;
  readonly hiddenSize: number;
  readonly heads: number;
  /** Width of the feed-forward block: 4 x hidden, as in BERT. */
  readonly intermediateSize: number;
  readonly vocabSize: number;
  readonly maxPositions: number;
  /** Segment ids: 0 for the question, 1 for the context. */
  readonly typeVocabSize: number;
  readonly layerNormEpsilon: number;
  /** Standard deviation of the random weights (BERT's initializer_range). */
  readonly initializerRange: number;
}

export type PresetName = "tiny" | "mini" | "base";

function bert(layers: number, hiddenSize: number, heads: number): BertArchitecture {
  return {
    layers,
    hiddenSize,
    heads,
    intermediateSize: 4 * hiddenSize,
    vocabSize: 30522,
    maxPositions: 512,
    typeVocabSize: 2,
    layerNormEpsilon: 1e-12,
    initializerRange: 0.02,
  };
}

/** tiny and mini for tests and many-model serving; base has the shape of bert-base (about 110M parameters). */
const PRESETS: Readonly<Record<PresetName, BertArchitecture>> = {
  tiny: bert(2, 128, 2),
  mini: bert(4, 256, 4),
  base: bert(12, 768, 12),
};

export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export function isPresetName(name: string): name is PresetName {
  return Object.hasOwn(PRESETS, name);
}

/** Looks a preset up by name; an unknown name is an error listing the known ones. */
export function presetByName(name: string): BertArchitecture {
  if (!isPresetName(name)) {
    throw new Error(`Unknown model size "${name}": use one of ${PRESET_NAMES.join(", ")}.`);
  }
  return PRESETS[name];
}
