"""The HTTP/1.1 connection: h11 (a sans-I/O parser) under an asyncio.Protocol of our own, run by uvicorn.Server.

Why not uvicorn's own protocols: the Debian uvicorn (0.17) sets no header-size limit of its own, has no header or body
deadline at all (a client trickling headers holds its connection for ever), answers protocol errors in plain text and
takes a request with both Content-Length and Transfer-Encoding (request smuggling), and the image's uvicorn (0.32)
differs from it in all of that. This class gives the ONNX Runtime server's behaviour (Node's HTTP server) on every
version: headers over MAX_HEADER_BYTES get 431, headers slower than HEADERS_TIMEOUT_MS and bodies slower than
BODY_TIMEOUT_MS get 408, ambiguous framing gets 400, each as the contract's JSON with Connection: close; a client that
leaves before its answer has its request cancelled (counted 499 by the app, its queued inference dropped).
"""

from __future__ import annotations

import asyncio
import json
import re
from http import HTTPStatus
from dataclasses import dataclass
from typing import Any, Optional

import h11

MAX_HEADER_BYTES = 16 * 1024
_NO_HEADERS: list[tuple[bytes, bytes]] = []
BODILESS_METHODS = frozenset({"GET", "HEAD"})


def _announces_body(headers: Any) -> bool:
    """A Transfer-Encoding, or a Content-Length other than 0: what a GET or HEAD of this API must not carry."""
    for name, value in headers:
        if name.lower() == b"transfer-encoding" or (name.lower() == b"content-length" and value.strip() != b"0"):
            return True
    return False
"""Node's default (--max-http-header-size), which the ONNX Runtime server keeps: the request line and headers together."""
_TOO_LARGE = "The request's headers are larger than {} bytes; send fewer or shorter headers."
HIGH_WATER_BYTES = 64 * 1024
"""Body bytes buffered for the app before the connection stops reading (flow control)."""


@dataclass(frozen=True)
class ConnectionLimits:
    headers_timeout_s: float
    """From a request's first byte to its last header line (HEADERS_TIMEOUT_MS); an idle connection is closed after it too."""
    body_timeout_s: float
    """From the last header line to the last body byte (BODY_TIMEOUT_MS)."""
    keep_alive_s: float = 5.0
    """An idle keep-alive connection is closed after this (Node's keepAliveTimeout)."""
    max_header_bytes: int = MAX_HEADER_BYTES


_FRAMING_HEADER = re.compile(rb"\r\n(content-length|transfer-encoding)[ \t]*:[ \t]*([^\r\n]*)", re.IGNORECASE)


def framing_problem(head: bytes) -> Optional[str]:
    """Why a request head's body framing is ambiguous (the ways request smuggling works), or None when it is plain."""
    found = [(name.lower(), value.strip().lower()) for name, value in _FRAMING_HEADER.findall(head)]
    lengths = [value for name, value in found if name == b"content-length"]
    codings = [value for name, value in found if name == b"transfer-encoding"]
    if lengths and codings:
        return "The request has both Content-Length and Transfer-Encoding; send exactly one of them."
    if len(lengths) > 1:
        return "The request has more than one Content-Length header; send exactly one."
    if lengths and not lengths[0].isdigit():
        return "Content-Length must be one decimal number of bytes."
    if len(codings) > 1 or (codings and codings[0] != b"chunked"):
        return "Transfer-Encoding must appear once and be exactly chunked; send the body with Content-Length or as chunked."
    return None


class _Exchange:
    """One request and its answer: what the app's receive() and send() see."""

    def __init__(self, method: str) -> None:
        self.method = method
        self.body = bytearray()
        self.more_body = True
        self.arrived = asyncio.Event()
        self.response_started = False
        self.response_complete = False
        self.disconnected = False
        self.task: Optional["asyncio.Task[None]"] = None


class HardenedHttpProtocol(asyncio.Protocol):
    """An HTTP/1.1 connection for uvicorn.Server (its `http` setting): uvicorn listens, drains and calls shutdown()."""

    def __init__(self, config: Any, server_state: Any, limits: ConnectionLimits, **_: Any) -> None:
        if not config.loaded:
            config.load()
        self.app = config.loaded_app
        self.limits = limits
        self.connections: set[Any] = server_state.connections
        self.tasks: set["asyncio.Task[None]"] = server_state.tasks
        self.loop = asyncio.get_event_loop()
        self.conn = h11.Connection(h11.SERVER, max_incomplete_event_size=limits.max_header_bytes)
        self.transport: Optional[asyncio.Transport] = None
        self.exchange: Optional[_Exchange] = None
        self.head = bytearray()
        self.timer: Optional[asyncio.TimerHandle] = None
        self.paused = False
        self.closing = False
        self.closing_after_answer = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.connections.add(self)
        self._deadline(self.limits.headers_timeout_s, self._idle_timeout)

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self.connections.discard(self)
        self.closing = True
        self._deadline(None)
        exchange = self.exchange
        if exchange is not None and not exchange.response_complete:
            exchange.disconnected = True
            exchange.arrived.set()
            if exchange.task is not None and not exchange.response_started:
                exchange.task.cancel()  # the client left before its answer: no one waits for the work

    def data_received(self, data: bytes) -> None:
        if self.closing:
            return
        if self.conn.their_state is h11.IDLE:
            if not self.head:
                self._deadline(self.limits.headers_timeout_s, self._headers_timeout)  # from the request's first byte
            self.head += data
        self.conn.receive_data(data)
        self._handle_events()

    def eof_received(self) -> Optional[bool]:
        """The client closed its side: it has left (nginx's 499 rule), so the connection closes and its request is cancelled."""
        return None

    # uvicorn.Server
    def shutdown(self) -> None:
        """Draining: idle connections close now, busy ones after their answer (which says Connection: close)."""
        if self.exchange is None or self.exchange.response_complete:
            self._close()
        self.closing_after_answer = True

    # parsing
    def _handle_events(self) -> None:
        while not self.closing:
            try:
                event = self.conn.next_event()
            except h11.RemoteProtocolError as error:
                if error.error_status_hint == 431:
                    self._refuse(431, _TOO_LARGE.format(self.limits.max_header_bytes))
                else:
                    self._refuse(400, "The request is not valid HTTP/1.1; check its request line, headers and body framing.")
                return
            if event is h11.NEED_DATA:
                if self.conn.their_state is h11.IDLE and len(self.head) > self.limits.max_header_bytes:
                    self._refuse(431, _TOO_LARGE.format(self.limits.max_header_bytes))
                return
            if event is h11.PAUSED:
                self._pause()
                return
            if isinstance(event, h11.Request):
                self._start(event)
            elif isinstance(event, h11.Data) and self.exchange is not None:
                self.exchange.body += event.data
                self.exchange.arrived.set()
                if len(self.exchange.body) > HIGH_WATER_BYTES:
                    self._pause()
            elif isinstance(event, h11.EndOfMessage) and self.exchange is not None:
                self._deadline(None)
                self.exchange.more_body = False
                self.exchange.arrived.set()
            elif isinstance(event, h11.ConnectionClosed):
                return

    def _start(self, request: h11.Request) -> None:
        end = self.head.find(b"\r\n\r\n")
        size = end + 4 if end >= 0 else len(self.head)
        problem = framing_problem(bytes(self.head[: size - 2]))
        self.head = bytearray()
        if size > self.limits.max_header_bytes:  # h11 checks only heads that arrive in parts
            self._refuse(431, _TOO_LARGE.format(self.limits.max_header_bytes))
            return
        if problem is not None:
            self._refuse(400, problem)
            return
        method = request.method.decode("ascii")
        if method in BODILESS_METHODS and _announces_body(request.headers):
            # Refused before a byte of the body is read, as the TypeScript server does: otherwise the body (200 MB to
            # /v2/health/live, in a trial) would be read to keep the connection alive.
            key = "detail" if request.target.startswith(b"/predictions/") else "error"
            self._refuse(400, f"A {method} request must not carry a body; send it without one (the routes that take a body are POST).", key)
            return
        if self.conn.their_state is h11.SEND_BODY:
            self._deadline(self.limits.body_timeout_s, self._body_timeout)
        else:
            self._deadline(None)
        raw_path, _, query = request.target.partition(b"?")
        scope = {
            "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": request.http_version.decode(),
            "server": self._address("sockname"), "client": self._address("peername"), "scheme": "http",
            "method": request.method.decode("ascii"), "root_path": "", "path": _unquote(raw_path), "raw_path": raw_path,
            "query_string": query, "headers": [(name.lower(), value) for name, value in request.headers],
        }
        exchange = self.exchange = _Exchange(request.method.decode("ascii"))
        task = self.loop.create_task(self._run(scope, exchange))
        exchange.task = task
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, scope: dict[str, Any], exchange: _Exchange) -> None:
        async def receive() -> dict[str, Any]:
            if self.conn.they_are_waiting_for_100_continue and not exchange.response_started and not self.closing:
                self._write(h11.InformationalResponse(status_code=100, headers=_NO_HEADERS, reason=b"Continue"))  # the app wants the body
            while not exchange.disconnected and not exchange.response_complete and not exchange.body and exchange.more_body:
                self._resume()
                exchange.arrived.clear()
                await exchange.arrived.wait()
            if exchange.disconnected or exchange.response_complete:
                return {"type": "http.disconnect"}
            chunk, exchange.body = bytes(exchange.body), bytearray()
            return {"type": "http.request", "body": chunk, "more_body": exchange.more_body}

        async def send(message: dict[str, Any]) -> None:
            self._send(exchange, message)

        try:
            await self.app(scope, receive, send)
        except asyncio.CancelledError:
            pass
        except Exception:  # the app's own error pipeline answers everything; this is the last resort
            if not exchange.response_started:
                self._refuse(500, "The server failed to answer this request; retry, and if it keeps failing check the server log.")
            self._close()
        else:
            if not exchange.response_complete:
                self._close()

    # answering
    def _send(self, exchange: _Exchange, message: dict[str, Any]) -> None:
        if exchange.disconnected or self.transport is None or self.transport.is_closing():
            return
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            # A body not read to its end (refused, or sent with a GET) is not read on: the connection closes after the answer.
            if self.conn.their_state is not h11.DONE or self.closing_after_answer:
                headers.append((b"connection", b"close"))
            exchange.response_started = True
            self._write(h11.Response(status_code=message["status"], headers=headers))
            return
        body = message.get("body", b"")
        if body and exchange.method != "HEAD":
            self._write(h11.Data(data=body))
        if not message.get("more_body", False):
            exchange.response_complete = True
            self._write(h11.EndOfMessage())
            self._next_cycle()

    def _next_cycle(self) -> None:
        if self.conn.our_state is not h11.DONE or self.conn.their_state is not h11.DONE or self.closing_after_answer:
            self._close()
            return
        self.conn.start_next_cycle()
        self.exchange = None
        self.head = bytearray(self.conn.trailing_data[0])
        self._deadline(self.limits.headers_timeout_s if self.head else self.limits.keep_alive_s,
                       self._headers_timeout if self.head else self._idle_timeout)
        self._resume()
        self._handle_events()

    def _refuse(self, status: int, message: str, key: str = "error") -> None:
        """Answers a request the app never saw (or could not answer) and closes the connection. Written by hand, not
        through h11: after a parse error its state machine refuses to send anything."""
        exchange = self.exchange
        if exchange is not None and exchange.task is not None and not exchange.response_started:
            exchange.task.cancel()
        if (exchange is None or not exchange.response_started) and self.transport is not None and not self.transport.is_closing():
            body = json.dumps({key: message}).encode()
            reason = HTTPStatus(status).phrase.encode()
            self.transport.write(b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n%s"
                                 % (status, reason, len(body), body))
        if exchange is not None:
            exchange.response_complete = True
        self._close()

    def _write(self, event: Any) -> None:
        assert self.transport is not None
        data = self.conn.send(event)
        if data:
            self.transport.write(data)

    # timers and flow control
    def _deadline(self, seconds: Optional[float], then: Any = None) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if seconds is not None and not self.closing:
            self.timer = self.loop.call_later(seconds, then)

    def _idle_timeout(self) -> None:
        self._close()

    def _headers_timeout(self) -> None:
        self._refuse(408, f"The request's headers did not arrive within {round(self.limits.headers_timeout_s * 1000)} ms; send them at once.")

    def _body_timeout(self) -> None:
        if self.exchange is not None and self.exchange.response_started:
            self._close()
        else:
            self._refuse(408, f"The request's body did not arrive within {round(self.limits.body_timeout_s * 1000)} ms; send it at once.")

    def _pause(self) -> None:
        if not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()

    def _resume(self) -> None:
        if self.paused and self.transport is not None and not self.transport.is_closing():
            self.paused = False
            self.transport.resume_reading()

    def _close(self) -> None:
        self.closing = True
        self._deadline(None)
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def _address(self, which: str) -> Optional[tuple[str, int]]:
        info = self.transport.get_extra_info(which) if self.transport is not None else None
        return (str(info[0]), int(info[1])) if isinstance(info, tuple) and len(info) >= 2 else None


def _unquote(raw_path: bytes) -> str:
    from urllib.parse import unquote

    return unquote(raw_path.decode("ascii", errors="replace"))
