"""Answers a question about a context: tokenize (context truncated to fit), run through the model's batch queue,
answer with the context's own text under the best valid span, as the ONNX Runtime server does (packages/model-server/src/inference/)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
import numpy.typing as npt

from .backends import Row, RowLogits
from .registry import LoadedModel

MAX_ANSWER_TOKENS = 30
"""Longest answer considered, in tokens (SQuAD's usual bound)."""


def best_answer_span(start: npt.NDArray[Any], end: npt.NDArray[Any], context_start: int, context_end: int,
                     max_tokens: int = MAX_ANSWER_TOKENS) -> Optional[tuple[int, int]]:
    """The span [start, end] with the highest start + end logit, start <= end, inside the context, at most max_tokens long."""
    best: Optional[tuple[int, int]] = None
    best_score = -np.inf
    for s in range(context_start, context_end):
        last = min(context_end, s + max_tokens)
        if last <= s:
            continue
        scores = float(start[s]) + end[s:last].astype(np.float64)
        e = int(np.argmax(scores))
        if best is None or scores[e] > best_score:
            best, best_score = (s, s + e), scores[e]
    return best


def summarize_logits(start: npt.NDArray[Any], end: npt.NDArray[Any]) -> str:
    s, e = int(np.argmax(start)), int(np.argmax(end))
    return f"start_logits argmax {s} ({start[s]:.4f}), end_logits argmax {e} ({end[e]:.4f}), {len(start)} tokens"


async def answer_question(model: LoadedModel, question: str, context: str, postprocess: bool) -> str:
    pair = model.tokenizer.encode_pair(question, context, model.max_seq_length)
    length = len(pair.ids)
    type_ids = [0] * pair.context_start + [1] * (length - pair.context_start)
    logits = await model.queue.submit(Row(pair.ids, type_ids, [1] * length))
    if not isinstance(logits, RowLogits):
        raise TypeError("This model gives class logits, not start and end logits: it is a text-classification model.")
    if not postprocess:
        return summarize_logits(logits.start, logits.end)
    span = best_answer_span(logits.start, logits.end, pair.context_start, pair.context_end)
    # The exact substring of the context the span's tokens came from (accents, case and spacing as sent).
    return "" if span is None else context[pair.offsets[span[0]][0]:pair.offsets[span[1]][1]]
