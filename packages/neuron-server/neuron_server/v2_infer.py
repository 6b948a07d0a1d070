"""Open Inference Protocol v2 infer requests, as the ONNX Runtime server reads them (packages/model-server/src/http/v2-infer.ts):
BYTES seq_0/seq_1 (or question/context) -> BYTES answer; INT64 input_ids (+ attention_mask, token_type_ids) [batch, seq]
-> FP32 start_logits, end_logits."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .backends import Row, RowLogits
from .errors import InputError
from .question_answering import answer_question
from .registry import LoadedModel
from .text_classification import class_logits, classify_text, label_of
from .sample_defaults import DEFAULT_CONTEXT, DEFAULT_QUESTION

MAX_INFER_BATCH = 64
"""Most sequences one infer request may carry; more belong in several requests."""

TEXT_INPUTS = {"seq_0": "question", "question": "question", "seq_1": "context", "context": "context"}
TOKEN_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _js(value: Any) -> str:
    """JSON as JavaScript's JSON.stringify writes it (no spaces), so messages match the ONNX Runtime server's word for word."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Tensor:
    name: str
    shape: list[int]
    datatype: str
    data: list[Any]


def _flatten(data: list[Any], depth: int = 0) -> list[Any]:
    if depth > 4:
        raise InputError("Tensor data is nested too deeply; send it flat, in row-major order.")
    if not any(isinstance(item, list) for item in data):
        return list(data)
    flat: list[Any] = []
    for item in data:
        flat.extend(_flatten(item, depth + 1) if isinstance(item, list) else [item])
    return flat


def _is_int(value: Any) -> bool:
    return not isinstance(value, bool) and (isinstance(value, int) or (isinstance(value, float) and value.is_integer()))


def _parse_tensor(raw: Any, index: int) -> Tensor:
    if not isinstance(raw, dict):
        raise InputError(f"inputs[{index}] must be an object with name, shape, datatype and data.")
    name, shape, datatype, data = raw.get("name"), raw.get("shape"), raw.get("datatype"), raw.get("data")
    if not isinstance(name, str):
        raise InputError(f"inputs[{index}].name must be a string.")
    if not isinstance(shape, list) or not 1 <= len(shape) <= 2 or not all(_is_int(d) and 1 <= d <= 100_000 for d in shape):
        raise InputError(f"Input {name}: shape must be an array of one or two positive integers, such as [1] or [1, 128].")
    if not isinstance(datatype, str):
        raise InputError(f'Input {name}: datatype must be a string such as "BYTES" or "INT64".')
    if not isinstance(data, list):
        raise InputError(f"Input {name}: data must be an array.")
    flat = _flatten(data)
    dims = [int(d) for d in shape]
    expected = 1
    for d in dims:
        expected *= d
    if len(flat) != expected:
        raise InputError(f"Input {name}: shape {_js(dims)} needs {expected} values, but data has {len(flat)}.")
    return Tensor(name, dims, datatype, flat)


def parse_infer_inputs(body: Any) -> list[Tensor]:
    """Parses a v2 request body's inputs; raises InputError saying what was expected."""
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list) or not body["inputs"]:
        raise InputError('The body must be a JSON object with a non-empty "inputs" array of tensors (name, shape, datatype, data).')
    tensors = [_parse_tensor(raw, i) for i, raw in enumerate(body["inputs"])]
    names: set[str] = set()
    for tensor in tensors:
        if tensor.name in names:
            raise InputError(f"Input {tensor.name} is given twice.")
        names.add(tensor.name)
    return tensors


async def _infer_text(model: LoadedModel, tensors: list[Tensor], postprocess: bool) -> list[dict[str, Any]]:
    columns: dict[str, list[str]] = {}
    for tensor in tensors:
        role = TEXT_INPUTS.get(tensor.name)
        if role is None:
            raise InputError(f"Unknown input {tensor.name}: text requests take BYTES inputs seq_0 (question) and seq_1 (context).")
        if tensor.datatype != "BYTES":
            raise InputError(f"Input {tensor.name} must have datatype BYTES, got {tensor.datatype}.")
        if not all(isinstance(value, str) for value in tensor.data):
            raise InputError(f"Input {tensor.name}: every value of a BYTES tensor must be a string.")
        columns[role] = tensor.data
    rows = max(len(columns.get("question", [None])), len(columns.get("context", [None])))
    for role, values in columns.items():
        if len(values) != rows:
            raise InputError(f"The {role} input has {len(values)} values but the other has {rows}; give both the same count.")
    if rows > MAX_INFER_BATCH:
        raise InputError(f"At most {MAX_INFER_BATCH} sequences per request, got {rows}; split the request.")
    if model.task == "text-classification":
        # seq_0 alone labels one text; with seq_1, the pair.
        firsts = columns.get("question", [DEFAULT_QUESTION] * rows)
        seconds = columns.get("context")
        results = await asyncio.gather(*(classify_text(model, firsts[i], None if seconds is None else seconds[i]) for i in range(rows)))
        return _classification_outputs([result.logits for result in results], model.labels)
    questions = columns.get("question", [DEFAULT_QUESTION] * rows)
    contexts = columns.get("context", [DEFAULT_CONTEXT] * rows)
    answers = await asyncio.gather(*(answer_question(model, questions[i], contexts[i], postprocess) for i in range(rows)))
    return [{"name": "answer", "datatype": "BYTES", "shape": [rows], "data": list(answers)}]


def _token_values(tensor: Tensor, limit: int, what: str) -> list[int]:
    if tensor.datatype != "INT64":
        raise InputError(f"Input {tensor.name} must have datatype INT64, got {tensor.datatype}.")
    values: list[int] = []
    for i, value in enumerate(tensor.data):
        if not _is_int(value) or not 0 <= value < limit:
            raise InputError(f"Input {tensor.name}: value {_js(value)} at position {i} is not {what}.")
        values.append(int(value))
    return values


async def _infer_tokens(model: LoadedModel, tensors: list[Tensor]) -> list[dict[str, Any]]:
    by_name: dict[str, Tensor] = {}
    for tensor in tensors:
        if tensor.name not in TOKEN_INPUTS:
            raise InputError(f"Unknown input {tensor.name}: token requests take INT64 inputs {', '.join(TOKEN_INPUTS)} of shape [batch, sequence].")
        by_name[tensor.name] = tensor
    ids = by_name.get("input_ids")
    if ids is None:
        raise InputError("A token request needs input_ids (INT64, shape [batch, sequence]).")
    if len(ids.shape) != 2:
        raise InputError(f"Input input_ids must have shape [batch, sequence], got {_js(ids.shape)}.")
    batch, seq = ids.shape
    if batch > MAX_INFER_BATCH:
        raise InputError(f"At most {MAX_INFER_BATCH} sequences per request, got {batch}; split the request.")
    if seq > model.max_seq_length:
        raise InputError(f"Sequences may be at most {model.max_seq_length} tokens, got {seq}.")
    for name in ("attention_mask", "token_type_ids"):
        other = by_name.get(name)
        if other is not None and other.shape != ids.shape:
            raise InputError(f"Input {name} must have the shape of input_ids {_js(ids.shape)}, got {_js(other.shape)}.")
    vocab = model.tokenizer.vocab_size
    id_values = _token_values(ids, vocab, f"a token id from 0 to {vocab - 1}")
    mask = _token_values(by_name["attention_mask"], 2, "0 or 1") if "attention_mask" in by_name else [1] * (batch * seq)
    types = _token_values(by_name["token_type_ids"], 2, "0 or 1") if "token_type_ids" in by_name else [0] * (batch * seq)
    rows = [Row(id_values[r * seq:(r + 1) * seq], types[r * seq:(r + 1) * seq], mask[r * seq:(r + 1) * seq]) for r in range(batch)]
    outputs = await asyncio.gather(*(model.queue.submit(row) for row in rows))
    if model.task == "text-classification":
        return _classification_outputs([class_logits(output) for output in outputs], model.labels)
    results = [output for output in outputs if isinstance(output, RowLogits)]
    start = [float(v) for logits in results for v in logits.start]
    end = [float(v) for logits in results for v in logits.end]
    return [
        {"name": "start_logits", "datatype": "FP32", "shape": [batch, seq], "data": start},
        {"name": "end_logits", "datatype": "FP32", "shape": [batch, seq], "data": end},
    ]


def _classification_outputs(logits: list[npt.NDArray[Any]], labels: tuple[str, ...]) -> list[dict[str, Any]]:
    """A classifier's answer: logits FP32 [rows, labels] and each row's label (the most likely class) as BYTES [rows]."""
    width = len(logits[0]) if logits else 0
    return [
        {"name": "logits", "datatype": "FP32", "shape": [len(logits), width], "data": [float(v) for row in logits for v in row]},
        {"name": "label", "datatype": "BYTES", "shape": [len(logits)], "data": [label_of(row, labels)[0] for row in logits]},
    ]


async def run_infer(model: LoadedModel, tensors: list[Tensor], postprocess: bool) -> list[dict[str, Any]]:
    """BYTES inputs are questions and contexts; INT64 inputs are token tensors."""
    is_text = any(t.datatype == "BYTES" or t.name in TEXT_INPUTS for t in tensors)
    return await (_infer_text(model, tensors, postprocess) if is_text else _infer_tokens(model, tensors))
