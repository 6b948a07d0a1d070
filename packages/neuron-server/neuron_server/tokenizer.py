"""BERT WordPiece from a Hugging Face tokenizer.json, giving the ids of the model-server's TypeScript tokenizer
(packages/model-server/src/tokenizer) and of Hugging Face tokenizers: BertNormalizer, BertPreTokenizer,
greedy longest-match WordPiece, added tokens such as [SEP] matched verbatim, [CLS] q [SEP] c [SEP]."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelLoadError, QuestionTooLongError

WORD_CACHE_LIMIT = 50_000
"""Words cached per tokenizer; past this the cache starts again, so memory stays bounded whatever clients send."""

_CJK_RANGES = (
    (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
)


def _is_cjk(code: int) -> bool:
    return any(low <= code <= high for low, high in _CJK_RANGES)


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def normalize_bert_text(text: str) -> str:
    """BertNormalizer: clean text, space out CJK ideographs, strip accents (NFD, drop Mn), lower-case; in the reference's order."""
    out: list[str] = []
    for char in text:
        if char in "\t\n\r":
            out.append(" ")
            continue
        category = unicodedata.category(char)
        if category.startswith("C") or char == "\ufffd":
            continue
        if category in ("Zs", "Zl", "Zp"):
            out.append(" ")
        elif _is_cjk(ord(char)):
            out.append(f" {char} ")
        else:
            out.append(char)
    decomposed = unicodedata.normalize("NFD", "".join(out))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").lower()


def bert_words(text: str) -> Iterator[str]:
    """BertPreTokenizer over normalized text: runs of non-space, non-punctuation characters; each punctuation character alone."""
    word: list[str] = []
    for char in normalize_bert_text(text):
        if char.isspace():
            if word:
                yield "".join(word)
                word = []
        elif _is_punctuation(char):
            if word:
                yield "".join(word)
                word = []
            yield char
        else:
            word.append(char)
    if word:
        yield "".join(word)


@dataclass(frozen=True)
class EncodedPair:
    """[CLS] question [SEP] context [SEP]: ids without padding, the context span [context_start, context_end)."""

    ids: list[int]
    context_start: int
    context_end: int
    truncated: bool


class WordPieceTokenizer:
    """Uncased BERT WordPiece with a word cache and an encoder that stops reading once the sequence is full."""

    def __init__(self, spec: dict, source: str = "tokenizer.json") -> None:
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
        normalizer = spec.get("normalizer")
        if isinstance(normalizer, dict) and normalizer.get("type") == "BertNormalizer" and normalizer.get("lowercase") is False:
            raise fail("its BertNormalizer keeps case; only uncased (lowercase: true) BERT tokenizers are supported")
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
        for token in (self.unk_token, "[CLS]", "[SEP]"):
            if token not in self.vocab:
                raise fail(f"its vocabulary has no {token} token")
        self.cls_id = self.vocab["[CLS]"]
        self.sep_id = self.vocab["[SEP]"]
        self.unk_id = self.vocab[self.unk_token]
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
        self._cache: dict[str, list[int]] = {}

    @staticmethod
    def from_file(path: Path) -> "WordPieceTokenizer":
        try:
            spec = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ModelLoadError(f"The tokenizer file {path} could not be read as JSON ({error}); copy or generate it again.") from None
        return WordPieceTokenizer(spec, str(path))

    def encode_text(self, text: str) -> list[int]:
        """Ids of text without special tokens around it (tokenizer.encode(text, add_special_tokens=False))."""
        return list(self._ids(text))

    def encode_pair(self, question: str, context: str, max_seq_length: int) -> EncodedPair:
        """[CLS] question [SEP] context [SEP], the context truncated (never the question) to max_seq_length tokens."""
        ids = [self.cls_id]
        for token_id in self._ids(question):
            if len(ids) >= max_seq_length - 2:
                raise QuestionTooLongError(max_seq_length)
            ids.append(token_id)
        # The question must leave room for [SEP], at least one context token and the last [SEP].
        if len(ids) > max_seq_length - 3:
            raise QuestionTooLongError(max_seq_length)
        ids.append(self.sep_id)
        context_start = len(ids)
        truncated = False
        for token_id in self._ids(context):
            if len(ids) >= max_seq_length - 1:
                truncated = True
                break
            ids.append(token_id)
        context_end = len(ids)
        ids.append(self.sep_id)
        return EncodedPair(ids, context_start, context_end, truncated)

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

    def _ids(self, text: str) -> Iterator[int]:
        """Token ids of text in order, lazily, so a caller that has enough stops the work (a huge context costs max_seq_length tokens)."""
        pattern = self._added_pattern
        if pattern is None or (self._added_lead is not None and self._added_lead not in text):
            for word in bert_words(text):
                yield from self._word_ids(word)
            return
        last = 0
        for match in pattern.finditer(text):
            for word in bert_words(text[last:match.start()]):
                yield from self._word_ids(word)
            yield self.added[match.group(0)]
            last = match.end()
        for word in bert_words(text[last:]):
            yield from self._word_ids(word)

    def _word_ids(self, word: str) -> list[int]:
        ids = self._cache.get(word)
        if ids is None:
            ids = self._wordpiece(word)
            if len(self._cache) >= WORD_CACHE_LIMIT:
                self._cache.clear()
            self._cache[word] = ids
        return ids

    def _wordpiece(self, word: str) -> list[int]:
        """Greedy longest-match-first; a word with no full cover, or longer than the limit, is one [UNK]."""
        if len(word) > self.max_chars:
            return [self.unk_id]
        ids: list[int] = []
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
                return [self.unk_id]
            ids.append(found)
            start = end
        return ids
