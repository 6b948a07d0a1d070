"""The latency summary the SLO alarms read: quantiles over the last minute only, bounded memory, prom-client's text."""

from __future__ import annotations

import math

from prometheus_client import CollectorRegistry, generate_latest

from neuron_server.latency_summary import MAX_SAMPLES_PER_BUCKET, LatencySummary
from neuron_server.metrics import ServerMetrics


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_quantiles_cover_the_last_minute_only() -> None:
    clock = FakeClock()
    summary = LatencySummary("x_seconds", "x", clock)
    for value in range(1, 101):  # 1..100 ms
        summary.observe(value / 1000)
    assert summary.quantiles()[0.9] == 0.09
    assert summary.quantiles()[0.5] == 0.05
    clock.now += 61  # the minute has passed: old samples no longer count
    summary.observe(0.5)
    assert summary.quantiles() == {0.5: 0.5, 0.9: 0.5, 0.95: 0.5, 0.99: 0.5}
    clock.now += 61
    assert all(math.isnan(v) for v in summary.quantiles().values())


def test_memory_stays_bounded_under_load() -> None:
    clock = FakeClock()
    summary = LatencySummary("x_seconds", "x", clock)
    for i in range(5 * MAX_SAMPLES_PER_BUCKET):
        summary.observe(i / 1e6)
    assert sum(len(kept) for _, kept, _ in summary._buckets) == MAX_SAMPLES_PER_BUCKET
    assert abs(summary.quantiles()[0.5] - 2.5 * MAX_SAMPLES_PER_BUCKET / 1e6) < 0.05 * 2.5 * MAX_SAMPLES_PER_BUCKET / 1e6


def test_the_server_exports_the_summary_the_alarms_read_for_inference_routes_only() -> None:
    metrics = ServerMetrics()
    metrics.observe_request("/v2/models/:model/infer", "model0", 200, 0.02)
    metrics.observe_request("/v2/health/ready", "-", 200, 5.0)
    text = metrics.text().decode()
    assert 'model_server_request_latency_seconds{quantile="0.9"} 0.02' in text
    assert "model_server_request_latency_seconds_count 1.0" in text
    registry = CollectorRegistry()
    registry.register(LatencySummary("y_seconds", "y"))
    assert "# TYPE y_seconds summary" in generate_latest(registry).decode()
