"""The HTTP API as one app (create_app): the routes of handlers.py, the one error handler of routes.py, and the
RequestObserver around them (metrics, the request log, HEAD, cancelled requests). Nothing loads a model from a path or URL
in a request. The connection itself (limits, deadlines, framing) is http_protocol.py's."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Optional

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import InputError, QuestionTooLongError, QueueFullError, RequestTimeoutError
from .handlers import Handlers, ServerState, metrics_endpoint
from .metrics import ServerMetrics
from .registry import ModelRegistry, ModelUnavailableError
from .routes import MODEL_SCOPE_KEY, error_response, route_of
from .settings import Settings
from .tracing import TraceMiddleware, trace_fields

__all__ = ["ServerState", "create_app", "create_health_app", "create_metrics_app"]

CLIENT_CLOSED = 499
"""nginx's "client closed request": the client left before its answer (the ONNX Runtime server's CLIENT_CLOSED)."""
ERROR_TYPES = (StarletteHTTPException, RequestValidationError, InputError, QuestionTooLongError, QueueFullError, RequestTimeoutError,
               ModelUnavailableError)


class RequestObserver:
    """ASGI middleware around the whole app: metrics and the request log for every answer (errors included), 499 for a request
    whose client left (http_protocol cancels it), HEAD answered as GET (the connection drops the body), Connection: close
    while draining, and the last stop of the error pipeline for anything the routes did not turn into a response."""

    def __init__(self, app: ASGIApp, metrics: ServerMetrics, state: ServerState, log: logging.Logger, request_log: bool, expose_metrics: bool) -> None:
        self.app, self.metrics, self.state, self.log = app, metrics, state, log
        self.request_log, self.expose_metrics = request_log, expose_metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        route = route_of(scope["path"], self.expose_metrics)
        method = scope["method"]
        if method == "HEAD" and route is not None and "GET" in route[1]:
            scope = {**scope, "method": "GET"}
        status = 500
        response_started = False

        async def observed_send(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                if self.state.draining:
                    message["headers"] = [*message.get("headers", []), (b"connection", b"close")]
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        except asyncio.CancelledError:
            status = CLIENT_CLOSED
            raise
        except Exception as error:
            if response_started:
                raise
            await error_response(scope["path"], method, error, self.log, self.expose_metrics)(scope, receive, observed_send)
        finally:
            self.observe(scope, route[0] if route else "unmatched", method, status, time.perf_counter() - started)

    def observe(self, scope: Scope, label: str, method: str, status: int, seconds: float) -> None:
        model = scope.get(MODEL_SCOPE_KEY, "-")
        self.metrics.observe_request(label, model, status, seconds)
        if self.request_log:
            fields = {"method": method, "route": label, "model": model, "status": status, "ms": round(seconds * 1000, 3), **trace_fields(scope)}
            self.log.info("request", extra={"fields": fields})


def _bare_app() -> FastAPI:
    return FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


def create_app(settings: Settings, models: ModelRegistry, *, metrics: Optional[ServerMetrics] = None,
               state: Optional[ServerState] = None, log: Optional[logging.Logger] = None) -> FastAPI:
    """The server's HTTP API over `models` (loaded, or loading: then readiness is false and model routes answer 503)."""
    metrics = metrics or ServerMetrics(models.queue_depths)
    server_state = state or ServerState()
    logger = log or logging.getLogger("neuron_server")
    expose_metrics = settings.metrics_port is None
    app = _bare_app()
    app.state.metrics, app.state.server_state, app.state.registry = metrics, server_state, models
    models.observe_batches(metrics.observe_batch)
    Handlers(settings, models, server_state).register(app)
    if expose_metrics:
        app.add_api_route("/metrics", metrics_endpoint(metrics), methods=["GET"])

    async def handle(request: Request, error: Exception) -> Response:
        return error_response(request.url.path, request.method, error, logger, expose_metrics)

    for error_type in ERROR_TYPES:
        app.add_exception_handler(error_type, handle)
    app.add_middleware(RequestObserver, metrics=metrics, state=server_state, log=logger, request_log=not settings.quiet, expose_metrics=expose_metrics)
    app.add_middleware(TraceMiddleware)  # added last: outermost, so the trace is current for everything inside
    return app


def create_metrics_app(metrics: ServerMetrics) -> FastAPI:
    """/metrics alone, for METRICS_PORT (bound to METRICS_HOST)."""
    app = _bare_app()
    app.add_api_route("/metrics", metrics_endpoint(metrics), methods=["GET"])
    return app


def create_health_app(models: ModelRegistry, state: ServerState) -> FastAPI:
    """The probes alone, for HEALTH_PORT: they never wait behind clients' connections, and no inference is reachable there.
    Liveness answers from the moment the process listens; readiness once the models are loaded."""
    app = _bare_app()
    Handlers(Settings(), models, state).register_probes(app)
    return app
