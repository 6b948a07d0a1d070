"""Request tracing: the traceparent parsing rules, and one real process that echoes a traceparent, times its batch in
Server-Timing and logs the trace with that batch."""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path

import httpx
import pytest

from neuron_server.tracing import request_trace
from test_process import _start

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.mark.parametrize("header", ["not-a-traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                                    "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", None])
def test_a_missing_or_invalid_traceparent_starts_a_new_trace(header: str | None) -> None:
    trace = request_trace(header, None)
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-01", trace.traceparent)
    assert trace.trace_id != "4bf92f3577b34da6a3ce929d0e0e4736"
    assert trace.request_id == trace.trace_id


def test_a_valid_traceparent_and_request_id_are_kept() -> None:
    trace = request_trace(TRACEPARENT, "load-7")
    assert (trace.traceparent, trace.trace_id, trace.request_id) == (TRACEPARENT, "4bf92f3577b34da6a3ce929d0e0e4736", "load-7")
    assert request_trace(TRACEPARENT, "has spaces").request_id == trace.trace_id


def test_the_server_echoes_the_traceparent_times_the_batch_and_logs_both(model_dir: Path, tmp_path: Path) -> None:
    process, url = _start(model_dir, tmp_path, QUIET="false")
    try:
        response = httpx.get(f"{url}/predictions/model0", headers={"traceparent": TRACEPARENT, "X-Request-Id": "load-7"}, timeout=30)
        assert response.status_code == 200
        assert response.headers["traceparent"] == TRACEPARENT
        assert response.headers["x-request-id"] == "load-7"
        timing = re.fullmatch(r'queue;dur=([\d.]+), inference;dur=([\d.]+), batch;desc="(\d+)", batchsize;desc="(\d+)"', response.headers["server-timing"])
        assert timing is not None, response.headers["server-timing"]
        health = httpx.get(f"{url}/v2/health/ready", headers={"traceparent": TRACEPARENT}, timeout=5)
        assert health.headers["traceparent"] == TRACEPARENT and "server-timing" not in health.headers
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    stderr = process.stderr.read().decode() if process.stderr else ""
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{") and "4bf92f3577b34da6a3ce929d0e0e4736" in line]
    logged = next((line for line in lines if line.get("route") == "/predictions/{model}" or "batchId" in line), None)
    assert logged is not None, stderr
    assert logged["traceId"] == "4bf92f3577b34da6a3ce929d0e0e4736" and logged["requestId"] == "load-7"
    assert logged["batchId"] == timing.group(3) and logged["batchSize"] == int(timing.group(4))
    assert logged["inferenceMs"] == pytest.approx(float(timing.group(2)), abs=0.01)
