"""W3C Trace Context for each request, as the TypeScript server does it (packages/model-server/src/http/request-trace.ts):
the caller's traceparent (and X-Request-Id) is taken, echoed in the answer and logged with the batch the request joined;
without one the server starts a trace of its own. The batch queue fills in the batch through a context variable, and the
answer carries it in Server-Timing (queue;dur, inference;dur, batch;desc, batchsize;desc)."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Optional

from starlette.types import ASGIApp, Message, Receive, Scope, Send

TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
TRACE_SCOPE_KEY = "inference_fleet.trace"


@dataclass
class RequestTrace:
    traceparent: str
    trace_id: str
    request_id: str
    batch_id: Optional[str] = None
    batch_size: Optional[int] = None
    queue_ms: Optional[float] = None
    inference_ms: Optional[float] = None

    def server_timing(self) -> Optional[str]:
        if self.batch_id is None:
            return None
        return (f"queue;dur={self.queue_ms or 0:.3f}, inference;dur={self.inference_ms or 0:.3f}, "
                f'batch;desc="{self.batch_id}", batchsize;desc="{self.batch_size}"')

    def log_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {"traceId": self.trace_id, "requestId": self.request_id}
        if self.batch_id is not None:
            fields.update(batchId=self.batch_id, batchSize=self.batch_size, queueMs=round(self.queue_ms or 0, 3), inferenceMs=round(self.inference_ms or 0, 3))
        return fields


current_trace: ContextVar[Optional[RequestTrace]] = ContextVar("current_trace", default=None)


def request_trace(traceparent: Optional[str], request_id: Optional[str]) -> RequestTrace:
    match = TRACEPARENT.match(traceparent.strip().lower()) if traceparent else None
    valid = match is not None and match.group(1) != "ff" and match.group(2).strip("0") != "" and match.group(3).strip("0") != ""
    trace_id = match.group(2) if valid and match else uuid.uuid4().hex
    echoed = traceparent.strip().lower() if valid and traceparent else f"00-{trace_id}-{trace_id[:16]}-01"
    rid = request_id if request_id is not None and REQUEST_ID.match(request_id) else trace_id
    return RequestTrace(echoed, trace_id, rid)


def trace_fields(scope: Scope) -> dict[str, Any]:
    """The request's trace for its log line (empty outside TraceMiddleware)."""
    trace = scope.get(TRACE_SCOPE_KEY)
    return trace.log_fields() if isinstance(trace, RequestTrace) else {}


class TraceMiddleware:
    """Outermost ASGI middleware: makes the request's trace current (the batch queue reads it) and adds traceparent,
    X-Request-Id and, for a request that ran, Server-Timing to the answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        raw_parent, raw_id = headers.get(b"traceparent"), headers.get(b"x-request-id")
        trace = request_trace(raw_parent.decode("latin-1") if raw_parent else None, raw_id.decode("latin-1") if raw_id else None)
        scope[TRACE_SCOPE_KEY] = trace
        token = current_trace.set(trace)

        async def traced_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                added = [(b"traceparent", trace.traceparent.encode()), (b"x-request-id", trace.request_id.encode())]
                timing = trace.server_timing()
                if timing is not None:
                    added.append((b"server-timing", timing.encode()))
                message["headers"] = [*message.get("headers", []), *added]
            await send(message)

        try:
            await self.app(scope, receive, traced_send)
        finally:
            current_trace.reset(token)
