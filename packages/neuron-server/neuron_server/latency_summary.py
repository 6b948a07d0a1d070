"""model_server_request_latency_seconds: a Prometheus summary with quantiles over the last minute, as the ONNX Runtime
server's prom-client Summary (percentiles 0.5/0.9/0.95/0.99, maxAgeSeconds 60, 6 age buckets) writes it. CloudWatch's
agent drops histograms and keeps summaries, so the SLO alarms and dashboard read these quantiles; prometheus_client's
Summary has no quantiles, hence this collector."""

from __future__ import annotations

import math
import random
import threading
import time
from typing import Callable, Iterable

from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

QUANTILES = (0.5, 0.9, 0.95, 0.99)
MAX_AGE_SECONDS = 60.0
AGE_BUCKETS = 6
MAX_SAMPLES_PER_BUCKET = 20_000
"""A bucket keeps at most this many samples (a uniform sample beyond it), so memory stays bounded under any load."""


class LatencySummary(Collector):
    def __init__(self, name: str, documentation: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._name = name
        self._documentation = documentation
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: list[tuple[float, list[float], int]] = []
        """(start time, kept samples, samples seen) per age bucket, oldest first."""
        self._count = 0
        self._sum = 0.0
        self._random = random.Random(0)

    def observe(self, seconds: float) -> None:
        now = self._clock()
        with self._lock:
            self._count += 1
            self._sum += seconds
            if not self._buckets or now - self._buckets[-1][0] >= MAX_AGE_SECONDS / AGE_BUCKETS:
                self._buckets.append((now, [], 0))
                self._buckets = [b for b in self._buckets if now - b[0] < MAX_AGE_SECONDS]
            start, kept, seen = self._buckets[-1]
            seen += 1
            if len(kept) < MAX_SAMPLES_PER_BUCKET:
                kept.append(seconds)
            else:  # reservoir sampling: every sample of the bucket equally likely to be kept, memory fixed
                slot = self._random.randrange(seen)
                if slot < MAX_SAMPLES_PER_BUCKET:
                    kept[slot] = seconds
            self._buckets[-1] = (start, kept, seen)

    def quantiles(self) -> dict[float, float]:
        """Each quantile over the samples of the last minute (NaN when there are none, as prom-client writes it)."""
        now = self._clock()
        with self._lock:
            samples = sorted(s for start, kept, _ in self._buckets if now - start < MAX_AGE_SECONDS for s in kept)
        if not samples:
            return {q: math.nan for q in QUANTILES}
        return {q: samples[min(len(samples) - 1, max(0, math.ceil(q * len(samples)) - 1))] for q in QUANTILES}

    def collect(self) -> Iterable[Metric]:
        metric = Metric(self._name, self._documentation, "summary")
        for q, value in self.quantiles().items():
            metric.add_sample(self._name, {"quantile": str(q)}, value)
        with self._lock:
            metric.add_sample(f"{self._name}_sum", {}, self._sum)
            metric.add_sample(f"{self._name}_count", {}, float(self._count))
        yield metric
