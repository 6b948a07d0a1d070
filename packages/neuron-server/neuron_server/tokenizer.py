"""BERT WordPiece from a Hugging Face tokenizer.json, giving the ids of the model-server's TypeScript tokenizer
(packages/model-server/src/tokenizer) and of Hugging Face tokenizers: BertNormalizer, BertPreTokenizer,
greedy longest-match WordPiece, added tokens such as [SEP] matched verbatim, [CLS] q [SEP] c [SEP]."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from .errors import ModelLoadError, QuestionTooLongError

WORD_CACHE_LIMIT = 50_000
"""Words cached per tokenizer; past this the cache starts again, so memory stays bounded whatever clients send."""

_CJK_RANGES = (
    (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
)

# What one character of the input becomes (the TypeScript tokenizer's CharKind): gone, a word break, part of a word,
# a word of its own (punctuation, CJK ideographs), or several of those (e.g. U+1FEF decomposes to "`").
_DROP, _SPACE, _WORD, _ALONE, _MIXED = range(5)


def _is_cjk(code: int) -> bool:
    return any(low <= code <= high for low, high in _CJK_RANGES)


def _is_punctuation(char: str) -> bool:
    """Rust tokenizers' is_punctuation: the ASCII punctuation ranges and every Unicode P* category."""
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


_WHITESPACE = frozenset("\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


def _is_whitespace(char: str) -> bool:
    """Rust's char::is_whitespace: the Unicode White_Space property."""
    return char in _WHITESPACE


@dataclass(frozen=True)
class NormalizerSpec:
    """BertNormalizer's steps, in its order: clean text, space out CJK ideographs, strip accents (NFD, drop Mn), lower-case."""

    clean_text: bool = True
    handle_chinese_chars: bool = True
    strip_accents: bool = True
    lowercase: bool = True


UNCASED = NormalizerSpec()
"""bert-base-uncased's BertNormalizer."""


class BertWordSplitter:
    """BertNormalizer + BertPreTokenizer, one character at a time (each class cached), so every word keeps the input
    offsets its characters came from: (word, starts, ends), starts[k]:ends[k] being where word[k] came from."""

    def __init__(self, spec: NormalizerSpec) -> None:
        self._spec = spec
        self._cache: dict[str, tuple[int, str, tuple[tuple[int, str], ...]]] = {}

    def _classify(self, char: str) -> tuple[int, str, tuple[tuple[int, str], ...]]:
        spec = self._spec
        code = ord(char)
        if spec.clean_text and (code == 0 or code == 0xFFFD or (char not in "\t\n\r" and unicodedata.category(char).startswith("C"))):
            return _DROP, "", ()
        if _is_whitespace(char):
            return _SPACE, " ", ()
        text = "".join(c for c in unicodedata.normalize("NFD", char) if unicodedata.category(c) != "Mn") if spec.strip_accents else char
        if spec.lowercase:
            # One character at a time, as Rust's char::to_lowercase: no final-sigma rule.
            text = "".join(c.lower() for c in text)
        if spec.handle_chinese_chars and _is_cjk(code):
            return (_ALONE, text, ()) if text else (_DROP, "", ())
        parts: list[tuple[int, str]] = []
        for c in text:
            kind = _SPACE if _is_whitespace(c) else _ALONE if _is_punctuation(c) else _WORD
            if kind != _ALONE and parts and parts[-1][0] == kind:
                parts[-1] = (kind, parts[-1][1] + c)
            else:
                parts.append((kind, c))
        if not parts:
            return _DROP, "", ()
        if len(parts) == 1:
            return parts[0][0], parts[0][1], ()
        return _MIXED, text, tuple(parts)

    def words(self, text: str, start: int = 0, end: Optional[int] = None) -> Iterator[tuple[str, list[int], list[int]]]:
        """The words of text[start:end], offsets into text."""
        chars: list[str] = []
        starts: list[int] = []
        ends: list[int] = []

        def flush() -> Iterator[tuple[str, list[int], list[int]]]:
            nonlocal chars, starts, ends
            if chars:
                yield "".join(chars), starts, ends
                chars, starts, ends = [], [], []

        def alone(piece: str, i: int) -> Iterator[tuple[str, list[int], list[int]]]:
            yield from flush()
            yield piece, [i] * len(piece), [i + 1] * len(piece)

        cache = self._cache
        for i in range(start, len(text) if end is None else end):
            char = text[i]
            found = cache.get(char)
            if found is None:
                found = cache[char] = self._classify(char)
            kind, piece, parts = found
            if kind == _WORD:
                chars.append(piece)
                starts.extend([i] * len(piece))
                ends.extend([i + 1] * len(piece))
            elif kind == _DROP:
                # A dropped character inside a word belongs to the character before it (as Hugging Face's alignments have it).
                if ends:
                    ends[-1] = i + 1
            elif kind == _SPACE:
                yield from flush()
            elif kind == _ALONE:
                yield from alone(piece, i)
            else:
                for part_kind, part in parts:
                    if part_kind == _WORD:
                        chars.append(part)
                        starts.extend([i] * len(part))
                        ends.extend([i + 1] * len(part))
                    elif part_kind == _SPACE:
                        yield from flush()
                    else:
                        yield from alone(part, i)
        yield from flush()


def normalize_bert_text(text: str, spec: NormalizerSpec = UNCASED) -> str:
    """The words of text as BertNormalizer + BertPreTokenizer give them, joined by spaces: for tests and tools."""
    return " ".join(word for word, _, _ in BertWordSplitter(spec).words(text))


def _read_normalizer(normalizer: object, fail: Callable[[str], ModelLoadError]) -> NormalizerSpec:
    if normalizer is None:
        return NormalizerSpec(False, False, False, False)
    if not isinstance(normalizer, dict):
        raise fail("its normalizer is not an object")
    options: dict[str, Any] = normalizer
    if options.get("type") == "BertNormalizer":
        def flag(key: str, default: bool) -> bool:
            value = options.get(key)
            return value if isinstance(value, bool) else default
        lowercase = flag("lowercase", True)
        # strip_accents null (or absent) follows lowercase, as in Hugging Face tokenizers.
        return NormalizerSpec(flag("clean_text", True), flag("handle_chinese_chars", True), flag("strip_accents", lowercase), lowercase)
    steps = normalizer.get("normalizers") if normalizer.get("type") == "Sequence" else None
    if not isinstance(steps, list):
        raise fail(f"its normalizer is {json.dumps(normalizer.get('type'))}; supported are BertNormalizer and a Sequence of NFD, StripAccents and Lowercase")
    types = [step.get("type") if isinstance(step, dict) else None for step in steps]
    unknown = next((t for t in types if t not in ("NFD", "StripAccents", "Lowercase")), None)
    if unknown is not None:
        raise fail(f"its normalizer Sequence holds {json.dumps(unknown)}; only NFD, StripAccents and Lowercase are supported")
    if ("StripAccents" in types) != ("NFD" in types):
        raise fail("its normalizer Sequence has StripAccents without NFD (or NFD alone); use both or neither")
    return NormalizerSpec(False, False, "StripAccents" in types, "Lowercase" in types)


def _read_special_tokens(post_processor: object) -> tuple[str, str]:
    """[CLS] and [SEP] as the post-processor names them (TemplateProcessing or BertProcessing); BERT's defaults otherwise."""
    if isinstance(post_processor, dict) and post_processor.get("type") == "BertProcessing":
        cls, sep = post_processor.get("cls"), post_processor.get("sep")
        if isinstance(cls, list) and cls and isinstance(cls[0], str) and isinstance(sep, list) and sep and isinstance(sep[0], str):
            return cls[0], sep[0]
    if isinstance(post_processor, dict) and post_processor.get("type") == "TemplateProcessing" and isinstance(post_processor.get("pair"), list):
        specials = [piece["SpecialToken"]["id"] for piece in post_processor["pair"]
                    if isinstance(piece, dict) and isinstance(piece.get("SpecialToken"), dict) and isinstance(piece["SpecialToken"].get("id"), str)]
        if len(specials) == 3 and specials[1] == specials[2]:
            return specials[0], specials[1]
    return "[CLS]", "[SEP]"


@dataclass(frozen=True)
class EncodedPair:
    """[CLS] question [SEP] context [SEP]: ids without padding, the context span [context_start, context_end), and each
    token's span in its own text (question or context) as offsets[k] = (start, end); (0, 0) for [CLS] and [SEP]."""

    ids: list[int]
    context_start: int
    context_end: int
    truncated: bool
    offsets: list[tuple[int, int]]


class WordPieceTokenizer:
    """BERT WordPiece (cased or uncased, accents kept or stripped, as tokenizer.json says) with offsets, a word cache and an
    encoder that stops reading once the sequence is full."""

    def __init__(self, spec: dict[str, Any], source: str = "tokenizer.json") -> None:
        def fail(problem: str) -> ModelLoadError:
            return ModelLoadError(
                f"{source} is not a BERT WordPiece tokenizer.json: {problem}. Export the tokenizer with Hugging Face "
                "tokenizers (tokenizer.save) or generate the model with model-zoo."
            )

        model = spec.get("model") if isinstance(spec, dict) else None
        if not isinstance(model, dict) or model.get("type") != "WordPiece":
            raise fail(f"model.type is {json.dumps(model.get('type') if isinstance(model, dict) else None)}, expected \"WordPiece\"")
        vocab = model.get("vocab")
        if not isinstance(vocab, dict):
            raise fail("model.vocab is not an object of token -> id")
        pre_tokenizer = spec.get("pre_tokenizer")
        if isinstance(pre_tokenizer, dict) and pre_tokenizer.get("type") != "BertPreTokenizer":
            raise fail(f"its pre_tokenizer is {json.dumps(pre_tokenizer.get('type'))}; only BertPreTokenizer (whitespace and punctuation splitting) is supported")
        self.vocab: dict[str, int] = {}
        for token, token_id in vocab.items():
            if not isinstance(token_id, int) or token_id < 0:
                raise fail(f'model.vocab["{token}"] is {json.dumps(token_id)}, expected a non-negative integer')
            self.vocab[token] = token_id
        unk = model.get("unk_token")
        self.unk_token: str = unk if isinstance(unk, str) else "[UNK]"
        prefix = model.get("continuing_subword_prefix")
        self.prefix: str = prefix if isinstance(prefix, str) else "##"
        limit = model.get("max_input_chars_per_word")
        self.max_chars: int = limit if isinstance(limit, int) else 100
        self.added: dict[str, int] = {
            a["content"]: a["id"]
            for a in spec.get("added_tokens") or []
            if isinstance(a, dict) and isinstance(a.get("content"), str) and isinstance(a.get("id"), int)
        }
        self._splitter = BertWordSplitter(_read_normalizer(spec.get("normalizer"), fail))
        cls_token, sep_token = _read_special_tokens(spec.get("post_processor"))

        def id_of(token: str) -> int:
            found = self.vocab.get(token, self.added.get(token))
            if found is None:
                raise fail(f"its vocabulary has no {token} token")
            return found

        self.unk_id = id_of(self.unk_token)
        self.cls_id = id_of(cls_token)
        self.sep_id = id_of(sep_token)
        size = max([*self.vocab.values(), *self.added.values()]) + 1
        self.id_to_token: list[str | None] = [None] * size
        for token, token_id in self.vocab.items():
            self.id_to_token[token_id] = token
        for token, token_id in self.added.items():
            if self.id_to_token[token_id] is None:
                self.id_to_token[token_id] = token
        self.vocab_size = size
        ordered = sorted(self.added, key=len, reverse=True)
        self._added_pattern = re.compile("|".join(re.escape(t) for t in ordered)) if ordered else None
        # The first character every added token shares ("[" for BERT), so ordinary text skips the regex.
        leads = {token[0] for token in ordered}
        self._added_lead = leads.pop() if len(leads) == 1 else None
        self._cache: dict[str, list[tuple[int, int]]] = {}

    @staticmethod
    def from_file(path: Path) -> "WordPieceTokenizer":
        try:
            spec = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ModelLoadError(f"The tokenizer file {path} could not be read as JSON ({error}); copy or generate it again.") from None
        return WordPieceTokenizer(spec, str(path))

    def encode_text(self, text: str) -> list[int]:
        """Ids of text without special tokens around it (tokenizer.encode(text, add_special_tokens=False))."""
        return [token_id for token_id, _, _ in self._tokens(text)]

    def encode_with_offsets(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        """Ids of text and each token's span [start, end) in it, as Hugging Face's Encoding.offsets (in characters)."""
        tokens = list(self._tokens(text))
        return [t[0] for t in tokens], [(t[1], t[2]) for t in tokens]

    def encode_pair(self, question: str, context: str, max_seq_length: int) -> EncodedPair:
        """[CLS] question [SEP] context [SEP], the context truncated (never the question) to max_seq_length tokens."""
        ids = [self.cls_id]
        offsets = [(0, 0)]
        for token_id, start, end in self._tokens(question):
            if len(ids) >= max_seq_length - 2:
                raise QuestionTooLongError(max_seq_length)
            ids.append(token_id)
            offsets.append((start, end))
        # The question must leave room for [SEP], at least one context token and the last [SEP].
        if len(ids) > max_seq_length - 3:
            raise QuestionTooLongError(max_seq_length)
        ids.append(self.sep_id)
        offsets.append((0, 0))
        context_start = len(ids)
        truncated = False
        for token_id, start, end in self._tokens(context):
            if len(ids) >= max_seq_length - 1:
                truncated = True
                break
            ids.append(token_id)
            offsets.append((start, end))
        context_end = len(ids)
        ids.append(self.sep_id)
        offsets.append((0, 0))
        return EncodedPair(ids, context_start, context_end, truncated, offsets)

    def encode_for_classification(self, first: str, second: Optional[str], max_seq_length: int) -> tuple[list[int], int]:
        """[CLS] first [SEP] (second [SEP]), cut to max_seq_length with Hugging Face's longest_first truncation (a token
        at a time from the longer text); returns the ids and where token_type_ids turn to 1."""
        room = max_seq_length - (2 if second is None else 3)
        if room < 2:
            raise ValueError(f"max_seq_length {max_seq_length} leaves no room for text.")

        def read(text: str) -> list[int]:
            ids: list[int] = []
            for token_id, _, _ in self._tokens(text):
                ids.append(token_id)
                if len(ids) > room:
                    break
            return ids

        a = read(first)
        b = [] if second is None else read(second)
        while len(a) + len(b) > room:
            (a if len(a) > len(b) else b).pop()
        if second is None:
            ids = [self.cls_id, *a, self.sep_id]
            return ids, len(ids)
        return [self.cls_id, *a, self.sep_id, *b, self.sep_id], len(a) + 2

    def decode(self, ids: list[int], start: int = 0, end: int | None = None) -> str:
        """Text of ids[start:end] as the AWS sample returns it: tokens joined by spaces, "##" pieces glued on."""
        text = ""
        stop = len(ids) if end is None else end
        for i in range(start, stop):
            token = self.id_to_token[ids[i]] if 0 <= ids[i] < self.vocab_size else None
            token = token if token is not None else self.unk_token
            if i > start and token.startswith(self.prefix):
                text += token[len(self.prefix):]
            else:
                text += f" {token}" if i > start else token
        return text.strip()

    def _tokens(self, text: str) -> Iterator[tuple[int, int, int]]:
        """(id, start, end) of each token of text in order, lazily, so a caller that has enough stops the work (a huge
        context costs max_seq_length tokens)."""
        pattern = self._added_pattern
        if pattern is None or (self._added_lead is not None and self._added_lead not in text):
            yield from self._word_tokens(text, 0, len(text))
            return
        last = 0
        for match in pattern.finditer(text):
            yield from self._word_tokens(text, last, match.start())
            yield self.added[match.group(0)], match.start(), match.end()
            last = match.end()
        yield from self._word_tokens(text, last, len(text))

    def _word_tokens(self, text: str, start: int, end: int) -> Iterator[tuple[int, int, int]]:
        for word, starts, ends in self._splitter.words(text, start, end):
            begin = 0
            for token_id, stop in self._word_pieces(word):
                yield token_id, starts[begin], ends[stop - 1]
                begin = stop

    def _word_pieces(self, word: str) -> list[tuple[int, int]]:
        pieces = self._cache.get(word)
        if pieces is None:
            pieces = self._wordpiece(word)
            if len(self._cache) >= WORD_CACHE_LIMIT:
                self._cache.clear()
            self._cache[word] = pieces
        return pieces

    def _wordpiece(self, word: str) -> list[tuple[int, int]]:
        """Greedy longest-match-first as (id, end) pairs; a word with no full cover, or longer than the limit, is one [UNK]."""
        whole = [(self.unk_id, len(word))]
        if len(word) > self.max_chars:
            return whole
        pieces: list[tuple[int, int]] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end] if start == 0 else self.prefix + word[start:end]
                found = self.vocab.get(piece)
                if found is not None:
                    break
                end -= 1
            if found is None:
                return whole
            pieces.append((found, end))
            start = end
        return pieces
