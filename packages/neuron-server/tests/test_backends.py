"""The Neuron path's logic (compile per batch size, cache keyed by model hash, shapes and compiler, placement across
NeuronCores, padding to compiled shapes) with a stand-in torch_neuronx whose trace is torch.jit.trace. What only a real
inf2 shows (neuronx-cc, the runtime, core placement) is listed in the README."""

from __future__ import annotations

import contextlib
import logging
import shutil
import types
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest
import torch

from neuron_server import backends
from neuron_server.backends import Row, RowLogits, artifact_name, compiled_batch_sizes, create_runners, visible_neuron_cores
from neuron_server.errors import ModelLoadError
from neuron_server.model_files import read_model_files
from neuron_server.settings import Settings

LOG = logging.getLogger("test")


class FakeTorchNeuronx(types.ModuleType):
    def __init__(self) -> None:
        super().__init__("torch_neuronx")
        self.__version__ = "2.9.0.2.27.1"
        self.traces: list[tuple[tuple[int, ...], Any]] = []
        self.placements: list[int] = []
        fake = self

        @contextlib.contextmanager
        def neuron_cores_context(start_nc: int = -1, nc_count: int = -1) -> Iterator[None]:
            assert nc_count == 1
            fake.placements.append(start_nc)
            yield

        self.experimental = types.SimpleNamespace(neuron_cores_context=neuron_cores_context)

    def trace(self, module: torch.nn.Module, example_inputs: tuple[torch.Tensor, ...], *, compiler_workdir: str, compiler_args: Any) -> Any:
        assert Path(compiler_workdir).is_dir()
        self.traces.append((tuple(example_inputs[0].shape), compiler_args))
        return torch.jit.trace(module, example_inputs)


@pytest.fixture()
def model_copy(model_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "bert-tiny"
    shutil.copytree(model_dir, target, ignore=shutil.ignore_patterns("neuron"))
    return target


@pytest.fixture()
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeTorchNeuronx:
    fake = FakeTorchNeuronx()
    monkeypatch.setattr(backends, "import_torch_neuronx", lambda: fake)
    monkeypatch.setenv("NEURON_RT_VISIBLE_CORES", "0-1")
    return fake


def _settings(model: Path, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"model_dir": str(model), "num_models": 3, "max_batch": 4, "cache_dir": str(tmp_path / "cache"), **overrides}
    return Settings(**values)


def test_compiled_batch_sizes_are_powers_of_two_and_max_batch() -> None:
    assert compiled_batch_sizes(1) == (1,)
    assert compiled_batch_sizes(4) == (1, 2, 4)
    assert compiled_batch_sizes(6) == (1, 2, 4, 6)


def test_visible_cores_from_the_runtime_environment() -> None:
    assert visible_neuron_cores({"NEURON_RT_VISIBLE_CORES": "0-1"}) == 2
    assert visible_neuron_cores({"NEURON_RT_VISIBLE_CORES": "2,4-7"}) == 5
    assert visible_neuron_cores({"NEURON_RT_NUM_CORES": "4"}) == 4


def test_the_cache_key_changes_with_the_model_shapes_and_compiler() -> None:
    base = artifact_name("ab" * 32, 4, 128, "torch-neuronx-2.9_neuronx-cc-2.20", ())
    assert base.startswith("bert-qa-abababababababab-b4-s128-")
    assert base != artifact_name("cd" * 32, 4, 128, "torch-neuronx-2.9_neuronx-cc-2.20", ())
    assert base != artifact_name("ab" * 32, 2, 128, "torch-neuronx-2.9_neuronx-cc-2.20", ())
    assert base != artifact_name("ab" * 32, 4, 128, "torch-neuronx-2.9_neuronx-cc-2.21", ())
    assert base != artifact_name("ab" * 32, 4, 128, "torch-neuronx-2.9_neuronx-cc-2.20", ("--auto-cast", "none"))


def test_compiles_each_batch_size_once_caches_next_to_the_model_and_places_copies_round_robin(fake: FakeTorchNeuronx, model_copy: Path, tmp_path: Path) -> None:
    settings = _settings(model_copy, tmp_path, max_seq_length=64)
    runners = create_runners(read_model_files(str(model_copy), settings.cache_dir, LOG), settings, 64, LOG)
    assert [shape for shape, _ in fake.traces] == [(1, 64), (2, 64), (4, 64)]
    assert sorted(p.name.split("-")[3] for p in (model_copy / "neuron").glob("*.pt")) == ["b1", "b2", "b4"]
    assert len(list((model_copy / "neuron").glob("*.pt.json"))) == 3
    assert [(r.label, r.execution_provider, r.neuron_core) for r in runners] == [("model0", "neuron", 0), ("model1", "neuron", 1), ("model2", "neuron", 0)]
    assert fake.placements == [0, 0, 0, 1, 1, 1, 0, 0, 0]
    # A second start (a later pod with the same model store) finds every artifact and compiles nothing.
    fake.traces.clear()
    create_runners(read_model_files(str(model_copy), settings.cache_dir, LOG), settings, 64, LOG)
    assert fake.traces == []


def test_a_cached_start_never_builds_the_torch_module(fake: FakeTorchNeuronx, model_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(model_copy, tmp_path, num_models=1, max_batch=2)
    builds: list[Path] = []
    build = backends.build_torch_module
    monkeypatch.setattr(backends, "build_torch_module", lambda files: builds.append(files.dir) or build(files))
    create_runners(read_model_files(str(model_copy), settings.cache_dir, LOG), settings, 32, LOG)
    assert builds == [model_copy]  # one build serves every batch size compiled
    builds.clear()
    runners = create_runners(read_model_files(str(model_copy), settings.cache_dir, LOG), settings, 32, LOG)
    assert builds == [] and fake.traces and [r.execution_provider for r in runners] == ["neuron"]


def test_a_read_only_model_dir_caches_in_cache_dir(fake: FakeTorchNeuronx, model_copy: Path, tmp_path: Path) -> None:
    (model_copy / "neuron").write_text("not a directory")  # mkdir fails as it would on a read-only volume (tests run as root)
    settings = _settings(model_copy, tmp_path, num_models=1, max_batch=1)
    create_runners(read_model_files(str(model_copy), settings.cache_dir, LOG), settings, 32, LOG)
    assert len(list((tmp_path / "cache" / "neuron" / "bert-tiny").glob("*.pt"))) == 1


def test_compiler_arguments_reach_neuronx_cc(fake: FakeTorchNeuronx, model_copy: Path, tmp_path: Path) -> None:
    settings = _settings(model_copy, tmp_path, num_models=1, max_batch=1, neuron_compiler_args=("--auto-cast", "none"))
    create_runners(read_model_files(str(model_copy), settings.cache_dir, LOG), settings, 32, LOG)
    assert fake.traces == [((1, 32), ["--auto-cast", "none"])]


def test_neuron_runs_pad_to_the_compiled_shapes_and_answer_as_cpu_does(fake: FakeTorchNeuronx, model_copy: Path, tmp_path: Path) -> None:
    settings = _settings(model_copy, tmp_path, num_models=1, max_seq_length=48)
    files = read_model_files(str(model_copy), settings.cache_dir, LOG)
    neuron = create_runners(files, settings, 48, LOG)[0]
    cpu = create_runners(files, _settings(model_copy, tmp_path, num_models=1, execution_providers=("cpu",)), 48, LOG)[0]
    rng = np.random.default_rng(5)
    rows = [Row(rng.integers(0, 30522, n).tolist(), [0] * n, [1] * n) for n in (5, 17, 30)]
    for a, b in zip(neuron.run(rows), cpu.run(rows)):  # 3 rows run in the batch-4 module, 48 tokens each
        assert isinstance(a, RowLogits) and isinstance(b, RowLogits)
        assert a.start.shape == b.start.shape and np.allclose(a.start, b.start, atol=1e-5) and np.allclose(a.end, b.end, atol=1e-5)


def test_neuron_alone_without_torch_neuronx_is_an_error(monkeypatch: pytest.MonkeyPatch, model_copy: Path, tmp_path: Path) -> None:
    monkeypatch.setattr(backends, "import_torch_neuronx", lambda: None)
    settings = _settings(model_copy, tmp_path, execution_providers=("neuron",))
    with pytest.raises(ModelLoadError, match="torch_neuronx does not import"):
        create_runners(read_model_files(str(model_copy), settings.cache_dir, LOG), settings, 32, LOG)


def test_neuron_falls_back_to_cpu_when_allowed(monkeypatch: pytest.MonkeyPatch, model_copy: Path, tmp_path: Path) -> None:
    monkeypatch.setattr(backends, "import_torch_neuronx", lambda: None)
    settings = _settings(model_copy, tmp_path)
    runners = create_runners(read_model_files(str(model_copy), settings.cache_dir, LOG), settings, 32, LOG)
    assert [(r.label, r.execution_provider) for r in runners] == [("shared", "cpu")]


def test_missing_files_are_named(tmp_path: Path) -> None:
    (tmp_path / "model.onnx").write_bytes(b"x")
    with pytest.raises(ModelLoadError, match="tokenizer.json is missing"):
        read_model_files(str(tmp_path), str(tmp_path), LOG)
    with pytest.raises(ModelLoadError, match="does not exist"):
        read_model_files(str(tmp_path / "nope"), str(tmp_path), LOG)
