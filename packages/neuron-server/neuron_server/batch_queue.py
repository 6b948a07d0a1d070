"""Dynamic batching in front of one runner: at most one run at a time, on the runner's own thread; requests that
arrive while it runs, or within max_queue_delay_ms of the first (with 0: in the same turn of the event loop), go
together in the next run, up to max_batch. A full queue answers QueueFullError, a late answer RequestTimeoutError."""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Generic, Optional, TypeVar

from .errors import QueueFullError, RequestTimeoutError
from .tracing import RequestTrace, current_trace

I = TypeVar("I")
O = TypeVar("O")


_runs_started = 0
"""Runs numbered across every queue in the process, so a batch id names one run of one server."""


@dataclass(frozen=True)
class QueueOptions:
    max_batch: int
    max_queue_delay_ms: float
    max_queue: int
    request_timeout_ms: int


@dataclass
class _Item(Generic[I, O]):
    input: I
    future: "asyncio.Future[O]"
    queued: bool = True
    trace: Optional[RequestTrace] = None
    submitted: float = 0.0


@dataclass
class BatchQueue(Generic[I, O]):
    run_batch: Callable[[list[I]], list[O]]
    options: QueueOptions
    on_batch: Optional[Callable[[int, float], None]] = None
    _items: "deque[_Item[I, O]]" = field(default_factory=deque)
    _waiting: int = 0
    _running: bool = False
    _timer: Optional[asyncio.Handle] = None
    _run_ms: float = 5.0
    """Moving average of a run's duration, for Retry-After."""
    _executor: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="inference"))

    @property
    def depth(self) -> int:
        """Requests waiting for a run (not counting those running)."""
        return self._waiting

    @property
    def busy(self) -> bool:
        return self._running or self._waiting > 0

    async def submit(self, value: I) -> O:
        if self._waiting >= self.options.max_queue:
            seconds = max(1, math.ceil(self._waiting * self._run_ms / self.options.max_batch / 1000))
            raise QueueFullError(seconds)
        loop = asyncio.get_running_loop()
        item: _Item[I, O] = _Item(value, loop.create_future(), trace=current_trace.get(), submitted=time.perf_counter())
        self._items.append(item)
        self._waiting += 1
        self._schedule(loop)
        try:
            return await asyncio.wait_for(asyncio.shield(item.future), self.options.request_timeout_ms / 1000)
        except asyncio.TimeoutError:
            if item.queued:
                item.queued = False
                self._waiting -= 1
            item.future.cancel()
            raise RequestTimeoutError(self.options.request_timeout_ms) from None
        except asyncio.CancelledError:
            # The client left (http_protocol cancels its request): a queued item is dropped and never runs; a running
            # batch finishes and its answer for this item is discarded.
            if item.queued:
                item.queued = False
                self._waiting -= 1
            item.future.cancel()
            raise

    def close(self) -> None:
        """Stops the inference thread after the run in progress; later submissions fail (answered 500)."""
        self._executor.shutdown(wait=True)

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._running:
            return
        if self.options.max_batch == 1 or self._waiting >= self.options.max_batch:
            self._flush(loop)
        elif self._timer is None:
            # No delay: run after this turn's I/O, with every request that arrived in the same turn.
            delay = self.options.max_queue_delay_ms / 1000
            self._timer = loop.call_later(delay, self._flush, loop) if delay > 0 else loop.call_soon(self._flush, loop)

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._running:
            return
        batch: list[_Item[I, O]] = []
        while self._items and len(batch) < self.options.max_batch:
            item = self._items.popleft()
            if not item.queued:
                continue
            item.queued = False
            self._waiting -= 1
            batch.append(item)
        if not batch:
            return
        self._running = True
        started = time.perf_counter()
        global _runs_started
        _runs_started += 1
        for item in batch:
            if item.trace is not None:  # the request's trace learns the run it joined (see tracing.py)
                item.trace.batch_id, item.trace.batch_size = str(_runs_started), len(batch)
                item.trace.queue_ms = (started - item.submitted) * 1000
        try:
            running = loop.run_in_executor(self._executor, self.run_batch, [item.input for item in batch])
        except RuntimeError as error:  # the executor was shut down (the server is stopping): fail the batch, not the loop
            running = loop.create_future()
            running.set_exception(error)
        running.add_done_callback(lambda done: self._finish(loop, batch, started, done))

    def _finish(self, loop: asyncio.AbstractEventLoop, batch: list[_Item[I, O]], started: float, done: "asyncio.Future[list[O]]") -> None:
        seconds = time.perf_counter() - started
        self._run_ms = self._run_ms * 0.9 + seconds * 1000 * 0.1
        if self.on_batch is not None:
            self.on_batch(len(batch), seconds)
        error = done.exception()
        for index, item in enumerate(batch):
            if item.trace is not None:
                item.trace.inference_ms = seconds * 1000
            if item.future.done():
                continue
            if error is not None:
                item.future.set_exception(error)
            else:
                item.future.set_result(done.result()[index])
        self._running = False
        if self._waiting > 0:
            self._schedule(loop)
