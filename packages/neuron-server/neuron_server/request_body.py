"""Reading request bodies as the ONNX Runtime server does (packages/model-server/src/http/request-body.ts): the size limit
before any byte is read (413), the content type (415), JSON that parses, is not NaN/Infinity and nests at most
MAX_JSON_DEPTH levels (400, never a RecursionError), and the sample's form bodies."""

from __future__ import annotations

import json
import re
from typing import Any, Optional
from urllib.parse import parse_qs

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import Message

from .errors import InputError

MAX_JSON_DEPTH = 64
"""Arrays and objects nested deeper than this are refused (a v2 request needs 4); the TypeScript server has the same limit."""
_JSON_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))


def nests_deeper_than(data: bytes, limit: int) -> bool:
    """Whether JSON text opens more than `limit` arrays/objects inside one another (brackets inside strings do not count)."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    depth = 0
    for byte in _JSON_STRINGS.sub(b"", data).translate(None, _NOT_BRACKETS):
        depth += 1 if byte in (0x5B, 0x7B) else -1
        if depth > limit:
            return True
    return False


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
    if nests_deeper_than(data, MAX_JSON_DEPTH):
        raise InputError(f"The body nests arrays and objects more than {MAX_JSON_DEPTH} levels deep; send a flatter JSON body.")
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
