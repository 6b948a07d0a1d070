"""A tiny BertForSequenceClassification ONNX model from the tiny BERT-QA one: the same encoder, then the [CLS] state
through a seeded pooler (dense + tanh) and a classifier, output logits [batch, labels]; weights named as transformers
names them. Both servers serve it (ONNX Runtime runs the graph, the Neuron server rebuilds it in torch)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

LABELS = {"0": "not_equivalent", "1": "equivalent", "2": "unsure"}


def write_classifier(qa_dir: Path, out: Path, seed: int = 3) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(qa_dir / "tokenizer.json", out / "tokenizer.json")
    proto = onnx.load(str(qa_dir / "model.onnx"))
    graph = proto.graph
    head = next(n for n in graph.node if n.op_type == "MatMul" and "qa_outputs.weight" in n.input)
    state = head.input[0]
    hidden = next(numpy_helper.to_array(i).shape[1] for i in graph.initializer if i.name == "bert.embeddings.word_embeddings.weight")
    rng = np.random.default_rng(seed)
    weights = {
        "bert.pooler.dense.weight": rng.normal(0, 0.2, (hidden, hidden)),
        "bert.pooler.dense.bias": rng.normal(0, 0.2, hidden),
        "classifier.weight": rng.normal(0, 1.0, (hidden, len(LABELS))),
        "classifier.bias": rng.normal(0, 0.2, len(LABELS)),
    }
    kept_nodes = [n for n in graph.node if not any(name.startswith("qa_outputs") or name in ("start_logits", "end_logits") for name in [*n.input, *n.output])]
    kept_inits = [i for i in graph.initializer if not i.name.startswith("qa_outputs")]
    del graph.node[:]
    graph.node.extend(kept_nodes + [
        helper.make_node("Gather", [state, "classifier_cls_index"], ["pooler/cls"], axis=1),
        helper.make_node("MatMul", ["pooler/cls", "bert.pooler.dense.weight"], ["pooler/MatMul"]),
        helper.make_node("Add", ["pooler/MatMul", "bert.pooler.dense.bias"], ["pooler/Add"]),
        helper.make_node("Tanh", ["pooler/Add"], ["pooler/Tanh"]),
        helper.make_node("MatMul", ["pooler/Tanh", "classifier.weight"], ["classifier/MatMul"]),
        helper.make_node("Add", ["classifier/MatMul", "classifier.bias"], ["logits"]),
    ])
    del graph.initializer[:]
    graph.initializer.extend(kept_inits + [numpy_helper.from_array(v.astype(np.float32), k) for k, v in weights.items()]
                             + [numpy_helper.from_array(np.array(0, dtype=np.int64), "classifier_cls_index")])
    del graph.output[:]
    graph.output.append(helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", len(LABELS)]))
    onnx.save(proto, str(out / "model.onnx"))
    info = json.loads((qa_dir / "model.json").read_text(encoding="utf-8"))
    info.pop("outputs", None)
    (out / "model.json").write_text(json.dumps({**info, "task": "text-classification", "id2label": LABELS}), encoding="utf-8")
    return out


if __name__ == "__main__":
    print(write_classifier(Path(sys.argv[1]), Path(sys.argv[2])))
