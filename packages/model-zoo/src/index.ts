export { generateManyModels, generateModel } from "./generate.js";
export type { GenerateManyOptions, GenerateModelOptions, GeneratedModel } from "./generate.js";
export { DEFAULT_MAX_SEQUENCE_LENGTH, MODEL_FILE, MODEL_INFO_FILE, TOKENIZER_FILE } from "./model-info.js";
export type { ModelInfo, TensorInfo } from "./model-info.js";
export { isPresetName, PRESET_NAMES, PRESETS, presetByName } from "./presets.js";
export type { BertArchitecture, PresetName } from "./presets.js";
export { buildTokenizerJson, loadBertVocabulary, SPECIAL_TOKENS, VOCABULARY_SOURCE } from "./tokenizer-json.js";
