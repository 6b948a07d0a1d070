"""A BertForSequenceClassification model (model.json task text-classification, id2label; the pooler and classifier
weights named as transformers names them) served by the FastAPI app: the seed route gives {label, score, detail}, v2
gives logits and label, for single sentences and pairs; the logits are the encoder's [CLS] state through the pooler and
classifier, computed here with numpy."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import onnx
import pytest
import torch
from onnx import numpy_helper
from starlette.testclient import TestClient

from neuron_server.app import create_app
from neuron_server.bert_qa import BertEncoder, load_bert_from_onnx
from neuron_server.registry import ModelRegistry, load_models
from neuron_server.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from classifier_model import LABELS, write_classifier  # noqa: E402


@pytest.fixture(scope="module")
def classifier_dir(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_classifier(model_dir, tmp_path_factory.mktemp("classifier"))


@pytest.fixture(scope="module")
def client(classifier_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(model_dir=str(classifier_dir), num_models=1, execution_providers=("cpu",), cache_dir=str(tmp_path_factory.mktemp("cache")), quiet=True)
    models = load_models(settings, logging.getLogger("test"))
    with TestClient(create_app(settings, ModelRegistry.of(models))) as test_client:
        yield test_client
    models[0].queue.close()


def _reference(classifier_dir: Path, first: str, second: str | None) -> np.ndarray:
    """numpy: tanh([CLS] state @ pooler + b) @ classifier + b, the state from the encoder (checked against ONNX Runtime)."""
    from neuron_server.tokenizer import WordPieceTokenizer

    tokenizer = WordPieceTokenizer.from_file(classifier_dir / "tokenizer.json")
    ids, second_start = tokenizer.encode_for_classification(first, second, 128)
    info = json.loads((classifier_dir / "model.json").read_text(encoding="utf-8"))
    module = load_bert_from_onnx(classifier_dir / "model.onnx", info)
    assert isinstance(module, BertEncoder)
    tensor = lambda values: torch.tensor([values], dtype=torch.int64)  # noqa: E731
    with torch.no_grad():
        state = module.encode(tensor(ids), tensor([1] * len(ids)), tensor([0] * second_start + [1] * (len(ids) - second_start)))[0, 0].numpy()
    weights = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(classifier_dir / "model.onnx")).graph.initializer}
    pooled = np.tanh(state @ weights["bert.pooler.dense.weight"] + weights["bert.pooler.dense.bias"])
    return pooled @ weights["classifier.weight"] + weights["classifier.bias"]


@pytest.mark.parametrize(("first", "second"), [
    ("The movie was wonderful!", None),
    ("The company said profits rose.", "Profits went up, the company said."),
    ("Héllo Wörld, ça va?", "Привет, Αθήνα, 中国"),
])
def test_labels_single_sentences_and_pairs(client: TestClient, classifier_dir: Path, first: str, second: str | None) -> None:
    expected = _reference(classifier_dir, first, second)
    best = int(np.argmax(expected))
    score = float(1 / np.exp(expected - expected[best]).sum())
    fields: dict[str, Any] = {"seq_0": first} if second is None else {"seq_0": first, "seq_1": second}
    seed = client.post("/predictions/model0", json=fields).json()
    assert seed == {"label": LABELS[str(best)], "score": pytest.approx(score, abs=1e-4), "detail": LABELS[str(best)]}
    inputs = [{"name": name, "shape": [1], "datatype": "BYTES", "data": [value]} for name, value in fields.items()]
    outputs = client.post("/v2/models/model0/infer", json={"inputs": inputs}).json()["outputs"]
    assert [(o["name"], o["shape"]) for o in outputs] == [("logits", [1, 3]), ("label", [1])]
    assert np.allclose(outputs[0]["data"], expected, atol=1e-4)
    assert outputs[1]["data"] == [LABELS[str(best)]]


def test_token_requests_give_logits_and_labels(client: TestClient, classifier_dir: Path) -> None:
    ids = [101, 7592, 2088, 102]
    body = {"inputs": [{"name": "input_ids", "shape": [1, 4], "datatype": "INT64", "data": ids}]}
    outputs = client.post("/v2/models/model0/infer", json=body).json()["outputs"]
    assert [o["name"] for o in outputs] == ["logits", "label"] and outputs[0]["shape"] == [1, 3]
    assert outputs[1]["data"] == [LABELS[str(int(np.argmax(outputs[0]["data"])))]]
