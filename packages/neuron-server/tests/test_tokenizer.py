"""The reference ids are those packages/model-server/src/tokenizer/wordpiece-tokenizer.test.ts checks (bert-base-uncased's
vocab.txt and Hugging Face tokenizers); the vitest wrapper also compares random text with the TypeScript tokenizer."""

from pathlib import Path

import pytest

from neuron_server.errors import QuestionTooLongError
from neuron_server.sample_defaults import DEFAULT_CONTEXT, DEFAULT_QUESTION
from neuron_server.tokenizer import WordPieceTokenizer, normalize_bert_text


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
