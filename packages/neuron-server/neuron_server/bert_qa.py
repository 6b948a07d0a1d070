"""BERT for extractive question answering as a PyTorch module that computes what the project's ONNX graph
computes (packages/model-zoo/src/bert-graph.ts), with its weights read from the ONNX initializers."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .errors import ModelLoadError


@dataclass(frozen=True)
class BertArchitecture:
    layers: int
    hidden_size: int
    heads: int
    intermediate_size: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_epsilon: float


class BertLayer(nn.Module):
    """Self-attention, residual + LayerNorm, GELU feed-forward, residual + LayerNorm. Weights are [in, out] as in the graph."""

    def __init__(self, arch: BertArchitecture, weights: dict[str, torch.Tensor], prefix: str) -> None:
        super().__init__()
        self.heads = arch.heads
        self.head_size = arch.hidden_size // arch.heads
        self.scale = float(torch.tensor(math.sqrt(self.head_size), dtype=torch.float32))
        self.eps = arch.layer_norm_epsilon
        names = {
            "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
            "attn_out": "attention.output.dense", "attn_norm": "attention.output.LayerNorm",
            "ffn_in": "intermediate.dense", "ffn_out": "output.dense", "out_norm": "output.LayerNorm",
        }
        for short, name in names.items():
            self.register_parameter(f"{short}_weight", nn.Parameter(weights[f"{prefix}.{name}.weight"], requires_grad=False))
            self.register_parameter(f"{short}_bias", nn.Parameter(weights[f"{prefix}.{name}.bias"], requires_grad=False))

    def _split_heads(self, x: torch.Tensor) -> torch.Tensor:
        batch, seq, _ = x.shape
        return x.reshape(batch, seq, self.heads, self.head_size).transpose(1, 2)

    def forward(self, hidden: torch.Tensor, mask_bias: torch.Tensor) -> torch.Tensor:
        query = self._split_heads(hidden @ self.q_weight + self.q_bias)
        key = self._split_heads(hidden @ self.k_weight + self.k_bias)
        value = self._split_heads(hidden @ self.v_weight + self.v_bias)
        scores = (query @ key.transpose(-1, -2)) / self.scale + mask_bias
        context = torch.softmax(scores, dim=-1) @ value
        batch, _, seq, _ = context.shape
        merged = context.transpose(1, 2).reshape(batch, seq, self.heads * self.head_size)
        attended = F.layer_norm(merged @ self.attn_out_weight + self.attn_out_bias + hidden, merged.shape[-1:], self.attn_norm_weight, self.attn_norm_bias, self.eps)
        expanded = F.gelu(attended @ self.ffn_in_weight + self.ffn_in_bias)
        contracted = expanded @ self.ffn_out_weight + self.ffn_out_bias
        return F.layer_norm(contracted + attended, attended.shape[-1:], self.out_norm_weight, self.out_norm_bias, self.eps)


class BertEncoder(nn.Module):
    """BERT's embeddings and encoder: input_ids, attention_mask, token_type_ids int64 [batch, seq] -> hidden states."""

    def __init__(self, arch: BertArchitecture, weights: dict[str, torch.Tensor]) -> None:
        super().__init__()
        self.arch = arch
        e = "bert.embeddings"
        self.word = nn.Parameter(weights[f"{e}.word_embeddings.weight"], requires_grad=False)
        self.position = nn.Parameter(weights[f"{e}.position_embeddings.weight"], requires_grad=False)
        self.token_type = nn.Parameter(weights[f"{e}.token_type_embeddings.weight"], requires_grad=False)
        self.norm_weight = nn.Parameter(weights[f"{e}.LayerNorm.weight"], requires_grad=False)
        self.norm_bias = nn.Parameter(weights[f"{e}.LayerNorm.bias"], requires_grad=False)
        self.layers = nn.ModuleList(BertLayer(arch, weights, f"bert.encoder.layer.{i}") for i in range(arch.layers))

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
        seq = input_ids.shape[1]
        # Positions 0..seq-1 by slicing the table, which traces with a dynamic sequence length (no arange constant).
        positions = self.position[:seq].unsqueeze(0)
        summed = F.embedding(input_ids, self.word) + positions + F.embedding(token_type_ids, self.token_type)
        hidden = F.layer_norm(summed, summed.shape[-1:], self.norm_weight, self.norm_bias, self.arch.layer_norm_epsilon)
        # [batch, 1, 1, seq]: 0 where attention_mask is 1, -10000 where it is 0 (padding).
        mask_bias = (1.0 - attention_mask.to(torch.float32)).unsqueeze(1).unsqueeze(2) * -10000.0
        for layer in self.layers:
            hidden = layer(hidden, mask_bias)
        return hidden


class BertQuestionAnswering(BertEncoder):
    """input_ids, attention_mask, token_type_ids int64 [batch, seq] -> (start_logits, end_logits) float32 [batch, seq]."""

    def __init__(self, arch: BertArchitecture, weights: dict[str, torch.Tensor]) -> None:
        super().__init__(arch, weights)
        self.qa_weight = nn.Parameter(weights["qa_outputs.weight"], requires_grad=False)
        self.qa_bias = nn.Parameter(weights["qa_outputs.bias"], requires_grad=False)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.encode(input_ids, attention_mask, token_type_ids) @ self.qa_weight + self.qa_bias
        return logits[..., 0], logits[..., 1]


class BertSequenceClassification(BertEncoder):
    """BertForSequenceClassification: the [CLS] state through the pooler (dense + tanh) and the classifier -> logits
    float32 [batch, labels]."""

    def __init__(self, arch: BertArchitecture, weights: dict[str, torch.Tensor]) -> None:
        super().__init__(arch, weights)
        self.pooler_weight = nn.Parameter(weights["bert.pooler.dense.weight"], requires_grad=False)
        self.pooler_bias = nn.Parameter(weights["bert.pooler.dense.bias"], requires_grad=False)
        self.classifier_weight = nn.Parameter(weights["classifier.weight"], requires_grad=False)
        self.classifier_bias = nn.Parameter(weights["classifier.bias"], requires_grad=False)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
        first = self.encode(input_ids, attention_mask, token_type_ids)[:, 0]
        pooled = torch.tanh(first @ self.pooler_weight + self.pooler_bias)
        return pooled @ self.classifier_weight + self.classifier_bias


def _architecture(info: dict[str, Any], weights: dict[str, torch.Tensor], model_path: Path) -> BertArchitecture:
    """From model.json's architecture when present, else inferred from the weights (heads must then be in model.json)."""
    raw = info.get("architecture")
    given: dict[str, Any] = raw if isinstance(raw, dict) else {}
    layers = 0
    while f"bert.encoder.layer.{layers}.attention.self.query.weight" in weights:
        layers += 1
    word = weights["bert.embeddings.word_embeddings.weight"]
    heads = given.get("heads")
    if not isinstance(heads, int) or heads < 1 or word.shape[1] % heads != 0:
        raise ModelLoadError(
            f"The model info file next to {model_path} must give architecture.heads (attention heads; the hidden size "
            f"{word.shape[1]} must divide by it): the ONNX initializers do not say how many there are."
        )
    return BertArchitecture(
        layers=layers,
        hidden_size=int(word.shape[1]),
        heads=heads,
        intermediate_size=int(weights["bert.encoder.layer.0.intermediate.dense.weight"].shape[1]),
        vocab_size=int(word.shape[0]),
        max_positions=int(weights["bert.embeddings.position_embeddings.weight"].shape[0]),
        type_vocab_size=int(weights["bert.embeddings.token_type_embeddings.weight"].shape[0]),
        layer_norm_epsilon=float(given.get("layerNormEpsilon", 1e-12)),
    )


def load_bert_from_onnx(model_path: Path, info: dict[str, Any]) -> BertEncoder:
    """Reads the BERT weights from model.onnx's initializers (named as in Hugging Face's BertForQuestionAnswering or
    BertForSequenceClassification, MatMul weights stored [in, out]) into a module in eval mode: question answering, or
    sequence classification when the graph holds classifier.weight."""
    import onnx
    from onnx import numpy_helper

    try:
        proto = onnx.load(str(model_path))
    except Exception as error:  # onnx raises DecodeError, OSError and others for a bad file
        raise ModelLoadError(f"The model file {model_path} could not be read as ONNX ({error}); copy or generate it again.") from None
    weights = {init.name: torch.from_numpy(numpy_helper.to_array(init).copy()) for init in proto.graph.initializer}
    classifies = "classifier.weight" in weights
    head = ["bert.pooler.dense.weight", "classifier.weight"] if classifies else ["qa_outputs.weight"]
    required = ["bert.embeddings.word_embeddings.weight", "bert.encoder.layer.0.attention.self.query.weight", *head]
    missing = [name for name in required if name not in weights]
    if missing:
        raise ModelLoadError(
            f"The model file {model_path} does not hold BERT question-answering or classification weights named as model-zoo names them "
            f"(missing {', '.join(missing)}). Generate the model with `npx fleet model generate`, or serve a Hugging Face "
            "model directory (config.json + weights) where the transformers library is installed."
        )
    arch = _architecture(info, weights, model_path)
    try:
        floats = {k: v.to(torch.float32) for k, v in weights.items()}
        module: BertEncoder = BertSequenceClassification(arch, floats) if classifies else BertQuestionAnswering(arch, floats)
    except KeyError as error:
        raise ModelLoadError(f"The model file {model_path} lacks the weight {error.args[0]}; it is not a complete BERT model.") from None
    return module.eval()


def read_model_info(path: Path) -> dict[str, Any]:
    """model.json as a dict ({} when absent); a bad file is a ModelLoadError naming it."""
    if not path.is_file():
        return {}
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise ModelLoadError(f"The model info file {path} is not valid JSON ({error}); fix or delete it.") from None
    if not isinstance(info, dict):
        raise ModelLoadError(f"The model info file {path} must hold a JSON object.")
    return info
