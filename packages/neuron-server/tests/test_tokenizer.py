"""The reference ids are those packages/model-server/src/tokenizer/wordpiece-tokenizer.test.ts checks (bert-base-uncased's
vocab.txt and Hugging Face tokenizers); the vitest wrapper also compares random text with the TypeScript tokenizer."""

import json
from pathlib import Path

import pytest

from neuron_server.errors import ModelLoadError, QuestionTooLongError
from neuron_server.sample_defaults import DEFAULT_CONTEXT, DEFAULT_QUESTION
from neuron_server.tokenizer import NormalizerSpec, WordPieceTokenizer, normalize_bert_text


@pytest.fixture(scope="module")
def tokenizer(model_dir: Path) -> WordPieceTokenizer:
    return WordPieceTokenizer.from_file(model_dir / "tokenizer.json")


@pytest.mark.parametrize(("text", "ids"), [
    ("hello", [7592]), ("Hello World", [7592, 2088]), ("[CLS]", [101]), ("[SEP]", [102]), ("hello[SEP]world", [7592, 102, 2088]),
    ("unaffable", [14477, 20961, 3468]), ("Héllo, World!", [7592, 1010, 2088, 999]), ("naïve café", [15743, 7668]),
    ("don't", [2123, 1005, 1056]), ("what does the little engine say?", [2054, 2515, 1996, 2210, 3194, 2360, 1029]),
    ("中国人", [1746, 1799, 1756]), ("hello中国", [7592, 1746, 1799]), ("a\u0001b c\u00a0d", [11113, 1039, 1040]),
    ("", []), ("   \t\n ", []), ("x" * 101, [100]),
])
def test_encode_text_gives_the_reference_ids(tokenizer: WordPieceTokenizer, text: str, ids: list[int]) -> None:
    assert tokenizer.encode_text(text) == ids


def test_normalization(tokenizer: WordPieceTokenizer) -> None:
    assert normalize_bert_text("ÀB\u200bc\u3000中") == "abc 中"
    assert tokenizer.encode_text(f"hello {'a' * 150} world") == [7592, 100, 2088]


def test_encode_pair_marks_the_context(tokenizer: WordPieceTokenizer) -> None:
    pair = tokenizer.encode_pair("hello", "world !", 128)
    assert (pair.ids, pair.context_start, pair.context_end, pair.truncated) == ([101, 7592, 102, 2088, 999, 102], 3, 5, False)


def test_the_sample_pair_is_59_tokens(tokenizer: WordPieceTokenizer) -> None:
    pair = tokenizer.encode_pair(DEFAULT_QUESTION, DEFAULT_CONTEXT, 128)
    assert len(pair.ids) == 59
    assert tokenizer.decode(pair.ids, pair.context_end - 10, pair.context_end) == "i think i can , i think i can ."


def test_truncates_only_the_context(tokenizer: WordPieceTokenizer) -> None:
    pair = tokenizer.encode_pair("what is this?", "word " * 10_000, 32)
    assert len(pair.ids) == 32 and pair.truncated and pair.ids[:6] == [101, 2054, 2003, 2023, 1029, 102] and pair.ids[31] == 102


def test_rejects_a_question_that_leaves_no_room(tokenizer: WordPieceTokenizer) -> None:
    with pytest.raises(QuestionTooLongError):
        tokenizer.encode_pair("word " * 29, "context", 32)
    assert len(tokenizer.encode_pair("word " * 28, "context", 32).ids) == 32


def test_decode_glues_pieces(tokenizer: WordPieceTokenizer) -> None:
    assert tokenizer.decode([14477, 20961, 3468, 1010, 7592]) == "unaffable , hello"


def _variant(model_dir: Path, **changes: object) -> WordPieceTokenizer:
    spec = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
    spec.update(changes)
    return WordPieceTokenizer(spec)


CASED = {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None, "lowercase": False}


def test_a_cased_normalizer_keeps_case_and_accents(model_dir: Path, tokenizer: WordPieceTokenizer) -> None:
    cased = _variant(model_dir, normalizer=CASED)
    assert cased.encode_text("Paris") != cased.encode_text("paris")
    assert tokenizer.encode_text("Paris") == tokenizer.encode_text("paris")
    assert normalize_bert_text("Café ÀB", NormalizerSpec(True, True, False, False)) == "Café ÀB"


def _spans(tokenizer: WordPieceTokenizer, text: str) -> list[str]:
    return [text[start:end] for start, end in tokenizer.encode_with_offsets(text)[1]]


def test_offsets_point_at_the_original_text(tokenizer: WordPieceTokenizer) -> None:
    assert _spans(tokenizer, "cafe\u0301 noir") == ["cafe\u0301", "noir"]
    assert _spans(tokenizer, "unaffable") == ["una", "ffa", "ble"]
    assert _spans(tokenizer, "a\u0007b [SEP] c") == ["a\u0007b", "[SEP]", "c"]
    assert _spans(tokenizer, "中国\U00020000x") == ["中", "国", "\U00020000", "x"]


def test_follows_the_rust_library_where_the_js_port_differs(tokenizer: WordPieceTokenizer) -> None:
    assert tokenizer.encode_text("ΟΔΟΣ") == tokenizer.encode_text("οδοσ")
    assert tokenizer.encode_text("a\u0378b") == tokenizer.encode_text("ab")
    assert tokenizer.encode_text("\U00020000\U00020001") == [tokenizer.unk_id, tokenizer.unk_id]


def test_reads_sequences_and_bert_processing(model_dir: Path, tokenizer: WordPieceTokenizer) -> None:
    sequence = _variant(model_dir, normalizer={"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "Lowercase"}, {"type": "StripAccents"}]})
    assert sequence.encode_text("Héllo, Wörld") == tokenizer.encode_text("hello, world")
    bert = _variant(model_dir, post_processor={"type": "BertProcessing", "sep": ["[MASK]", 103], "cls": ["[PAD]", 0]})
    assert bert.encode_pair("a", "b", 16).ids == [0, *tokenizer.encode_text("a"), 103, *tokenizer.encode_text("b"), 103]
    with pytest.raises(ModelLoadError, match='normalizer is "NFKC"; supported are BertNormalizer'):
        _variant(model_dir, normalizer={"type": "NFKC"})
    with pytest.raises(ModelLoadError, match='pre_tokenizer is "Whitespace"; only BertPreTokenizer'):
        _variant(model_dir, pre_tokenizer={"type": "Whitespace"})


def test_encode_for_classification_truncates_longest_first(tokenizer: WordPieceTokenizer) -> None:
    a, b = tokenizer.encode_text("hello world"), tokenizer.encode_text("good")
    assert tokenizer.encode_for_classification("hello world", None, 16) == ([101, *a, 102], 4)
    assert tokenizer.encode_for_classification("hello world", "good", 16) == ([101, *a, 102, *b, 102], 4)
    ids, second = tokenizer.encode_for_classification("a b c d e f g h", "x y", 9)
    assert ids == [101, *tokenizer.encode_text("a b c d"), 102, *tokenizer.encode_text("x y"), 102] and second == 6
