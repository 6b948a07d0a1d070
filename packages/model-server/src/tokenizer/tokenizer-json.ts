/** The parts of a Hugging Face tokenizer.json that a BERT WordPiece tokenizer needs, checked on load. */
export interface WordPieceSpec {
  readonly vocab: ReadonlyMap<string, number>;
  readonly unkToken: string;
  readonly continuingSubwordPrefix: string;
  readonly maxInputCharsPerWord: number;
  /** Tokens matched verbatim in raw text before normalization, e.g. "[SEP]". */
  readonly addedTokens: ReadonlyMap<string, number>;
  readonly clsToken: string;
  readonly sepToken: string;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

function fail(source: string, problem: string): never {
  throw new Error(
    `${source} is not a BERT WordPiece tokenizer.json: ${problem}. Export the tokenizer with Hugging Face tokenizers (tokenizer.save) or generate the model ` +
      `with model-zoo.`,
  );
}

/** Parses tokenizer.json text; `source` names the file in error messages. */
export function parseTokenizerJson(text: string, source = "tokenizer.json"): WordPieceSpec {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (error) {
    fail(source, `it is not valid JSON (${(error as Error).message})`);
  }
  if (!isObject(root)) fail(source, "the top level is not an object");
  const model = root["model"];
  if (!isObject(model) || model["type"] !== "WordPiece")
    fail(source, `model.type is ${JSON.stringify(isObject(model) ? model["type"] : undefined)}, expected "WordPiece"`);
  const rawVocab = model["vocab"];
  if (!isObject(rawVocab)) fail(source, "model.vocab is not an object of token -> id");
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(rawVocab)) {
    if (!Number.isInteger(id) || (id as number) < 0) fail(source, `model.vocab["${token}"] is ${JSON.stringify(id)}, expected a non-negative integer`);
    vocab.set(token, id as number);
  }
  const normalizer = root["normalizer"];
  if (isObject(normalizer) && normalizer["type"] === "BertNormalizer" && normalizer["lowercase"] === false) {
    fail(source, "its BertNormalizer keeps case; only uncased (lowercase: true) BERT tokenizers are supported");
  }
  const unkToken = typeof model["unk_token"] === "string" ? model["unk_token"] : "[UNK]";
  const addedTokens = new Map<string, number>();
  for (const added of Array.isArray(root["added_tokens"]) ? root["added_tokens"] : []) {
    if (isObject(added) && typeof added["content"] === "string" && Number.isInteger(added["id"])) addedTokens.set(added["content"], added["id"] as number);
  }
  const spec: WordPieceSpec = {
    vocab,
    unkToken,
    continuingSubwordPrefix: typeof model["continuing_subword_prefix"] === "string" ? model["continuing_subword_prefix"] : "##",
    maxInputCharsPerWord: Number.isInteger(model["max_input_chars_per_word"]) ? (model["max_input_chars_per_word"] as number) : 100,
    addedTokens,
    clsToken: "[CLS]",
    sepToken: "[SEP]",
  };
  for (const token of [spec.unkToken, spec.clsToken, spec.sepToken]) {
    if (!vocab.has(token)) fail(source, `its vocabulary has no ${token} token`);
  }
  return spec;
}
