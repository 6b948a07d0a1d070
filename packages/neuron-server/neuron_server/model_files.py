"""A model directory on disk: its files checked, its hash (part of the compiled artifact's cache key) and,
for s3:// sources, a local copy in CACHE_DIR."""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .bert_qa import read_model_info
from .errors import ModelLoadError
from .tokenizer import WordPieceTokenizer

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
MODEL_INFO_FILE = "model.json"
HF_CONFIG_FILE = "config.json"
DEFAULT_MAX_SEQ_LENGTH = 128
NEURON_ARTIFACT_DIR = "neuron"
"""Compiled Neuron artifacts live in <model dir>/neuron/, next to the model (and in the S3 model store under the same prefix)."""


@dataclass(frozen=True)
class ModelFiles:
    dir: Path
    info: dict[str, Any]
    tokenizer: WordPieceTokenizer
    kind: str
    """"onnx" (model-zoo's model.onnx, weights read into BertQuestionAnswering) or "huggingface" (config.json + weights, via transformers)."""
    source: str
    """What MODEL_DIR said (a path or s3:// URL), for messages and for uploading compiled artifacts."""

    @property
    def weights_path(self) -> Path:
        return self.dir / (MODEL_FILE if self.kind == "onnx" else HF_CONFIG_FILE)

    def content_hash(self) -> str:
        """SHA-256 of the files that decide the compiled graph (model.onnx, or config.json and the weight files)."""
        digest = hashlib.sha256()
        paths = [self.dir / MODEL_FILE] if self.kind == "onnx" else sorted(
            p for p in self.dir.iterdir() if p.name == HF_CONFIG_FILE or p.suffix in (".bin", ".safetensors")
        )
        for path in paths:
            digest.update(path.name.encode())
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
        return digest.hexdigest()


def _require_file(path: Path, what: str) -> None:
    if not path.is_file():
        raise ModelLoadError(
            f"The {what} {path} is missing. Point MODEL_DIR at a directory with {MODEL_FILE} and {TOKENIZER_FILE} "
            "(npx fleet model generate makes one), or a Hugging Face model directory."
        )
    if path.stat().st_size == 0:
        raise ModelLoadError(f"The {what} {path} is empty; copy or generate it again.")


def read_model_files(source: str, cache_dir: str, log: logging.Logger) -> ModelFiles:
    """Checks the model directory (fetching an s3:// one into cache_dir first) and reads its tokenizer and model.json."""
    directory = fetch_s3_model_dir(source, cache_dir, log) if source.startswith("s3://") else Path(source)
    if not directory.is_dir():
        raise ModelLoadError(f"The model directory {directory} does not exist. Set MODEL_DIR to a model directory (npx fleet model generate --out DIR makes one).")
    kind = "onnx" if (directory / MODEL_FILE).exists() or not (directory / HF_CONFIG_FILE).exists() else "huggingface"
    _require_file(directory / (MODEL_FILE if kind == "onnx" else HF_CONFIG_FILE), "model file")
    _require_file(directory / TOKENIZER_FILE, "tokenizer file")
    info = read_model_info(directory / MODEL_INFO_FILE)
    maximum = info.get("maxSequenceLength")
    if maximum is not None and not (isinstance(maximum, int) and 8 <= maximum <= 4096):
        raise ModelLoadError(f"The model info file {directory / MODEL_INFO_FILE} has maxSequenceLength {maximum!r}; it must be an integer from 8 to 4096.")
    return ModelFiles(directory, info, WordPieceTokenizer.from_file(directory / TOKENIZER_FILE), kind, source)


def served_seq_length(files: ModelFiles, setting: int | None) -> int:
    """The setting if given, else model.json's maxSequenceLength, else 128; never more than the model allows."""
    from_model = files.info.get("maxSequenceLength")
    chosen = setting if setting is not None else from_model if from_model is not None else DEFAULT_MAX_SEQ_LENGTH
    if from_model is not None and chosen > from_model:
        raise ModelLoadError(
            f"MAX_SEQ_LENGTH {chosen} is more than the model's maxSequenceLength {from_model} "
            f"({files.dir / MODEL_INFO_FILE}); use at most {from_model}."
        )
    return int(chosen)


def _split_s3(url: str) -> tuple[str, str]:
    bucket, _, prefix = url[len("s3://"):].partition("/")
    if not bucket:
        raise ModelLoadError(f"MODEL_DIR {url} names no bucket; use s3://bucket/prefix.")
    return bucket, prefix.strip("/")


def _s3_client(boto3: Any) -> Any:
    """An S3 client on the default credential chain; AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL point it at an S3-compatible
    store, as for the ONNX Runtime server (read here too, since boto3 before 1.28 ignores them)."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    return boto3.client("s3", endpoint_url=endpoint) if endpoint else boto3.client("s3")


def fetch_s3_model_dir(url: str, cache_dir: str, log: logging.Logger) -> Path:
    """Copies s3://bucket/prefix (the model files and any compiled artifacts under neuron/) into cache_dir;
    files already there with the same size are kept. Needs boto3 (in the Neuron image) and the pod's AWS credentials."""
    try:
        import boto3
    except ImportError:
        raise ModelLoadError(f"MODEL_DIR {url} is on S3, but boto3 is not installed; install it or copy the model directory locally.") from None
    bucket, prefix = _split_s3(url)
    target = Path(cache_dir) / "s3" / bucket / prefix
    client = _s3_client(boto3)
    found = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/" if prefix else ""):
        for entry in page.get("Contents", []):
            relative = entry["Key"][len(prefix) + 1 if prefix else 0:]
            if not relative or relative.endswith("/") or ".." in Path(relative).parts:
                continue
            if "/" in relative and not relative.startswith(f"{NEURON_ARTIFACT_DIR}/"):
                continue
            found += 1
            path = target / relative
            if path.is_file() and path.stat().st_size == entry["Size"]:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
            client.download_file(bucket, entry["Key"], str(partial))
            os.replace(partial, path)
            log.info("fetched %s", f"s3://{bucket}/{entry['Key']}")
    if found == 0:
        raise ModelLoadError(f"MODEL_DIR {url} holds no files; upload the model directory there first (fleet model upload, or pulumi up).")
    return target


def upload_s3_artifact(source: str, artifact: Path, log: logging.Logger) -> None:
    """Puts a compiled artifact next to the model in the S3 model store (s3://bucket/prefix/neuron/<file>), so later pods skip the compile."""
    import boto3

    bucket, prefix = _split_s3(source)
    key = "/".join(part for part in (prefix, NEURON_ARTIFACT_DIR, artifact.name) if part)
    _s3_client(boto3).upload_file(str(artifact), bucket, key)
    log.info("uploaded the compiled artifact to %s", f"s3://{bucket}/{key}")


def labels_of(info: dict[str, Any]) -> tuple[str, ...]:
    """model.json's id2label ({"0": "negative", "1": "positive"}) in index order; LABEL_i where it names none."""
    named = info.get("id2label") if isinstance(info.get("id2label"), dict) else {}
    assert isinstance(named, dict)
    indices = [int(key) for key in named if str(key).isdigit()]
    count = max(indices) + 1 if indices else 0
    return tuple(named[str(i)] if isinstance(named.get(str(i)), str) else f"LABEL_{i}" for i in range(count))
