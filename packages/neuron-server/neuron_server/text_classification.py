"""Labels a text, or a pair of texts, with a sequence-classification model, as the ONNX Runtime server does
(packages/model-server/src/inference/text-classification.ts): [CLS] a [SEP] (b [SEP]), longest-first truncation,
the label with the highest logit and its softmax probability."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
import numpy.typing as npt

from .backends import ClassLogits, Row
from .registry import LoadedModel


@dataclass(frozen=True)
class Classification:
    label: str
    score: float
    logits: npt.NDArray[Any]


def label_of(logits: npt.NDArray[Any], labels: tuple[str, ...]) -> tuple[str, float]:
    best = int(np.argmax(logits))
    shifted = np.exp(logits.astype(np.float64) - float(logits[best]))
    return (labels[best] if best < len(labels) else f"LABEL_{best}"), float(1.0 / shifted.sum())


def class_logits(output: object) -> npt.NDArray[Any]:
    if not isinstance(output, ClassLogits):
        raise TypeError("This model gives start and end logits, not class logits: it is a question-answering model.")
    return output.logits


async def classify_text(model: LoadedModel, first: str, second: Optional[str]) -> Classification:
    ids, second_start = model.tokenizer.encode_for_classification(first, second, model.max_seq_length)
    type_ids = [0] * second_start + [1] * (len(ids) - second_start)
    logits = class_logits(await model.queue.submit(Row(ids, type_ids, [1] * len(ids))))
    label, score = label_of(logits, model.labels)
    return Classification(label, score, logits)
