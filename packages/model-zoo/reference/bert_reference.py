"""PyTorch reference for BertForQuestionAnswering / BertForSequenceClassification, written out by hand with
torch.nn from transformers' definitions (modeling_bert.py), run from a checkpoint's config.json and safetensors.

The import builds model.onnx from the same files in TypeScript; the parity test compares the two within 1e-4.
Usage: python3 bert_reference.py CHECKPOINT_DIR < {"input_ids": [[...]], "attention_mask": [[...]], "token_type_ids": [[...]]}
prints {"start_logits": ..., "end_logits": ...} or {"logits": ...}. Needs torch and numpy only (Debian's python3-torch).
"""

from __future__ import annotations

import json
import math
import os
import struct
import sys

import numpy as np
import torch
from torch import nn

DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": None}


def read_safetensors(path: str) -> dict[str, torch.Tensor]:
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        raw = data[begin:end]
        if entry["dtype"] == "BF16":
            # bfloat16 is the top half of a float32.
            halves = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            values = halves.view(np.float32)
        else:
            values = np.frombuffer(raw, dtype=np.dtype(DTYPES[entry["dtype"]]).newbyteorder("<")).astype(np.float32)
        tensors[name] = torch.from_numpy(values.reshape(entry["shape"]).copy())
    return tensors


def read_checkpoint(folder: str) -> dict[str, torch.Tensor]:
    index = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            shards = sorted(set(json.load(f)["weight_map"].values()))
        weights: dict[str, torch.Tensor] = {}
        for shard in shards:
            weights.update(read_safetensors(os.path.join(folder, shard)))
        return weights
    return read_safetensors(os.path.join(folder, "model.safetensors"))


class Bert(nn.Module):
    def __init__(self, config: dict, task: str, num_labels: int):
        super().__init__()
        h = config["hidden_size"]
        self.heads = config["num_attention_heads"]
        eps = config.get("layer_norm_eps", 1e-12)
        self.word = nn.Embedding(config["vocab_size"], h)
        self.position = nn.Embedding(config.get("max_position_embeddings", 512), h)
        self.token_type = nn.Embedding(config.get("type_vocab_size", 2), h)
        self.embed_norm = nn.LayerNorm(h, eps=eps)
        self.layers = nn.ModuleList()
        for _ in range(config["num_hidden_layers"]):
            layer = nn.ModuleDict(
                {
                    "query": nn.Linear(h, h),
                    "key": nn.Linear(h, h),
                    "value": nn.Linear(h, h),
                    "attention_out": nn.Linear(h, h),
                    "attention_norm": nn.LayerNorm(h, eps=eps),
                    "intermediate": nn.Linear(h, config["intermediate_size"]),
                    "out": nn.Linear(config["intermediate_size"], h),
                    "out_norm": nn.LayerNorm(h, eps=eps),
                }
            )
            self.layers.append(layer)
        self.task = task
        if task == "question-answering":
            self.qa_outputs = nn.Linear(h, 2)
        else:
            self.pooler = nn.Linear(h, h)
            self.classifier = nn.Linear(h, num_labels)

    def load(self, weights: dict[str, torch.Tensor]) -> None:
        def take(module: nn.Module, prefix: str) -> None:
            with torch.no_grad():
                for param_name, param in module.named_parameters(recurse=False):
                    param.copy_(weights[f"{prefix}.{param_name}"])

        take(self.word, "bert.embeddings.word_embeddings")
        take(self.position, "bert.embeddings.position_embeddings")
        take(self.token_type, "bert.embeddings.token_type_embeddings")
        take(self.embed_norm, "bert.embeddings.LayerNorm")
        names = {
            "query": "attention.self.query",
            "key": "attention.self.key",
            "value": "attention.self.value",
            "attention_out": "attention.output.dense",
            "attention_norm": "attention.output.LayerNorm",
            "intermediate": "intermediate.dense",
            "out": "output.dense",
            "out_norm": "output.LayerNorm",
        }
        for i, layer in enumerate(self.layers):
            for key, name in names.items():
                take(layer[key], f"bert.encoder.layer.{i}.{name}")
        if self.task == "question-answering":
            take(self.qa_outputs, "qa_outputs")
        else:
            take(self.pooler, "bert.pooler.dense")
            take(self.classifier, "classifier")

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> dict[str, list]:
        batch, sequence = input_ids.shape
        positions = torch.arange(sequence).unsqueeze(0).expand(batch, sequence)
        x = self.embed_norm(self.word(input_ids) + self.position(positions) + self.token_type(token_type_ids))
        # transformers' extended attention mask: (1 - mask) * the dtype's smallest value, added to the scores.
        bias = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        head_size = x.shape[-1] // self.heads

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, sequence, self.heads, head_size).permute(0, 2, 1, 3)

        for layer in self.layers:
            q, k, v = split(layer["query"](x)), split(layer["key"](x)), split(layer["value"](x))
            scores = q @ k.transpose(-1, -2) / math.sqrt(head_size) + bias
            context = (scores.softmax(dim=-1) @ v).permute(0, 2, 1, 3).reshape(batch, sequence, -1)
            x = layer["attention_norm"](layer["attention_out"](context) + x)
            x = layer["out_norm"](layer["out"](nn.functional.gelu(layer["intermediate"](x))) + x)
        if self.task == "question-answering":
            start, end = self.qa_outputs(x).split(1, dim=-1)
            return {"start_logits": start.squeeze(-1).tolist(), "end_logits": end.squeeze(-1).tolist()}
        return {"logits": self.classifier(torch.tanh(self.pooler(x[:, 0]))).tolist()}


def main() -> None:
    folder = sys.argv[1]
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    task = "question-answering" if "BertForQuestionAnswering" in config["architectures"] else "text-classification"
    num_labels = len(config.get("id2label", {})) or config.get("num_labels", 2)
    model = Bert(config, task, num_labels)
    model.load(read_checkpoint(folder))
    model.eval()
    request = json.load(sys.stdin)
    tensors = {key: torch.tensor(request[key], dtype=torch.int64) for key in ("input_ids", "attention_mask", "token_type_ids")}
    with torch.no_grad():
        print(json.dumps(model(**tensors)))


if __name__ == "__main__":
    main()
