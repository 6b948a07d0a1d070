"""The route handlers of the HTTP API (registered by app.create_app): the AWS sample's routes, the Open Inference
Protocol v2 routes and /metrics, with the ONNX Runtime server's JSON shapes (packages/model-server/src/http/app.ts).
Errors are raised, and answered by the one error handler (routes.error_response)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Coroutine, Optional

from fastapi import FastAPI, Request
from starlette.responses import JSONResponse, Response

from . import __version__
from .errors import InputError
from .metrics import ServerMetrics
from .question_answering import answer_question
from .registry import LoadedModel, ModelRegistry
from .request_body import read_json_body, read_predictions_body
from .routes import MODEL_SCOPE_KEY
from .sample_defaults import DEFAULT_CONTEXT, DEFAULT_QUESTION
from .settings import Settings
from .text_classification import classify_text
from .v2_infer import parse_infer_inputs, run_infer


@dataclass
class ServerState:
    """Whether the process is shutting down: readiness is false and responses close their connection."""

    draining: bool = False


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
    def text(name: str) -> dict[str, Any]:
        return {"name": name, "datatype": "BYTES", "shape": [-1]}

    def tokens(name: str) -> dict[str, Any]:
        return {"name": name, "datatype": "INT64", "shape": [-1, max_seq_length if max_seq_length else -1]}

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



@dataclass
class Handlers:
    """One method per route, over the served models."""

    settings: Settings
    models: ModelRegistry
    state: ServerState

    def lookup(self, request: Request, name: str) -> LoadedModel:
        model = self.models.get(name)
        if model is None:
            raise unknown_model(self.models, name)
        request.scope[MODEL_SCOPE_KEY] = name
        return model

    def known(self, request: Request, name: str) -> None:
        if not self.models.knows(name):
            raise unknown_model(self.models, name)
        request.scope[MODEL_SCOPE_KEY] = name

    async def predict(self, request: Request, model_name: str, body: Optional[dict[str, Any]]) -> JSONResponse:
        model = self.lookup(request, model_name)
        first = text_field(body, request.query_params.get("seq_0"), "seq_0", DEFAULT_QUESTION) or ""
        second = text_field(body, request.query_params.get("seq_1"), "seq_1", None)
        if model.task == "text-classification":
            # seq_0 alone, or the pair seq_0 + seq_1; detail repeats the label for clients of the seed's {"detail": ...} shape.
            result = await classify_text(model, first, second)
            return JSONResponse({"label": result.label, "score": result.score, "detail": result.label})
        context = DEFAULT_CONTEXT if second is None else second
        return JSONResponse({"detail": await answer_question(model, first, context, self.settings.postprocess)})

    async def health(self) -> JSONResponse:
        return JSONResponse({"Status": "Healthy"})

    async def predict_get(self, request: Request, model_name: str) -> JSONResponse:
        return await self.predict(request, model_name, None)

    async def predict_post(self, request: Request, model_name: str) -> JSONResponse:
        return await self.predict(request, model_name, await read_predictions_body(request, self.settings.max_body_bytes))

    async def live(self) -> JSONResponse:
        return JSONResponse({"live": True})

    async def ready(self) -> JSONResponse:
        is_ready = self.models.ready() and not self.state.draining
        return JSONResponse({"ready": is_ready}, status_code=200 if is_ready else 503)

    async def server_metadata(self) -> JSONResponse:
        return JSONResponse({"name": "inference-fleet-neuron-server", "version": __version__, "extensions": []})

    async def metadata(self, request: Request, model_name: str) -> JSONResponse:
        self.known(request, model_name)
        model = self.models.get(model_name) if self.models.ready() else None
        return JSONResponse(model_metadata(model_name, self.models, model.max_seq_length if model else None, model.execution_provider if model else None))

    async def model_ready(self, request: Request, model_name: str) -> JSONResponse:
        self.known(request, model_name)
        is_ready = self.models.ready() and not self.state.draining
        body: dict[str, Any] = {"name": model_name, "ready": is_ready}
        if not self.models.ready():
            body["reason"] = "loading (a first Neuron compile takes minutes)"
        return JSONResponse(body, status_code=200 if is_ready else 503)

    async def repository_index(self, request: Request) -> JSONResponse:
        body = await read_json_body(request, self.settings.max_body_bytes)
        only_ready = isinstance(body, dict) and body.get("ready") is True
        state_name = "READY" if self.models.ready() else "LOADING"
        return JSONResponse([{"name": n, "state": state_name, "reason": ""} for n in self.models.names() if not only_ready or state_name == "READY"])

    async def infer(self, request: Request, model_name: str) -> JSONResponse:
        model = self.lookup(request, model_name)
        body = await read_json_body(request, self.settings.max_body_bytes)
        outputs = await run_infer(model, parse_infer_inputs(body), self.settings.postprocess)
        answer: dict[str, Any] = {"model_name": model_name, "model_version": "1"}
        if isinstance(body, dict) and isinstance(body.get("id"), str):
            answer["id"] = body["id"]
        answer["outputs"] = outputs
        return JSONResponse(answer)

    def register(self, app: FastAPI) -> None:
        """The routes of ROUTES (routes.py), in its order; HEAD is answered as GET by the RequestObserver."""
        routes: list[tuple[str, Callable[..., Coroutine[Any, Any, Response]], str]] = [
            ("/", self.health, "GET"), ("/predictions/{model_name}", self.predict_get, "GET"),
            ("/predictions/{model_name}", self.predict_post, "POST"), ("/v2/health/live", self.live, "GET"),
            ("/v2/health/ready", self.ready, "GET"), ("/v2", self.server_metadata, "GET"),
            ("/v2/models/{model_name}", self.metadata, "GET"), ("/v2/models/{model_name}/ready", self.model_ready, "GET"),
            ("/v2/models/{model_name}/infer", self.infer, "POST"), ("/v2/repository/index", self.repository_index, "POST"),
        ]
        for path, handler, method in routes:
            app.add_api_route(path, handler, methods=[method])

    def register_probes(self, app: FastAPI) -> None:
        for path, handler in [("/v2/health/live", self.live), ("/v2/health/ready", self.ready), ("/", self.health)]:
            app.add_api_route(path, handler, methods=["GET", "HEAD"])


def metrics_endpoint(metrics: ServerMetrics) -> Callable[[], Coroutine[Any, Any, Response]]:
    async def metrics_text() -> Response:
        return Response(metrics.text(), media_type=metrics.content_type)

    return metrics_text
