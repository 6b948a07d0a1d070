"""s3:// model directories with a stand-in boto3 (no S3 here): what is fetched, what is kept, where artifacts go."""

from __future__ import annotations

import logging
import shutil
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from neuron_server.errors import ModelLoadError
from neuron_server.model_files import fetch_s3_model_dir, read_model_files, served_seq_length, upload_s3_artifact

LOG = logging.getLogger("test")


class FakeS3:
    def __init__(self, objects: dict[str, Path]) -> None:
        self.objects = objects
        self.downloads: list[str] = []
        self.uploads: list[tuple[str, str]] = []
        self.endpoint: str | None = None

    def get_paginator(self, name: str) -> Any:
        assert name == "list_objects_v2"
        fake = self

        class Paginator:
            def paginate(self, Bucket: str, Prefix: str) -> list[dict[str, Any]]:
                assert Bucket == "models"
                return [{"Contents": [{"Key": k, "Size": p.stat().st_size} for k, p in fake.objects.items() if k.startswith(Prefix)]}]

        return Paginator()

    def download_file(self, bucket: str, key: str, path: str) -> None:
        self.downloads.append(key)
        shutil.copy(self.objects[key], path)

    def upload_file(self, path: str, bucket: str, key: str) -> None:
        self.uploads.append((bucket, key))


@pytest.fixture()
def s3(model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeS3:
    extra = tmp_path / "other.txt"
    extra.write_text("x")
    artifact = tmp_path / "bert-qa.pt"
    artifact.write_bytes(b"compiled")
    objects = {f"tiny/{name}": model_dir / name for name in ("model.onnx", "tokenizer.json", "model.json")}
    objects.update({"tiny/neuron/bert-qa.pt": artifact, "tiny/checkpoints/big.bin": extra, "tinyish/model.onnx": extra})
    fake = FakeS3(objects)

    def client(service: str, endpoint_url: str | None = None) -> FakeS3:
        assert service == "s3"
        fake.endpoint = endpoint_url
        return fake

    monkeypatch.setitem(sys.modules, "boto3", types.SimpleNamespace(client=client))
    return fake


def test_fetches_the_model_files_and_compiled_artifacts_only_once(s3: FakeS3, tmp_path: Path) -> None:
    target = fetch_s3_model_dir("s3://models/tiny", str(tmp_path / "cache"), LOG)
    assert target == tmp_path / "cache" / "s3" / "models" / "tiny"
    assert sorted(s3.downloads) == ["tiny/model.json", "tiny/model.onnx", "tiny/neuron/bert-qa.pt", "tiny/tokenizer.json"]
    assert (target / "neuron" / "bert-qa.pt").read_bytes() == b"compiled"
    s3.downloads.clear()
    files = read_model_files("s3://models/tiny", str(tmp_path / "cache"), LOG)
    assert s3.downloads == [] and files.dir == target and served_seq_length(files, None) == 128


def test_an_s3_compatible_endpoint_comes_from_the_environment(s3: FakeS3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:4568")
    fetch_s3_model_dir("s3://models/tiny", str(tmp_path / "cache"), LOG)
    assert s3.endpoint == "http://127.0.0.1:4568"


def test_an_empty_prefix_is_an_error_saying_what_to_do(s3: FakeS3, tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="holds no files; upload the model directory"):
        fetch_s3_model_dir("s3://models/none", str(tmp_path), LOG)


def test_uploads_an_artifact_next_to_the_model(s3: FakeS3, tmp_path: Path) -> None:
    artifact = tmp_path / "bert-qa-abc-b1-s128-x.pt"
    artifact.write_bytes(b"x")
    upload_s3_artifact("s3://models/tiny", artifact, LOG)
    assert s3.uploads == [("models", "tiny/neuron/bert-qa-abc-b1-s128-x.pt")]


def test_max_seq_length_cannot_exceed_the_models(model_dir: Path, tmp_path: Path) -> None:
    files = read_model_files(str(model_dir), str(tmp_path), LOG)
    assert served_seq_length(files, 64) == 64
    with pytest.raises(ModelLoadError, match="MAX_SEQ_LENGTH 256 is more than the model's maxSequenceLength 128"):
        served_seq_length(files, 256)
