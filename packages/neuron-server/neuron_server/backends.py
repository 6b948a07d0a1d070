"""Where the model runs. Neuron: torch_neuronx.trace at fixed shapes ([batch, max_seq_length] for each compiled
batch size), cached next to the model keyed by model hash, shapes and compiler version, one copy per NeuronCore.
CPU (no torch_neuronx): the same module traced with TorchScript (torch.jit.trace), dynamic shapes."""

from __future__ import annotations

import glob
import hashlib
import importlib
import json
import logging
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Optional

import numpy as np
import numpy.typing as npt
import torch

from .errors import ModelLoadError
from .model_files import NEURON_ARTIFACT_DIR, ModelFiles, upload_s3_artifact
from .settings import Settings

CORES_PER_NEURON_DEVICE = 2
"""NeuronCore-v2 per Inferentia2 device (inf2.xlarge: one device, two cores)."""


@dataclass
class Row:
    """One sequence: token ids, token type ids and attention mask, all of the row's own length (no padding)."""

    ids: list[int]
    type_ids: list[int]
    mask: list[int]


@dataclass
class RowLogits:
    """A question-answering row's start and end logits, one per token of the row."""

    start: npt.NDArray[Any]
    end: npt.NDArray[Any]


@dataclass
class ClassLogits:
    """A sequence-classification row's logits, one per label."""

    logits: npt.NDArray[Any]


@dataclass
class ModelRunner:
    """Runs batches of rows on one module (CPU) or one NeuronCore's compiled modules (one per batch size). Not thread-safe:
    each runner has one inference thread (see BatchQueue)."""

    label: str
    execution_provider: str
    max_seq_length: int
    padding: str
    modules: dict[int, Callable[..., Any]]
    """Batch size -> module. CPU: {0: module} (any shape). Neuron: the compiled batch sizes."""
    neuron_core: Optional[int] = None
    batch_sizes: tuple[int, ...] = field(default=())

    def run(self, rows: list[Row]) -> list[RowLogits | ClassLogits]:
        fixed = self.execution_provider == "neuron" or self.padding == "fixed"
        seq = self.max_seq_length if fixed else max(len(row.ids) for row in rows)
        batch = len(rows)
        if self.execution_provider == "neuron":
            # Compiled shapes only: pad the batch up to the smallest compiled size that holds it.
            batch = next(size for size in self.batch_sizes if size >= len(rows))
        ids = np.zeros((batch, seq), dtype=np.int64)
        types = np.zeros((batch, seq), dtype=np.int64)
        mask = np.zeros((batch, seq), dtype=np.int64)
        for index, row in enumerate(rows):
            length = len(row.ids)
            ids[index, :length] = row.ids
            types[index, :length] = row.type_ids
            mask[index, :length] = row.mask
        module = self.modules[batch] if self.execution_provider == "neuron" else self.modules[0]
        with torch.no_grad():  # not inference_mode: the plainest context for torch-neuronx's custom ops
            output = module(torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(types))
        if not isinstance(output, tuple):
            # A classifier: logits [batch, labels].
            classes = output.detach().to(torch.float32).cpu().numpy()
            return [ClassLogits(classes[i].copy()) for i in range(len(rows))]
        start, end = output
        start_np = start.detach().to(torch.float32).cpu().numpy()
        end_np = end.detach().to(torch.float32).cpu().numpy()
        return [RowLogits(start_np[i, : len(row.ids)].copy(), end_np[i, : len(row.ids)].copy()) for i, row in enumerate(rows)]


def import_torch_neuronx() -> Optional[ModuleType]:
    """torch_neuronx when it imports (the AWS Neuron container on inf2/trn1), else None."""
    try:
        import torch_neuronx
    except Exception:  # ImportError, or a broken install raising anything else
        return None
    return torch_neuronx


def compiled_batch_sizes(max_batch: int) -> tuple[int, ...]:
    """Powers of two below max_batch, and max_batch: a batch pads up to the next one (at most 2x the work), one compile each."""
    sizes = {max_batch}
    size = 1
    while size < max_batch:
        sizes.add(size)
        size *= 2
    return tuple(sorted(sizes))


def neuron_core_count() -> int:
    """NeuronCores visible to this process, as the Neuron runtime counts them (what torch_neuronx.experimental's placement
    uses); from the environment and /dev when the runtime cannot say."""
    try:
        return int(torch.classes.neuron.Runtime().get_visible_nc_count())
    except Exception:  # no runtime class registered, or the runtime cannot start
        return visible_neuron_cores()


def visible_neuron_cores(env: dict[str, str] | os._Environ[str] = os.environ) -> int:
    """NeuronCores this process may use: NEURON_RT_VISIBLE_CORES ("0-1", "2,3"), else NEURON_RT_NUM_CORES, else 2 per /dev/neuron* device."""
    visible = env.get("NEURON_RT_VISIBLE_CORES", "").strip()
    if visible:
        count = 0
        for part in visible.split(","):
            low, _, high = part.partition("-")
            count += int(high) - int(low) + 1 if high else 1
        return count
    if env.get("NEURON_RT_NUM_CORES", "").strip():
        return int(env["NEURON_RT_NUM_CORES"])
    devices = [path for path in glob.glob("/dev/neuron*") if re.fullmatch(r"/dev/neuron\d+", path)]
    return max(1, len(devices) * CORES_PER_NEURON_DEVICE)


def compiler_version(torch_neuronx: ModuleType) -> str:
    """torch-neuronx and neuronx-cc versions: a new compiler makes new artifacts."""
    try:
        import neuronxcc

        cc = str(getattr(neuronxcc, "__version__", "unknown"))
    except ImportError:
        cc = "unknown"
    return f"torch-neuronx-{getattr(torch_neuronx, '__version__', 'unknown')}_neuronx-cc-{cc}"


def artifact_name(model_hash: str, batch: int, seq: int, compiler: str, compiler_args: tuple[str, ...]) -> str:
    """The cache key as a file name: model hash, shapes, and a digest of the compiler version and arguments."""
    build = hashlib.sha256(json.dumps([compiler, list(compiler_args)]).encode()).hexdigest()[:12]
    return f"bert-qa-{model_hash[:16]}-b{batch}-s{seq}-{build}.pt"


def artifact_dirs(files: ModelFiles, cache_dir: str) -> list[Path]:
    """Where compiled artifacts are looked for, in order: next to the model, then in CACHE_DIR (for a read-only model dir)."""
    return [files.dir / NEURON_ARTIFACT_DIR, Path(cache_dir) / NEURON_ARTIFACT_DIR / files.dir.name]


def _writable_dir(candidates: list[Path]) -> Path:
    for directory in candidates:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            probe = tempfile.NamedTemporaryFile(dir=directory, prefix=".probe-")
            probe.close()
            return directory
        except OSError:
            continue
    raise ModelLoadError(f"None of {', '.join(map(str, candidates))} is writable for the compiled model; mount a writable CACHE_DIR.")


def _example_inputs(batch: int, seq: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    ids = torch.zeros((batch, seq), dtype=torch.int64)
    return ids, torch.ones((batch, seq), dtype=torch.int64), torch.zeros((batch, seq), dtype=torch.int64)


def compile_for_neuron(torch_neuronx: ModuleType, files: ModelFiles, settings: Settings, seq: int, log: logging.Logger) -> dict[int, Path]:
    """The compiled artifact for each batch size: found in the cache, or compiled with torch_neuronx.trace and saved
    (atomically: a temporary file renamed into place) next to the model, else in CACHE_DIR; uploaded next to an s3:// model.
    The torch module is built only when something must be compiled: a pod whose artifacts are cached never reads the weights."""
    model_hash = files.content_hash()
    compiler = compiler_version(torch_neuronx)
    paths: dict[int, Path] = {}
    module: Optional[torch.nn.Module] = None
    for batch in compiled_batch_sizes(settings.max_batch):
        name = artifact_name(model_hash, batch, seq, compiler, settings.neuron_compiler_args)
        cached = next((d / name for d in artifact_dirs(files, settings.cache_dir) if (d / name).is_file()), None)
        if cached is not None:
            log.info("using the compiled model %s", cached)
            paths[batch] = cached
            continue
        target_dir = _writable_dir(artifact_dirs(files, settings.cache_dir))
        if module is None:
            module = build_torch_module(files)
        started = time.perf_counter()
        log.info("compiling for Neuron at batch %d, sequence %d (%s); this takes minutes for bert-base", batch, seq, compiler)
        with tempfile.TemporaryDirectory(dir=target_dir, prefix=".compile-") as workdir:
            traced = torch_neuronx.trace(
                module,
                _example_inputs(batch, seq),
                compiler_workdir=workdir,
                compiler_args=list(settings.neuron_compiler_args) or None,
            )
            partial = Path(workdir) / name
            torch.jit.save(traced, str(partial))
            os.replace(partial, target_dir / name)
            del traced  # trace() also loaded it onto a NeuronCore; the copies are loaded from the file below
        (target_dir / f"{name}.json").write_text(json.dumps({
            "modelHash": model_hash, "batch": batch, "sequence": seq, "compiler": compiler,
            "compilerArgs": list(settings.neuron_compiler_args), "compileSeconds": round(time.perf_counter() - started, 1),
        }, indent=2))
        log.info("compiled %s in %.1f s", target_dir / name, time.perf_counter() - started)
        if files.source.startswith("s3://"):
            try:
                upload_s3_artifact(files.source, target_dir / name, log)
            except Exception as error:  # the pod may lack write access: the next pod compiles again, nothing else breaks
                log.warning("could not upload the compiled model next to %s (%s); later pods will compile again", files.source, error)
        paths[batch] = target_dir / name
    return paths


def load_on_core(torch_neuronx: ModuleType, path: Path, core: int) -> Any:
    """Loads a compiled artifact onto one NeuronCore (torch_neuronx.experimental.neuron_cores_context at torch.jit.load
    time); without that API, the runtime's default placement (each load on the next free core) applies."""
    experimental: Any
    try:
        experimental = importlib.import_module(f"{torch_neuronx.__name__}.experimental")
    except ImportError:
        experimental = getattr(torch_neuronx, "experimental", None)
    context = getattr(experimental, "neuron_cores_context", None)
    if context is None:
        return torch.jit.load(str(path))
    with context(start_nc=core, nc_count=1):
        return torch.jit.load(str(path))


def build_torch_module(files: ModelFiles) -> torch.nn.Module:
    """The BERT-QA module in eval mode: from model.onnx's initializers, or a Hugging Face directory through transformers."""
    if files.kind == "onnx":
        from .bert_qa import load_bert_from_onnx

        return load_bert_from_onnx(files.weights_path, files.info)
    try:
        from transformers import AutoModelForQuestionAnswering
    except ImportError:
        raise ModelLoadError(
            f"{files.dir} is a Hugging Face model directory (config.json, no model.onnx), but the transformers library is not "
            "installed here (it is in the AWS Neuron container); install it or serve a model.onnx directory."
        ) from None
    hf = AutoModelForQuestionAnswering.from_pretrained(str(files.dir), torchscript=True).eval()

    class HuggingFaceQA(torch.nn.Module):
        """Gives the transformers model the (input_ids, attention_mask, token_type_ids) -> (start, end) signature."""

        def __init__(self) -> None:
            super().__init__()
            self.inner = hf

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            outputs = self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return outputs[0], outputs[1]

    return HuggingFaceQA().eval()


def trace_for_cpu(module: torch.nn.Module) -> Any:
    """TorchScript of the module (dynamic batch and sequence: the traced graph takes its shapes from the inputs)."""
    with torch.no_grad():
        return torch.jit.trace(module, _example_inputs(2, 16))


def create_runners(files: ModelFiles, settings: Settings, seq: int, log: logging.Logger) -> list[ModelRunner]:
    """The runners for settings.num_models copies. Neuron: one per copy, copy i on NeuronCore i mod cores. CPU: one shared by
    all copies, or one per copy with SEPARATE_SESSIONS."""
    providers = settings.execution_providers
    torch_neuronx = import_torch_neuronx() if "neuron" in providers else None
    if "neuron" in providers and torch_neuronx is None:
        if "cpu" not in providers:
            raise ModelLoadError("EXECUTION_PROVIDERS is neuron, but torch_neuronx does not import here; run in the AWS Neuron container on inf2/trn1, or add cpu.")
        log.warning("torch_neuronx is not installed (not an inf2/trn1 Neuron container): running on CPU with TorchScript")
    if torch_neuronx is not None:
        paths = compile_for_neuron(torch_neuronx, files, settings, seq, log)
        cores = neuron_core_count()
        runners = []
        for copy in range(settings.num_models):
            core = copy % cores
            modules = {batch: load_on_core(torch_neuronx, path, core) for batch, path in paths.items()}
            runners.append(ModelRunner(f"model{copy}", "neuron", seq, "fixed", modules, core, tuple(sorted(paths))))
        log.info("placed %d copies on %d NeuronCores (round robin)", settings.num_models, cores)
        return runners
    traced = trace_for_cpu(build_torch_module(files))
    count = settings.num_models if settings.separate_sessions else 1
    labels = [f"model{i}" for i in range(count)] if settings.separate_sessions else ["shared"]
    return [ModelRunner(label, "cpu", seq, settings.padding, {0: traced}) for label in labels]
