/**
 * BERT's text rules (Hugging Face tokenizers' BertNormalizer + BertPreTokenizer), split into words.
 * Two paths give the same words: a single pass over the characters for ASCII text (the common case,
 * no intermediate strings) and a general Unicode path built from the reference's rules.
 */

/** What to do with each ASCII code: 0 keep, 1 drop (control), 2 break (whitespace), 3 punctuation, 4 upper case. */
const ASCII_CLASS = new Uint8Array(128);
const KEEP = 0,
  DROP = 1,
  BREAK = 2,
  PUNCT = 3,
  UPPER = 4;
for (let code = 0; code < 128; code++) {
  if (code === 9 || code === 10 || code === 13 || code === 32) ASCII_CLASS[code] = BREAK;
  else if (code < 32 || code === 127) ASCII_CLASS[code] = DROP;
  else if ((code >= 33 && code <= 47) || (code >= 58 && code <= 64) || (code >= 91 && code <= 96) || (code >= 123 && code <= 126)) ASCII_CLASS[code] = PUNCT;
  else if (code >= 65 && code <= 90) ASCII_CLASS[code] = UPPER;
  else ASCII_CLASS[code] = KEEP;
}

// Any code unit past 0x7f: the range starts at NUL on purpose (every ASCII character is allowed).
// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

/** Calls onWord for each word of BERT-normalized (lower-cased, accent-stripped) text, in order; stops when it returns false. */
export function forEachBertWord(text: string, onWord: (word: string) => boolean): void {
  if (NON_ASCII.test(text)) forEachUnicodeWord(text, onWord);
  else forEachAsciiWord(text, onWord);
}

function forEachAsciiWord(text: string, onWord: (word: string) => boolean): void {
  let start = -1;
  let needsRewrite = false;
  const length = text.length;
  for (let i = 0; i <= length; i++) {
    const kind = i < length ? ASCII_CLASS[text.charCodeAt(i)]! : BREAK;
    if (kind === KEEP || kind === UPPER) {
      if (start < 0) start = i;
      if (kind === UPPER) needsRewrite = true;
      continue;
    }
    if (kind === DROP) {
      // A control character vanishes: the characters either side stay one word.
      if (start >= 0) needsRewrite = true;
      continue;
    }
    if (start >= 0) {
      const raw = text.slice(start, i);
      if (!onWord(needsRewrite ? rewriteAscii(raw) : raw)) return;
      start = -1;
      needsRewrite = false;
    }
    if (kind === PUNCT && !onWord(text[i]!)) return;
  }
}

function rewriteAscii(raw: string): string {
  // eslint-disable-next-line no-control-regex
  return raw.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, "").toLowerCase();
}

// Control, format, unassigned, private-use and surrogate code points (Unicode category C), except \t \n \r.
const CONTROL = /(?![\t\n\r])[\p{C}\ufffd]/gu;
// Whitespace after cleaning: \t \n \r and the space separators (Zs, Zl, Zp).
const WHITESPACE = /[\t\n\r\p{Zs}\p{Zl}\p{Zp}]/gu;
// The CJK Unified Ideographs blocks BERT treats as one word each.
const CJK =
  /[\u{4E00}-\u{9FFF}\u{3400}-\u{4DBF}\u{20000}-\u{2A6DF}\u{2A700}-\u{2B73F}\u{2B740}-\u{2B81F}\u{2B820}-\u{2CEAF}\u{F900}-\u{FAFF}\u{2F800}-\u{2FA1F}]/gu;
const NONSPACING_MARK = /\p{Mn}/gu;
// Words are runs of non-space, non-punctuation characters; each punctuation character is a word of its own.
const WORD_OR_PUNCT = /[!-/:-@[-`{-~\p{P}]|[^\s!-/:-@[-`{-~\p{P}]+/gu;

/** BertNormalizer: clean text, space out CJK ideographs, strip accents (NFD, drop Mn), lower-case; in the reference's order. */
export function normalizeBertText(text: string): string {
  return text.replace(CONTROL, "").replace(WHITESPACE, " ").replace(CJK, " $& ").normalize("NFD").replace(NONSPACING_MARK, "").toLowerCase();
}

function forEachUnicodeWord(text: string, onWord: (word: string) => boolean): void {
  for (const match of normalizeBertText(text).matchAll(WORD_OR_PUNCT)) {
    if (!onWord(match[0])) return;
  }
}
