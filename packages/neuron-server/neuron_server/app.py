"""The HTTP API as one app (create_app): the AWS sample's routes, the Open Inference Protocol v2 routes and /metrics,
with the ONNX Runtime server's routes, JSON shapes, status codes and metric labels (packages/model-server/src/http/app.ts).
Every error goes through error_response; nothing loads a model from a path or URL in a request."""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Optional
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import __version__
from .errors import InputError, QuestionTooLongError, QueueFullError, RequestTimeoutError
from .metrics import ServerMetrics
from .question_answering import answer_question
from .text_classification import classify_text
from .tracing import TraceMiddleware, trace_fields
from .registry import LoadedModel, ModelRegistry, ModelUnavailableError
from .sample_defaults import DEFAULT_CONTEXT, DEFAULT_QUESTION
from .settings import Settings
from .v2_infer import parse_infer_inputs, run_infer

GENERIC_500 = "The server failed to answer this request; it has been logged. Retry, and if it keeps failing check the server log."
MODEL_SCOPE_KEY = "inference_fleet.model"

# Route patterns as the ONNX Runtime server labels them in metrics, with the methods each allows (405 otherwise).
ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (label, re.compile(pattern), allow)
    for label, pattern, allow in [
        ("/", r"/", "GET, HEAD"),
        ("/predictions/:model", r"/predictions/[^/]+", "GET, HEAD, POST"),
        ("/v2/health/live", r"/v2/health/live", "GET, HEAD"),
        ("/v2/health/ready", r"/v2/health/ready", "GET, HEAD"),
        ("/v2", r"/v2", "GET, HEAD"),
        ("/v2/models/:model", r"/v2/models/[^/]+", "GET, HEAD"),
        ("/v2/models/:model/ready", r"/v2/models/[^/]+/ready", "GET, HEAD"),
        ("/v2/models/:model/infer", r"/v2/models/[^/]+/infer", "POST"),
        ("/v2/repository/index", r"/v2/repository/index", "POST"),
        ("/metrics", r"/metrics", "GET, HEAD"),
    ]
]
ROUTE_LIST = ("GET /, GET|POST /predictions/{model}, /v2/health/live, /v2/health/ready, /v2/models/{model}, "
              "/v2/models/{model}/ready, POST /v2/models/{model}/infer, POST /v2/repository/index.")


@dataclass
class ServerState:
    """Whether the process is shutting down: readiness is false and responses close their connection."""

    draining: bool = False


def route_of(path: str, expose_metrics: bool = True) -> Optional[tuple[str, str]]:
    for label, pattern, allow in ROUTES:
        if pattern.fullmatch(path) and (label != "/metrics" or expose_metrics):
            return label, allow
    return None


def error_response(path: str, method: str, error: BaseException, log: logging.Logger, expose_metrics: bool = True) -> JSONResponse:
    """The one error pipeline: every error becomes JSON, {"detail": ...} on the sample's /predictions routes and
    {"error": ...} (the Open Inference Protocol's shape) elsewhere; unknown errors are a 500 with no stack or path."""
    status, message, headers = 500, GENERIC_500, {}
    if isinstance(error, InputError):
        status, message = error.status, str(error)
        if status == 413:
            # The rest of the body is never read: tell the client not to send its next request on this connection.
            headers = {"Connection": "close"}
    elif isinstance(error, QuestionTooLongError):
        status, message = 400, str(error)
    elif isinstance(error, (QueueFullError, ModelUnavailableError)):
        status, message, headers = 503, str(error), {"Retry-After": str(error.retry_after_seconds)}
    elif isinstance(error, RequestTimeoutError):
        status, message = 504, str(error)
    elif isinstance(error, RequestValidationError):
        status, message = 400, f"The request could not be read: {error}."
    elif isinstance(error, StarletteHTTPException) and error.status_code == 405:
        allow = (route_of(path, expose_metrics) or ("", "GET"))[1]
        status, message, headers = 405, f"{method} is not allowed on {path}; use {allow}.", {"Allow": allow}
    elif isinstance(error, StarletteHTTPException) and error.status_code == 404:
        status, message = 404, f"There is no route {method} {path}. Routes: {ROUTE_LIST}"
    elif isinstance(error, StarletteHTTPException) and error.status_code < 500:
        status, message = error.status_code, str(error.detail) or "The request could not be read."
    else:
        log.error("request failed: %s %s", method, path, exc_info=error)
    key = "detail" if path.startswith("/predictions/") else "error"
    return JSONResponse({key: message}, status_code=status, headers=headers)


class RequestObserver:
    """ASGI middleware around the whole app: metrics and the request log for every answer (errors included), Connection: close
    while draining, and the last stop of the error pipeline for anything the routes did not turn into a response."""

    def __init__(self, app: ASGIApp, metrics: ServerMetrics, state: ServerState, log: logging.Logger, request_log: bool, expose_metrics: bool) -> None:
        self.app, self.metrics, self.state, self.log = app, metrics, state, log
        self.request_log, self.expose_metrics = request_log, expose_metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
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
        except Exception as error:
            if response_started:
                raise
            await error_response(scope["path"], scope["method"], error, self.log, self.expose_metrics)(scope, receive, observed_send)
        seconds = time.perf_counter() - started
        route = route_of(scope["path"], self.expose_metrics)
        label = route[0] if route else "unmatched"
        model = scope.get(MODEL_SCOPE_KEY, "-")
        self.metrics.observe_request(label, model, status, seconds)
        if self.request_log:
            fields = {"method": scope["method"], "route": label, "model": model, "status": status, "ms": round(seconds * 1000, 3), **trace_fields(scope)}
            self.log.info("request", extra={"fields": fields})


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it passes `limit` bytes (by Content-Length, or while reading a chunked one)."""
    length = request.headers.get("content-length")
    too_large = InputError(f"The body is larger than {limit} bytes; send less text or fewer sequences per request.", 413)
    if length is not None and length.isdigit() and int(length) > limit:
        raise too_large
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _has_body(request: Request) -> bool:
    return request.headers.get("transfer-encoding") is not None or request.headers.get("content-length", "0") != "0"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _parse_json(data: bytes) -> Any:
    if data.strip() == b"":
        return None
    try:
        return json.loads(data, parse_constant=_reject_constant)  # NaN and Infinity are not JSON (JSON.parse refuses them too)
    except ValueError:
        # The parser's own message names internals; say what to check instead (the ONNX Runtime server's words).
        raise InputError("The body is not valid JSON; check its quotes, commas and brackets.") from None


async def read_json_body(request: Request, limit: int) -> Any:
    """No body is None; a body that is not JSON is 415; bad JSON is 400; too large is 413."""
    if not _has_body(request):
        return None
    content_type = request.headers.get("content-type", "")
    if not re.match(r"^application/json\s*(;|$)", content_type, re.IGNORECASE):
        raise InputError(f"Send the body as JSON with Content-Type: application/json (got {json.dumps(content_type) if content_type else 'none'}).", 415)
    return _parse_json(await read_body(request, limit))


async def read_predictions_body(request: Request, limit: int) -> Optional[dict[str, Any]]:
    """The /predictions body: JSON, or a form (urlencoded or multipart, as the AWS sample's FastAPI server takes); else 415."""
    if not _has_body(request):
        return None
    content_type = request.headers.get("content-type", "")
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json":
        body = _parse_json(await read_body(request, limit))
        if body is not None and not isinstance(body, dict):
            raise InputError('The body must be a JSON object such as {"seq_0": "question", "seq_1": "context"}.')
        return body
    if kind == "application/x-www-form-urlencoded":
        data = await read_body(request, limit)
        try:
            fields = parse_qs(data.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise InputError("The form body is not UTF-8 text.") from None
        return {key: values[-1] for key, values in fields.items()}
    if kind == "multipart/form-data":
        data = await read_body(request, limit)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return {"type": "http.request", "body": b"", "more_body": False}
            replayed = True
            return {"type": "http.request", "body": data, "more_body": False}

        try:
            form = await Request(request.scope, replay).form()
        except Exception:  # python-multipart's parse errors have no common base
            raise InputError("The multipart/form-data body could not be read; send fields seq_0 and seq_1 with the boundary named in Content-Type.") from None
        values: dict[str, Any] = {}
        for key in ("seq_0", "seq_1"):
            value = form.get(key)
            if isinstance(value, UploadFile):  # a field sent as a file part: its content is the text
                try:
                    value = (await value.read()).decode("utf-8")
                except UnicodeDecodeError:
                    raise InputError(f"Form field {key} is not UTF-8 text.") from None
            if value is not None:
                values[key] = value
        return values
    raise InputError(
        "Send seq_0 and seq_1 as JSON (Content-Type: application/json) or as form fields (application/x-www-form-urlencoded "
        f"or multipart/form-data); got {json.dumps(content_type) if content_type else 'none'}.", 415)


def _js_typeof(value: Any) -> str:
    """The JavaScript typeof of a JSON value, as the ONNX Runtime server names it in messages."""
    return "boolean" if isinstance(value, bool) else "number" if isinstance(value, (int, float)) else "object"


def text_field(body: Optional[dict[str, Any]], query: Optional[str], key: str, fallback: Optional[str]) -> Optional[str]:
    if body is not None:
        value = body.get(key)
        if value is not None:
            if not isinstance(value, str):
                raise InputError(f"{key} must be a string, got {_js_typeof(value)}.")
            return value
    return query if query is not None else fallback


def unknown_model(registry: ModelRegistry, name: str) -> InputError:
    names = registry.names()
    listed = f"{', '.join(names[:12])} and {len(names) - 12} more" if len(names) > 12 else ", ".join(names)
    return InputError(f"Model {name} does not exist. Try one of: {listed}.", 404)


def model_metadata(model_name: str, registry: ModelRegistry, max_seq_length: Optional[int], provider: Optional[str]) -> dict[str, Any]:
    """Open Inference Protocol model metadata: the text and token forms a request may take, and where it runs."""
    text = lambda name: {"name": name, "datatype": "BYTES", "shape": [-1]}  # noqa: E731
    tokens = lambda name: {"name": name, "datatype": "INT64", "shape": [-1, max_seq_length if max_seq_length else -1]}  # noqa: E731
    parameters: dict[str, Any] = {"execution_provider": provider or "loading"}
    if max_seq_length is not None:
        parameters["max_sequence_length"] = max_seq_length
    return {
        "name": model_name,
        "versions": ["1"],
        "platform": "pytorch_libtorch",
        "inputs": [text("seq_0"), text("seq_1"), *map(tokens, ("input_ids", "attention_mask", "token_type_ids"))],
        "outputs": [text("answer"), *({"name": n, "datatype": "FP32", "shape": [-1, -1]} for n in ("start_logits", "end_logits"))],
        "parameters": parameters,
    }


def create_app(settings: Settings, models: ModelRegistry, *, metrics: Optional[ServerMetrics] = None,
               state: Optional[ServerState] = None, log: Optional[logging.Logger] = None) -> FastAPI:
    """The server's HTTP API over `models` (loaded, or loading: then readiness is false and model routes answer 503)."""
    metrics = metrics or ServerMetrics(models.queue_depths)
    server_state = state or ServerState()
    logger = log or logging.getLogger("neuron_server")
    expose_metrics = settings.metrics_port is None
    limit = settings.max_body_bytes
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.metrics, app.state.server_state, app.state.registry = metrics, server_state, models
    models.observe_batches(metrics.observe_batch)

    def lookup(request: Request, name: str) -> LoadedModel:
        model = models.get(name)
        if model is None:
            raise unknown_model(models, name)
        request.scope[MODEL_SCOPE_KEY] = name
        return model

    async def predict(request: Request, model_name: str, body: Optional[dict[str, Any]]) -> JSONResponse:
        model = lookup(request, model_name)
        first = text_field(body, request.query_params.get("seq_0"), "seq_0", DEFAULT_QUESTION) or ""
        second = text_field(body, request.query_params.get("seq_1"), "seq_1", None)
        if model.task == "text-classification":
            # seq_0 alone, or the pair seq_0 + seq_1; detail repeats the label for clients of the seed's {"detail": ...} shape.
            result = await classify_text(model, first, second)
            return JSONResponse({"label": result.label, "score": result.score, "detail": result.label})
        context = DEFAULT_CONTEXT if second is None else second
        return JSONResponse({"detail": await answer_question(model, first, context, settings.postprocess)})

    @app.get("/")
    async def health() -> JSONResponse:
        return JSONResponse({"Status": "Healthy"})

    @app.get("/predictions/{model_name}")
    async def predict_get(request: Request, model_name: str) -> JSONResponse:
        return await predict(request, model_name, None)

    @app.post("/predictions/{model_name}")
    async def predict_post(request: Request, model_name: str) -> JSONResponse:
        return await predict(request, model_name, await read_predictions_body(request, limit))

    @app.get("/v2/health/live")
    async def live() -> JSONResponse:
        return JSONResponse({"live": True})

    @app.get("/v2/health/ready")
    async def ready() -> JSONResponse:
        is_ready = models.ready() and not server_state.draining
        return JSONResponse({"ready": is_ready}, status_code=200 if is_ready else 503)

    @app.get("/v2")
    async def server_metadata() -> JSONResponse:
        return JSONResponse({"name": "inference-fleet-neuron-server", "version": __version__, "extensions": []})

    @app.get("/v2/models/{model_name}")
    async def metadata(request: Request, model_name: str) -> JSONResponse:
        if not models.knows(model_name):
            raise unknown_model(models, model_name)
        request.scope[MODEL_SCOPE_KEY] = model_name
        model = models.get(model_name) if models.ready() else None
        return JSONResponse(model_metadata(model_name, models, model.max_seq_length if model else None, model.execution_provider if model else None))

    @app.get("/v2/models/{model_name}/ready")
    async def model_ready(request: Request, model_name: str) -> JSONResponse:
        if not models.knows(model_name):
            raise unknown_model(models, model_name)
        request.scope[MODEL_SCOPE_KEY] = model_name
        is_ready = models.ready() and not server_state.draining
        body: dict[str, Any] = {"name": model_name, "ready": is_ready}
        if not models.ready():
            body["reason"] = "loading (a first Neuron compile takes minutes)"
        return JSONResponse(body, status_code=200 if is_ready else 503)

    @app.post("/v2/repository/index")
    async def repository_index(request: Request) -> JSONResponse:
        body = await read_json_body(request, limit)
        only_ready = isinstance(body, dict) and body.get("ready") is True
        state_name = "READY" if models.ready() else "LOADING"
        return JSONResponse([{"name": n, "state": state_name, "reason": ""} for n in models.names() if not only_ready or state_name == "READY"])

    @app.post("/v2/models/{model_name}/infer")
    async def infer(request: Request, model_name: str) -> JSONResponse:
        model = lookup(request, model_name)
        body = await read_json_body(request, limit)
        outputs = await run_infer(model, parse_infer_inputs(body), settings.postprocess)
        answer: dict[str, Any] = {"model_name": model_name, "model_version": "1"}
        if isinstance(body, dict) and isinstance(body.get("id"), str):
            answer["id"] = body["id"]
        answer["outputs"] = outputs
        return JSONResponse(answer)

    if expose_metrics:
        app.add_api_route("/metrics", metrics_endpoint(metrics), methods=["GET"])

    async def handle(request: Request, error: Exception) -> Response:
        return error_response(request.url.path, request.method, error, logger, expose_metrics)

    for error_type in (StarletteHTTPException, RequestValidationError, InputError, QuestionTooLongError, QueueFullError,
                       RequestTimeoutError, ModelUnavailableError):
        app.add_exception_handler(error_type, handle)
    app.add_middleware(RequestObserver, metrics=metrics, state=server_state, log=logger, request_log=not settings.quiet, expose_metrics=expose_metrics)
    app.add_middleware(TraceMiddleware)  # added last: outermost, so the trace is current for everything inside
    return app


def metrics_endpoint(metrics: ServerMetrics) -> Callable[[], Awaitable[Response]]:
    async def metrics_text() -> Response:
        return Response(metrics.text(), media_type=metrics.content_type)

    return metrics_text


def create_metrics_app(metrics: ServerMetrics) -> FastAPI:
    """/metrics alone, for METRICS_PORT (bound to METRICS_HOST)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.add_api_route("/metrics", metrics_endpoint(metrics), methods=["GET"])
    return app
