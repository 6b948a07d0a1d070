"""The real process (python -m neuron_server): ready after load, and SIGTERM drains in-flight requests with none failed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

PACKAGE_DIR = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(model_dir: Path, tmp_path: Path, **env: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "neuron_server"],
        cwd=PACKAGE_DIR,
        env={**os.environ, "MODEL_DIR": str(model_dir), "PORT": str(port), "HOST": "127.0.0.1", "QUIET": "true",
             "EXECUTION_PROVIDERS": "cpu", "CACHE_DIR": str(tmp_path), **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}: {process.stderr.read().decode() if process.stderr else ''}")
        try:
            if httpx.get(f"{url}/v2/health/ready", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    raise AssertionError("the server did not become ready within 60 s")


def _refused_within(url: str, seconds: float) -> bool:
    """Whether new connections are refused within `seconds` (uvicorn closes its listener on its next 0.1 s tick)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/v2/health/live", timeout=0.5)
        except httpx.TransportError:
            return True
        time.sleep(0.05)
    return False


def test_sigterm_drains_in_flight_requests_and_exits_0(model_dir: Path, tmp_path: Path) -> None:
    # MAX_BATCH 1 and 64 sequences of 128 tokens per request (256 rows queued, under MAX_QUEUE): each request holds the model
    # for a while, so several are in flight at SIGTERM.
    process, url = _start(model_dir, tmp_path, MAX_BATCH="1", MAX_QUEUE="512", DRAIN_TIMEOUT_MS="30000")
    body = {"inputs": [{"name": "input_ids", "shape": [64, 128], "datatype": "INT64", "data": [[101] + [2023] * 126 + [102]] * 64}]}
    results: list[Any] = []

    def call() -> None:
        try:
            results.append(httpx.post(f"{url}/v2/models/model0/infer", json=body, timeout=30).status_code)
        except Exception as error:  # a connection refused or reset here is exactly the failure this test looks for
            results.append(repr(error))

    callers = [threading.Thread(target=call) for _ in range(4)]
    for caller in callers:
        caller.start()
    time.sleep(0.3)
    in_flight = 4 - len(results)
    process.send_signal(signal.SIGTERM)
    assert _refused_within(url, 2.0), "the listener still accepted connections 2 s after SIGTERM"
    for caller in callers:
        caller.join(30)
    code = process.wait(30)
    stderr = process.stderr.read().decode() if process.stderr else ""
    assert in_flight >= 2, f"only {in_flight} requests were in flight at SIGTERM; the test proves nothing"
    assert results == [200] * 4, stderr
    assert code == 0, stderr
    assert "draining" in stderr and "drained; exiting" in stderr


def test_a_bad_model_dir_exits_1_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "model.onnx").write_bytes(b"not onnx")
    result = subprocess.run([sys.executable, "-m", "neuron_server"], cwd=PACKAGE_DIR, capture_output=True, timeout=60,
                            env={**os.environ, "MODEL_DIR": str(tmp_path), "PORT": str(_free_port()), "HOST": "127.0.0.1"})
    assert result.returncode == 1 and "tokenizer.json is missing" in result.stderr.decode()


def test_bad_settings_exit_1_naming_the_variable(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "neuron_server"], cwd=PACKAGE_DIR, capture_output=True, timeout=60,
                            env={**os.environ, "MAX_BATCH": "0"})
    assert result.returncode == 1 and "max_batch (MAX_BATCH) = '0'" in result.stderr.decode()


def test_past_drain_timeout_ms_the_process_exits_1(model_dir: Path, tmp_path: Path) -> None:
    process, url = _start(model_dir, tmp_path, MAX_BATCH="1", DRAIN_TIMEOUT_MS="100")
    body = {"inputs": [{"name": "input_ids", "shape": [64, 128], "datatype": "INT64", "data": [[101] + [2023] * 126 + [102]] * 64}]}
    outcome: list[Any] = []

    def call() -> None:
        try:
            outcome.append(httpx.post(f"{url}/v2/models/model0/infer", json=body, timeout=30).status_code)
        except httpx.TransportError as error:  # expected: the request is cut at the deadline
            outcome.append(type(error).__name__)

    caller = threading.Thread(target=call, daemon=True)
    caller.start()
    time.sleep(0.3)
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    code = process.wait(10)
    stderr = process.stderr.read().decode() if process.stderr else ""
    assert code == 1 and "exiting anyway" in stderr, stderr
    assert time.monotonic() - started < 3
    caller.join(10)
    assert outcome and outcome[0] != 200, outcome
