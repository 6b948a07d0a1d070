"""The PyTorch module against itself (eager vs TorchScript, padded vs not); its parity with ONNX Runtime is checked from
vitest (src/neuron-server.test.ts), where onnxruntime-node is installed."""

import json
import shutil
from pathlib import Path

import onnx
import pytest
import torch

from neuron_server.backends import trace_for_cpu
from neuron_server.bert_qa import load_bert_from_onnx, read_model_info
from neuron_server.errors import ModelLoadError


@pytest.fixture(scope="module")
def module(model_dir: Path) -> torch.nn.Module:
    return load_bert_from_onnx(model_dir / "model.onnx", read_model_info(model_dir / "model.json"))


def _inputs(batch: int, seq: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, 30522, (batch, seq), generator=g)
    types = (torch.arange(seq) >= seq // 2).to(torch.int64).expand(batch, seq).contiguous()
    return ids, torch.ones_like(ids), types


def test_architecture_comes_from_model_json_and_the_weights(module: torch.nn.Module) -> None:
    arch = module.arch
    assert (arch.layers, arch.hidden_size, arch.heads, arch.intermediate_size, arch.vocab_size, arch.max_positions) == (2, 128, 2, 512, 30522, 512)


@pytest.mark.parametrize(("batch", "seq"), [(1, 8), (3, 37), (4, 128)])
def test_torchscript_trace_equals_the_eager_module_at_any_shape(module: torch.nn.Module, batch: int, seq: int) -> None:
    traced = trace_for_cpu(module)
    inputs = _inputs(batch, seq, seed=batch * 1000 + seq)
    with torch.inference_mode():
        eager, script = module(*inputs), traced(*inputs)
    assert torch.equal(eager[0], script[0]) and torch.equal(eager[1], script[1])
    assert eager[0].shape == (batch, seq) and eager[0].dtype == torch.float32


def test_padding_with_a_zero_mask_leaves_the_real_tokens_logits_alone(module: torch.nn.Module) -> None:
    ids, mask, types = _inputs(1, 20, seed=3)
    padded = [torch.cat([t, torch.zeros((1, 12), dtype=torch.int64)], dim=1) for t in (ids, mask, types)]
    with torch.inference_mode():
        alone, with_padding = module(ids, mask, types), module(*padded)
    assert torch.allclose(alone[0], with_padding[0][:, :20], atol=1e-5) and torch.allclose(alone[1], with_padding[1][:, :20], atol=1e-5)


def test_a_model_without_bert_weights_is_refused_with_what_to_do(model_dir: Path, tmp_path: Path) -> None:
    proto = onnx.load(str(model_dir / "model.onnx"))
    for init in proto.graph.initializer:
        if init.name == "qa_outputs.weight":
            init.name = "onnx::MatMul_123"
    onnx.save(proto, str(tmp_path / "model.onnx"))
    with pytest.raises(ModelLoadError, match="missing qa_outputs.weight.*transformers"):
        load_bert_from_onnx(tmp_path / "model.onnx", {"architecture": {"heads": 2}})


def test_heads_must_be_known(model_dir: Path, tmp_path: Path) -> None:
    shutil.copy(model_dir / "model.onnx", tmp_path / "model.onnx")
    info = read_model_info(model_dir / "model.json")
    del info["architecture"]
    (tmp_path / "model.json").write_text(json.dumps(info))
    with pytest.raises(ModelLoadError, match="architecture.heads"):
        load_bert_from_onnx(tmp_path / "model.onnx", read_model_info(tmp_path / "model.json"))
