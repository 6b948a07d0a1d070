export { normalizeBertText } from "./tokenizer/bert-text.js";
export { parseTokenizerJson, type WordPieceSpec } from "./tokenizer/tokenizer-json.js";
export { QuestionTooLongError, WordPieceTokenizer, type EncodedPair } from "./tokenizer/wordpiece-tokenizer.js";
export { DEFAULT_CONTEXT, DEFAULT_QUESTION } from "./sample-defaults.js";
