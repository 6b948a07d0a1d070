"""The route table (labels as the ONNX Runtime server's metrics name them, and each path's Allow header) and the one error
handler: every error becomes the contract's JSON."""

from __future__ import annotations

import logging
import re
from typing import Optional

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from .errors import InputError, QuestionTooLongError, QueueFullError, RequestTimeoutError
from .registry import ModelUnavailableError

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
