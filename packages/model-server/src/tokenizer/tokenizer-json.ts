/**
 * How a BERT tokenizer.json normalizes text, read from its normalizer. Hugging Face's BertNormalizer
 * runs these steps in this order: clean text, space out CJK ideographs, strip accents (NFD, drop Mn),
 * lower-case; a Sequence of NFD / StripAccents / Lowercase maps onto the same steps.
 */
export interface NormalizerSpec {
  /** Drop control characters (Unicode category C, except \t \n \r), NUL and U+FFFD; every whitespace becomes a space. */
  readonly cleanText: boolean;
  /** Put spaces around CJK ideographs, so each is a word of its own. */
  readonly handleChineseChars: boolean;
  /** Decompose (NFD) and drop nonspacing marks (Mn). */
  readonly stripAccents: boolean;
  /** Lower-case one character at a time, as the Rust library does (so a final capital sigma becomes σ, never ς). */
  readonly lowercase: boolean;
}

/** The parts of a Hugging Face tokenizer.json that a BERT WordPiece tokenizer needs, checked on load. */
export interface WordPieceSpec {
  readonly vocab: ReadonlyMap<string, number>;
  readonly unkToken: string;
  readonly continuingSubwordPrefix: string;
  readonly maxInputCharsPerWord: number;
  /** Tokens matched verbatim in raw text before normalization, e.g. "[SEP]". */
  readonly addedTokens: ReadonlyMap<string, number>;
  readonly normalizer: NormalizerSpec;
  readonly clsToken: string;
  readonly clsId: number;
  readonly sepToken: string;
  readonly sepId: number;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

const NO_NORMALIZER: NormalizerSpec = { cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: false };

function fail(source: string, problem: string): never {
  throw new Error(
    `${source} is not a BERT WordPiece tokenizer.json: ${problem}. Export the tokenizer with Hugging Face tokenizers (tokenizer.save) or generate the model ` +
      `with model-zoo.`,
  );
}

/** BertNormalizer's options; strip_accents null (or absent) follows lowercase, as in Hugging Face tokenizers. */
function bertNormalizer(normalizer: Json): NormalizerSpec {
  const flag = (key: string, fallback: boolean) => (typeof normalizer[key] === "boolean" ? (normalizer[key] as boolean) : fallback);
  const lowercase = flag("lowercase", true);
  return {
    cleanText: flag("clean_text", true),
    handleChineseChars: flag("handle_chinese_chars", true),
    stripAccents: flag("strip_accents", lowercase),
    lowercase,
  };
}

function readNormalizer(source: string, normalizer: unknown): NormalizerSpec {
  if (normalizer === null || normalizer === undefined) return NO_NORMALIZER;
  if (!isObject(normalizer)) fail(source, "its normalizer is not an object");
  if (normalizer["type"] === "BertNormalizer") return bertNormalizer(normalizer);
  if (normalizer["type"] !== "Sequence" || !Array.isArray(normalizer["normalizers"])) {
    fail(source, `its normalizer is ${JSON.stringify(normalizer["type"])}; supported are BertNormalizer and a Sequence of NFD, StripAccents and Lowercase`);
  }
  const types = normalizer["normalizers"].map((step) => (isObject(step) ? step["type"] : undefined));
  const unknown = types.find((type) => type !== "NFD" && type !== "StripAccents" && type !== "Lowercase");
  if (unknown !== undefined) fail(source, `its normalizer Sequence holds ${JSON.stringify(unknown)}; only NFD, StripAccents and Lowercase are supported`);
  if (types.includes("StripAccents") !== types.includes("NFD"))
    fail(source, "its normalizer Sequence has StripAccents without NFD (or NFD alone); use both or neither");
  return { cleanText: false, handleChineseChars: false, stripAccents: types.includes("StripAccents"), lowercase: types.includes("Lowercase") };
}

/** [CLS] and [SEP] as the post-processor names them (TemplateProcessing or BertProcessing); BERT's defaults otherwise. */
function readSpecialTokens(postProcessor: unknown): { cls: string; sep: string } {
  if (isObject(postProcessor) && postProcessor["type"] === "BertProcessing") {
    const [cls, sep] = [postProcessor["cls"], postProcessor["sep"]];
    if (Array.isArray(cls) && typeof cls[0] === "string" && Array.isArray(sep) && typeof sep[0] === "string") return { cls: cls[0], sep: sep[0] };
  }
  if (isObject(postProcessor) && postProcessor["type"] === "TemplateProcessing" && Array.isArray(postProcessor["pair"])) {
    const specials = postProcessor["pair"].flatMap((piece) =>
      isObject(piece) && isObject(piece["SpecialToken"]) && typeof piece["SpecialToken"]["id"] === "string" ? [piece["SpecialToken"]["id"]] : [],
    );
    if (specials.length === 3 && specials[1] === specials[2]) return { cls: specials[0]!, sep: specials[1]! };
  }
  return { cls: "[CLS]", sep: "[SEP]" };
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
  for (const token in rawVocab) {
    const id = rawVocab[token];
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0)
      fail(source, `model.vocab["${token}"] is ${JSON.stringify(id)}, expected a non-negative integer`);
    vocab.set(token, id);
  }
  const preTokenizer = root["pre_tokenizer"];
  if (isObject(preTokenizer) && preTokenizer["type"] !== "BertPreTokenizer") {
    fail(source, `its pre_tokenizer is ${JSON.stringify(preTokenizer["type"])}; only BertPreTokenizer (whitespace and punctuation splitting) is supported`);
  }
  const unkToken = typeof model["unk_token"] === "string" ? model["unk_token"] : "[UNK]";
  const addedTokens = new Map<string, number>();
  for (const added of Array.isArray(root["added_tokens"]) ? root["added_tokens"] : []) {
    if (isObject(added) && typeof added["content"] === "string" && Number.isInteger(added["id"])) addedTokens.set(added["content"], added["id"] as number);
  }
  const { cls, sep } = readSpecialTokens(root["post_processor"]);
  const idOf = (token: string) => vocab.get(token) ?? addedTokens.get(token) ?? fail(source, `its vocabulary has no ${token} token`);
  idOf(unkToken);
  return {
    vocab,
    unkToken,
    continuingSubwordPrefix: typeof model["continuing_subword_prefix"] === "string" ? model["continuing_subword_prefix"] : "##",
    maxInputCharsPerWord: Number.isInteger(model["max_input_chars_per_word"]) ? (model["max_input_chars_per_word"] as number) : 100,
    addedTokens,
    normalizer: readNormalizer(source, root["normalizer"]),
    clsToken: cls,
    clsId: idOf(cls),
    sepToken: sep,
    sepId: idOf(sep),
  };
}
