"""The connection layer's rules that need no server: body framing (request smuggling) and JSON nesting."""

from __future__ import annotations

import pytest

from neuron_server.http_protocol import framing_problem
from neuron_server.request_body import nests_deeper_than


@pytest.mark.parametrize("headers, problem", [
    (b"Content-Length: 5", None),
    (b"Transfer-Encoding: chunked", None),
    (b"transfer-encoding:   CHUNKED", None),
    (b"Content-Length: 5\r\nTransfer-Encoding: chunked", "both Content-Length and Transfer-Encoding"),
    (b"Transfer-Encoding: chunked\r\nContent-Length: 5", "both Content-Length and Transfer-Encoding"),
    (b"Content-Length: 5\r\nContent-Length: 5", "more than one Content-Length"),
    (b"Content-Length: 5, 5", "one decimal number"),
    (b"Transfer-Encoding: xchunked", "exactly chunked"),
    (b"Transfer-Encoding: chunked, identity", "exactly chunked"),
    (b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked", "exactly chunked"),
])
def test_framing_problem_names_each_ambiguous_framing(headers: bytes, problem: str | None) -> None:
    found = framing_problem(b"POST / HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    assert (found is None) if problem is None else (found is not None and problem in found and found.endswith("."))


@pytest.mark.parametrize("text, deeper", [
    (b'{"inputs": [{"data": [[1, 2]]}]}', False),
    (b"[" * 64 + b"]" * 64, False),
    (b"[" * 65 + b"]" * 65, True),
    (b"[" * 3000, True),
    (b'{"a": "' + b"[" * 500 + b'"}', False),
    (b'{"a": "\\"' + b"[" * 500 + b'"}', False),
    (b"[]" * 10_000, False),
])
def test_nests_deeper_than_counts_brackets_outside_strings(text: bytes, deeper: bool) -> None:
    assert nests_deeper_than(text, 64) is deeper
