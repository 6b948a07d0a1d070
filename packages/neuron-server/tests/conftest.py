"""Shared fixtures: the project's tiny model directory (generated once per session unless NEURON_SERVER_TEST_MODEL_DIR names
one, as the vitest wrapper does), settings for it, and apps over real models."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = PACKAGE_DIR.parents[1]
sys.path.insert(0, str(PACKAGE_DIR))
os.environ.setdefault("PROMETHEUS_DISABLE_CREATED_SERIES", "true")

from neuron_server.settings import Settings  # noqa: E402


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("NEURON_SERVER_TEST_MODEL_DIR")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("model") / "bert-tiny"
    subprocess.run(["npx", "fleet", "model", "generate", "--size", "tiny", "--seed", "7", "--out", str(out)], cwd=REPO_ROOT, check=True, capture_output=True)
    return out


@pytest.fixture()
def settings(model_dir: Path, tmp_path: Path) -> Settings:
    return Settings(model_dir=str(model_dir), num_models=2, execution_providers=("cpu",), cache_dir=str(tmp_path / "cache"), quiet=True)


@pytest.fixture(scope="session")
def log() -> logging.Logger:
    return logging.getLogger("neuron_server.test")


@pytest.fixture(scope="session")
def shared_models(model_dir: Path, tmp_path_factory: pytest.TempPathFactory, log: logging.Logger) -> Iterator[list]:
    """model0 and model1 sharing one CPU runner (MAX_BATCH 4), loaded once for the session."""
    from neuron_server.registry import load_models

    models = load_models(Settings(model_dir=str(model_dir), num_models=2, execution_providers=("cpu",), cache_dir=str(tmp_path_factory.mktemp("cache"))), log)
    yield models
    models[0].queue.close()
