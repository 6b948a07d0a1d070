"""The process entry (`python -m neuron_server`): settings from the environment, the HTTP server listening at once
(liveness true, readiness false), the models loaded (on Neuron: compiled or found in the cache) beside it, and
SIGTERM/SIGINT: readiness false at once, listeners closed, in-flight requests finished, exit 0 (1 if DRAIN_TIMEOUT_MS passes)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import signal
import sys
import threading
import time
from typing import Any, Iterator, Optional

# prom-client (the ONNX Runtime server's library) writes no *_created series; match its output.
os.environ.setdefault("PROMETHEUS_DISABLE_CREATED_SERIES", "true")

import uvicorn  # noqa: E402

from .app import ServerState, create_app, create_health_app, create_metrics_app  # noqa: E402
from .http_protocol import ConnectionLimits, HardenedHttpProtocol  # noqa: E402
from .errors import ModelLoadError, SettingsError  # noqa: E402
from .metrics import ServerMetrics  # noqa: E402
from .registry import ModelRegistry, load_models  # noqa: E402
from .settings import Settings  # noqa: E402


class JsonFormatter(logging.Formatter):
    """One JSON object per line, like the ONNX Runtime server's pino logs."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname.lower(), "msg": record.getMessage()}
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["err"] = self.formatException(record.exc_info)
        return json.dumps(entry)


class QuietSignalsServer(uvicorn.Server):  # type: ignore[misc]  # uvicorn is untyped here
    """uvicorn without its own signal handling (this module's drain owns SIGTERM/SIGINT), across uvicorn versions."""

    def install_signal_handlers(self) -> None:  # uvicorn < 0.29
        return None

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # uvicorn >= 0.29
        yield


def _server(app: Any, host: str, port: int, settings: Settings) -> QuietSignalsServer:
    """uvicorn listens and drains; each connection is our HardenedHttpProtocol (limits and deadlines: see its module)."""
    limits = ConnectionLimits(headers_timeout_s=settings.headers_timeout_ms / 1000, body_timeout_s=settings.body_timeout_ms / 1000)
    protocol = functools.partial(HardenedHttpProtocol, limits=limits)
    config = uvicorn.Config(app, host=host, port=port, lifespan="off", access_log=False, log_level="warning", http=protocol,
                            proxy_headers=False, backlog=2048)
    return QuietSignalsServer(config)


def _listeners(settings: Settings, registry: ModelRegistry, metrics: ServerMetrics, state: ServerState, log: logging.Logger) -> list[QuietSignalsServer]:
    """The public listener, and the /metrics (METRICS_PORT) and probes (HEALTH_PORT) ones when set."""
    app = create_app(settings, registry, metrics=metrics, state=state, log=log)
    servers = [_server(app, settings.host, settings.port, settings)]
    if settings.metrics_port is not None:
        servers.append(_server(create_metrics_app(metrics), settings.metrics_host, settings.metrics_port, settings))
    if settings.health_port is not None:
        servers.append(_server(create_health_app(registry, state), settings.host, settings.health_port, settings))
    return servers


def _exit_past_drain(log: logging.Logger, drain_timeout_ms: int) -> None:
    """As the ONNX Runtime server does (closeAllConnections, then exit 1): the requests still open are cut."""
    log.warning("requests were still open after %d ms (DRAIN_TIMEOUT_MS); exiting anyway", drain_timeout_ms)
    for handler in log.handlers:
        handler.flush()
    os._exit(1)


async def serve(settings: Settings, log: logging.Logger) -> int:
    """Serves until a signal and the drain; returns the exit code."""
    import torch

    torch.set_num_threads(settings.threads)
    registry = ModelRegistry([f"model{i}" for i in range(settings.num_models)])
    metrics = ServerMetrics(registry.queue_depths)
    state = ServerState()
    servers = _listeners(settings, registry, metrics, state, log)
    loop = asyncio.get_running_loop()
    exit_code = 0

    def stop(code: int) -> None:
        nonlocal exit_code
        exit_code = max(exit_code, code)
        for server in servers:
            server.should_exit = True

    def on_signal(signum: int) -> None:
        if state.draining:
            return
        state.draining = True
        log.info("%s: draining (readiness is false, finishing in-flight requests, at most %d ms)", signal.Signals(signum).name, settings.drain_timeout_ms)
        stop(0)

        loop.call_later(settings.drain_timeout_ms / 1000, _exit_past_drain, log, settings.drain_timeout_ms)

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signum)

    def load() -> None:
        started = time.perf_counter()
        try:
            models = load_models(settings, log, on_loaded=metrics.observe_model_load)
        except ModelLoadError as error:
            log.error("%s", error)
            loop.call_soon_threadsafe(stop, 1)
            return
        except Exception:
            log.exception("the models could not be loaded")
            loop.call_soon_threadsafe(stop, 1)
            return
        loop.call_soon_threadsafe(registry.set_models, models)
        log.info("model server ready", extra={"fields": {
            "models": len(models), "provider": models[0].execution_provider, "maxBatch": settings.max_batch,
            "padding": "fixed" if models[0].execution_provider == "neuron" else settings.padding,
            "maxSeqLength": models[0].max_seq_length, "loadSeconds": round(time.perf_counter() - started, 2)}})

    threading.Thread(target=load, name="model-load", daemon=True).start()
    log.info("listening on http://%s:%d (not ready until the models are loaded)", settings.host, settings.port)
    await asyncio.gather(*(server.serve() for server in servers))
    registry.close()
    if state.draining and exit_code == 0:
        log.info("drained; exiting")
    return exit_code


def main(argv: Optional[list[str]] = None) -> int:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger("neuron_server")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 1
    return asyncio.run(serve(settings, log))
