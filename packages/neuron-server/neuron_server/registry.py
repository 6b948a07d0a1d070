"""The served models: model0..model{N-1}, each a tokenizer and the batch queue of the runner it uses. Known by name
from start-up; ready once loaded (and compiled, on Neuron)."""

from __future__ import annotations

import functools
import os
import logging
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .backends import ClassLogits, ModelRunner, Row, RowLogits, create_runners
from .batch_queue import BatchQueue, QueueOptions
from .model_files import labels_of, read_model_files, served_seq_length
from .settings import Settings
from .tokenizer import WordPieceTokenizer


class ModelUnavailableError(Exception):
    """The models are not loaded yet (compiling for Neuron takes minutes): 503 with Retry-After."""

    def __init__(self, retry_after_seconds: int = 5) -> None:
        super().__init__(f"The models are still loading (a first Neuron compile takes minutes); retry in {retry_after_seconds} s.")
        self.retry_after_seconds = retry_after_seconds


@dataclass(frozen=True)
class LoadedModel:
    name: str
    tokenizer: WordPieceTokenizer
    max_seq_length: int
    queue: BatchQueue[Row, RowLogits | ClassLogits]
    runner: ModelRunner
    input_names: tuple[str, ...] = ("input_ids", "attention_mask", "token_type_ids")
    output_names: tuple[str, ...] = ("start_logits", "end_logits")
    task: str = "question-answering"
    """question-answering, or text-classification (model.json's task) with `labels` (id2label in logit order)."""
    labels: tuple[str, ...] = ()

    @property
    def execution_provider(self) -> str:
        return self.runner.execution_provider


class ModelRegistry:
    """Where routes find models. `ready()` is false until `set_models` (the load runs beside the HTTP server)."""

    def __init__(self, names: list[str]) -> None:
        self._names = names
        self._models: dict[str, LoadedModel] = {}
        self._on_batch: Optional[Callable[[str, int, float], None]] = None

    @staticmethod
    def of(models: list[LoadedModel]) -> "ModelRegistry":
        registry = ModelRegistry([model.name for model in models])
        registry.set_models(models)
        return registry

    def set_models(self, models: list[LoadedModel]) -> None:
        self._models = {model.name: model for model in models}
        self._attach_observer()

    def observe_batches(self, on_batch: Callable[[str, int, float], None]) -> None:
        """Reports every run (session label, batch size, seconds) of the models loaded now or later, for the metrics."""
        self._on_batch = on_batch
        self._attach_observer()

    def _attach_observer(self) -> None:
        on_batch = self._on_batch
        if on_batch is None:
            return
        for model in self._models.values():
            model.queue.on_batch = functools.partial(on_batch, model.runner.label)

    def names(self) -> list[str]:
        return self._names

    def knows(self, name: str) -> bool:
        return name in self._names

    def get(self, name: str) -> Optional[LoadedModel]:
        """The model; None for an unknown name; ModelUnavailableError while loading."""
        if name not in self._names:
            return None
        model = self._models.get(name)
        if model is None:
            raise ModelUnavailableError()
        return model

    def ready(self) -> bool:
        return len(self._models) == len(self._names)

    def queue_depths(self) -> list[tuple[str, int]]:
        seen: dict[int, tuple[str, int]] = {}
        for model in self._models.values():
            seen.setdefault(id(model.queue), (model.runner.label, model.queue.depth))
        return list(seen.values())

    def close(self) -> None:
        for queue in {id(m.queue): m.queue for m in self._models.values()}.values():
            queue.close()


def _held(run: Callable[[list[Row]], list[RowLogits | ClassLogits]], hold_file: str) -> Callable[[list[Row]], list[RowLogits | ClassLogits]]:
    """`run`, waiting first while `hold_file` exists (TEST_HOLD_INFERENCE_FILE; on the inference thread, as a slow model would)."""

    def held(rows: list[Row]) -> list[RowLogits | ClassLogits]:
        while os.path.exists(hold_file):
            time.sleep(0.005)
        return run(rows)

    return held


def load_models(settings: Settings, log: logging.Logger, on_loaded: Callable[[str, float], None] | None = None) -> list[LoadedModel]:
    """Reads the model directory, builds (on Neuron: compiles or finds in the cache) the runners, and puts a batch queue in
    front of each; copies share a runner's queue on CPU unless SEPARATE_SESSIONS."""
    started = time.perf_counter()
    files = read_model_files(settings.model_dir, settings.cache_dir, log)
    seq = served_seq_length(files, settings.max_seq_length)
    runners = create_runners(files, settings, seq, log)
    options = QueueOptions(settings.max_batch, settings.max_queue_delay_ms, settings.max_queue, settings.request_timeout_ms)
    hold = settings.test_hold_inference_file
    queues: list[BatchQueue[Row, RowLogits | ClassLogits]] = [BatchQueue(runner.run if hold is None else _held(runner.run, hold), options) for runner in runners]
    classifies = files.info.get("task") == "text-classification"
    task: dict[str, Any] = {"task": "text-classification", "output_names": ("logits",), "labels": labels_of(files.info)} if classifies else {}
    models = []
    for copy in range(settings.num_models):
        index = copy if len(runners) > 1 else 0
        models.append(LoadedModel(f"model{copy}", files.tokenizer, seq, queues[index], runners[index], **task))
        if on_loaded is not None:
            on_loaded(f"model{copy}", time.perf_counter() - started)
    return models
