"""The server's Prometheus metrics with the ONNX Runtime server's names and labels
(packages/model-server/src/http/server-metrics.ts), in a registry of the app's own."""

from __future__ import annotations

from typing import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from .latency_summary import LatencySummary

LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1, 2, 5, 10)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
PREFIX = "model_server_"
INFERENCE_ROUTES = frozenset({"/predictions/:model", "/v2/models/:model/infer"})
"""The routes whose latency the SLO is about (the ONNX Runtime server's INFERENCE_ROUTES)."""


class _QueueDepthCollector(Collector):
    """model_server_queue_depth{session}, read when scraped so the hot path pays nothing."""

    def __init__(self, depths: Callable[[], Iterable[tuple[str, int]]]) -> None:
        self._depths = depths

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(f"{PREFIX}queue_depth", "Requests waiting for a run, by session (read when scraped, so the hot path pays nothing).", labels=["session"])
        for session, depth in self._depths():
            family.add_metric([session], depth)
        yield family


class ServerMetrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self, queue_depths: Callable[[], Iterable[tuple[str, int]]] = lambda: []) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(f"{PREFIX}requests", "Requests answered, by route, model and HTTP status.", ["route", "model", "status"], registry=r)
        self.latency = Histogram(f"{PREFIX}request_duration_seconds", "Time from request to answer, by route.", ["route"], buckets=LATENCY_BUCKETS, registry=r)
        self.batch_size = Histogram(f"{PREFIX}batch_size", "Requests per model run (one batch), by session.", ["session"], buckets=BATCH_BUCKETS, registry=r)
        self.inference = Histogram(f"{PREFIX}inference_duration_seconds", "Duration of one model run (one batch), by session.", ["session"], buckets=LATENCY_BUCKETS, registry=r)
        self.model_load = Gauge(f"{PREFIX}model_load_seconds", "Time to load each model at start-up (including a Neuron compile).", ["model"], registry=r)
        r.register(_QueueDepthCollector(queue_depths))
        self.inference_latency = LatencySummary(
            f"{PREFIX}request_latency_seconds",
            "Time from request to answer of inference routes (/predictions/{model}, /v2/models/{model}/infer), quantiles over the last minute.",
        )
        r.register(self.inference_latency)
        # Repository mode is the ONNX Runtime server's only: the same names, at zero, so dashboards and alerts need no case.
        Counter(f"{PREFIX}repository_loads", "Repository model loads, by result (success or failure).", ["result"], registry=r)
        Counter(f"{PREFIX}repository_evictions", "Repository models unloaded to stay under the resident budget.", registry=r)
        Histogram(f"{PREFIX}repository_load_duration_seconds", "Time to load one repository model (fetch, read, create the session).",
                  buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60), registry=r)
        Histogram(f"{PREFIX}repository_request_duration_seconds", "Request latency in repository mode: cold (the model loaded first) or warm (resident).",
                  ["residency"], buckets=LATENCY_BUCKETS, registry=r)
        Gauge(f"{PREFIX}resident_models", "Repository models resident now.", registry=r)
        Gauge(f"{PREFIX}resident_bytes", "Bytes counted for resident (and loading) repository models.", registry=r)
        ProcessCollector(namespace="model_server", registry=r)

    def observe_request(self, route: str, model: str, status: int, seconds: float) -> None:
        """Counts one answered request; `model` must be a served model's name (or "-"), never raw client input."""
        self.requests.labels(route, model, str(status)).inc()
        self.latency.labels(route).observe(seconds)
        if route in INFERENCE_ROUTES:
            self.inference_latency.observe(seconds)

    def observe_batch(self, session: str, size: int, seconds: float) -> None:
        self.batch_size.labels(session).observe(size)
        self.inference.labels(session).observe(seconds)

    def observe_model_load(self, model: str, seconds: float) -> None:
        self.model_load.labels(model).set(seconds)

    def text(self) -> bytes:
        return generate_latest(self.registry)
