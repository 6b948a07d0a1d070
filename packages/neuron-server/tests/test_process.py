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


_SMALL_REQUEST = {"inputs": [{"name": "input_ids", "shape": [1, 8], "datatype": "INT64", "data": [101, 2023, 2003, 1037, 3231, 1012, 2009, 102]}]}


def _queue_depth(url: str) -> int:
    text = httpx.get(f"{url}/metrics", timeout=2).text
    return sum(int(float(line.split()[-1])) for line in text.splitlines() if line.startswith("model_server_queue_depth{"))


def _hold_requests_in_flight(url: str, count: int, results: list[Any]) -> list[threading.Thread]:
    """Sends `count` requests while the hold file stops every model run: with MAX_BATCH 1, one is running (held) and
    the rest wait in the queue. Returns once the queue shows them, so the test never assumes a model is slow."""

    def call() -> None:
        try:
            results.append(httpx.post(f"{url}/v2/models/model0/infer", json=_SMALL_REQUEST, timeout=30).status_code)
        except httpx.TransportError as error:  # a refused or reset connection is exactly what these tests look for
            results.append(type(error).__name__)

    assert count >= 2, "one request running and at least one queued behind it: the queue depth shows both arrived"
    callers = [threading.Thread(target=call, daemon=True) for _ in range(count)]
    for caller in callers:
        caller.start()
    deadline = time.monotonic() + 10
    while _queue_depth(url) < count - 1:
        assert time.monotonic() < deadline, f"the {count} requests did not reach the server within 10 s"
        time.sleep(0.02)
    assert results == [], f"a held request was answered: {results}"
    return callers


def test_sigterm_drains_in_flight_requests_and_exits_0(model_dir: Path, tmp_path: Path) -> None:
    hold = tmp_path / "hold"
    hold.touch()
    process, url = _start(model_dir, tmp_path, MAX_BATCH="1", DRAIN_TIMEOUT_MS="30000", TEST_HOLD_INFERENCE_FILE=str(hold))
    results: list[Any] = []
    callers = _hold_requests_in_flight(url, 4, results)
    process.send_signal(signal.SIGTERM)
    assert _refused_within(url, 2.0), "the listener still accepted connections 2 s after SIGTERM"
    assert process.poll() is None and results == [], "the server stopped before its in-flight requests were answered"
    hold.unlink()
    for caller in callers:
        caller.join(30)
    code = process.wait(30)
    stderr = process.stderr.read().decode() if process.stderr else ""
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
    hold = tmp_path / "hold"
    hold.touch()  # never removed: the request cannot finish before the 100 ms deadline, on any machine
    process, url = _start(model_dir, tmp_path, MAX_BATCH="1", DRAIN_TIMEOUT_MS="100", TEST_HOLD_INFERENCE_FILE=str(hold))
    outcome: list[Any] = []
    callers = _hold_requests_in_flight(url, 2, outcome)
    process.send_signal(signal.SIGTERM)
    # The held requests never finish, so only the drain deadline can end the process (wait() raises otherwise);
    # "exiting anyway" says it was that deadline, however long this machine took to get there.
    code = process.wait(10)
    stderr = process.stderr.read().decode() if process.stderr else ""
    assert code == 1 and "exiting anyway" in stderr, stderr
    for caller in callers:
        caller.join(10)
    assert len(outcome) == 2 and 200 not in outcome, outcome
