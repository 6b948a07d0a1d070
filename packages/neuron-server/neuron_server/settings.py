"""Settings read once from the environment into a typed object, with the model-server's variable names,
defaults and limits (packages/model-server/src/config/settings.ts and fleet-config's schema)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal, Optional

from .errors import SettingsError

Padding = Literal["dynamic", "fixed"]
Provider = Literal["neuron", "cpu"]


@dataclass(frozen=True)
class Settings:
    """Everything the server reads at start-up. Field metadata: env (variable name) and parse (str -> value or ValueError)."""

    model_dir: str = field(default="models/bert-qa-tiny", metadata={"env": "MODEL_DIR"})
    """Model directory (MODEL_DIR or MODEL_SOURCE): a local path or s3://bucket/prefix (model.onnx + tokenizer.json + model.json, or a Hugging Face model directory)."""
    num_models: int = field(default=1, metadata={"env": "NUM_MODELS", "range": (1, 256)})
    """Copies named model0..model{N-1}; on Neuron each copy is placed on its own NeuronCore (round robin)."""
    port: int = field(default=8080, metadata={"env": "PORT", "range": (1, 65535)})
    host: str = field(default="0.0.0.0", metadata={"env": "HOST"})
    threads: int = field(default=1, metadata={"env": "THREADS", "range": (1, 192)})
    """PyTorch intra-op threads (CPU mode; on Neuron the host CPU only feeds the NeuronCores)."""
    padding: Padding = field(default="dynamic", metadata={"env": "PADDING", "choices": ("dynamic", "fixed")})
    """dynamic pads a batch to its longest row (CPU only); fixed pads to max_seq_length (always on Neuron: compiled shapes)."""
    max_batch: int = field(default=4, metadata={"env": "MAX_BATCH", "range": (1, 256)})
    max_queue_delay_ms: float = field(default=0.0, metadata={"env": "MAX_QUEUE_DELAY_MS", "range": (0, 1000)})
    max_queue: int = field(default=256, metadata={"env": "MAX_QUEUE", "range": (1, 100_000)})
    request_timeout_ms: int = field(default=10_000, metadata={"env": "REQUEST_TIMEOUT_MS", "range": (10, 600_000)})
    max_seq_length: Optional[int] = field(default=None, metadata={"env": "MAX_SEQ_LENGTH", "range": (8, 512)})
    """Longest token sequence; None: model.json's maxSequenceLength, else 128."""
    separate_sessions: bool = field(default=False, metadata={"env": "SEPARATE_SESSIONS"})
    """CPU mode: one module and queue per copy instead of one shared (Neuron copies are always separate: one per core)."""
    postprocess: bool = field(default=True, metadata={"env": "POSTPROCESS"})
    quiet: bool = field(default=False, metadata={"env": "QUIET"})
    execution_providers: tuple[Provider, ...] = field(default=("neuron", "cpu"), metadata={"env": "EXECUTION_PROVIDERS"})
    """In order of preference; "neuron,cpu" falls back to CPU (logged, and reported in /v2/models/{m}) when torch_neuronx is absent."""
    cache_dir: str = field(default=os.path.join(tempfile.gettempdir(), "inference-fleet-models"), metadata={"env": "CACHE_DIR"})
    """Writable: compiled Neuron artifacts go here when the model directory is read-only."""
    drain_timeout_ms: int = field(default=20_000, metadata={"env": "DRAIN_TIMEOUT_MS", "range": (0, 600_000)})
    metrics_port: Optional[int] = field(default=None, metadata={"env": "METRICS_PORT", "range": (1, 65535)})
    metrics_host: str = field(default="127.0.0.1", metadata={"env": "METRICS_HOST"})
    health_port: Optional[int] = field(default=None, metadata={"env": "HEALTH_PORT", "range": (1, 65535)})
    """A listener for the probes alone (/v2/health/live, /v2/health/ready, /): they never wait behind clients' connections."""
    max_body_bytes: int = field(default=256 * 1024, metadata={"env": "MAX_BODY_BYTES", "range": (1024, 64 * 1024 * 1024)})
    headers_timeout_ms: int = field(default=10_000, metadata={"env": "HEADERS_TIMEOUT_MS", "range": (1000, 600_000)})
    """A request's headers must arrive within this from its first byte (408 and the connection closed otherwise)."""
    body_timeout_ms: int = field(default=20_000, metadata={"env": "BODY_TIMEOUT_MS", "range": (1000, 600_000)})
    """After its headers, a request's body must arrive within this (408 and the connection closed otherwise)."""
    neuron_compiler_args: tuple[str, ...] = field(default=(), metadata={"env": "NEURON_COMPILER_ARGS"})
    """Extra neuronx-cc arguments (space-separated), part of the compiled artifact's cache key; e.g. "--auto-cast none"."""
    test_hold_inference_file: Optional[str] = field(default=None, metadata={"env": "TEST_HOLD_INFERENCE_FILE"})
    """Tests only: while this file exists, every model run waits before it starts, so a test holds requests in flight
    for as long as it needs instead of assuming a model is slow."""

    @staticmethod
    def from_env(env: Optional[Mapping[str, str]] = None) -> "Settings":
        """Reads the settings from `env` (default: os.environ); raises SettingsError naming every bad variable."""
        return settings_from_env(os.environ if env is None else env)


_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
# Variables of the ONNX Runtime server that mean nothing here: refused by name rather than silently ignored.
_UNSUPPORTED = {
    "MODEL_REPO": "repository mode (many unique models) is served only by the ONNX Runtime model server",
}
# Read and ignored: the ONNX Runtime server's inference worker threads have no counterpart here
# (inference already runs off the event loop, one thread per model copy).
IGNORED_ENV = ("INFERENCE_WORKERS",)


def _parse(name: str, field_type: str, raw: str, metadata: Mapping[str, Any]) -> Any:
    text = raw.strip()
    if "bool" in field_type:
        if text.lower() not in _BOOLEANS:
            raise ValueError("must be true or false")
        return _BOOLEANS[text.lower()]
    if "int" in field_type or "float" in field_type:
        try:
            value: float = int(text) if "int" in field_type else float(text)
        except ValueError:
            raise ValueError("must be an integer" if "int" in field_type else "must be a number") from None
        low, high = metadata["range"]
        if not low <= value <= high:
            raise ValueError(f"must be from {low} to {high}")
        return value
    if name == "execution_providers":
        providers = tuple(p.strip() for p in text.split(",") if p.strip())
        if not providers or any(p not in ("neuron", "cpu") for p in providers):
            raise ValueError('must be a comma-separated list of "neuron" and "cpu", such as "neuron,cpu"')
        return providers
    if name == "neuron_compiler_args":
        return tuple(text.split())
    if "choices" in metadata and text not in metadata["choices"]:
        raise ValueError(f"must be one of {', '.join(metadata['choices'])}")
    if text == "":
        raise ValueError("must not be empty")
    return text


def settings_from_env(env: Mapping[str, str]) -> Settings:
    values: dict[str, Any] = {}
    problems: list[str] = []
    for variable, why in _UNSUPPORTED.items():
        if env.get(variable):
            problems.append(f"{variable} is set, but {why}.")
    for spec in fields(Settings):
        variable = spec.metadata["env"]
        raw = env.get(variable)
        if spec.name == "model_dir" and not raw:
            raw = env.get("MODEL_SOURCE")
        if raw is None or raw == "":
            continue
        try:
            values[spec.name] = _parse(spec.name, str(spec.type), raw, spec.metadata)
        except ValueError as error:
            problems.append(f"{spec.name} ({variable}) = {raw!r}: {error}.")
    if problems:
        raise SettingsError(problems)
    return Settings(**values)


SETTINGS_ENV: Mapping[str, str] = {spec.name: spec.metadata["env"] for spec in fields(Settings)}
"""Each setting's environment variable, for documentation and tests."""
