import asyncio
import threading
import time

import pytest

from neuron_server.batch_queue import BatchQueue, QueueOptions
from neuron_server.errors import QueueFullError, RequestTimeoutError


def _options(max_batch: int = 4, max_queue: int = 64, request_timeout_ms: int = 5000) -> QueueOptions:
    return QueueOptions(max_batch=max_batch, max_queue_delay_ms=0, max_queue=max_queue, request_timeout_ms=request_timeout_ms)


def test_requests_that_arrive_together_run_together_up_to_max_batch() -> None:
    sizes: list[int] = []

    def run(rows: list[int]) -> list[int]:
        sizes.append(len(rows))
        time.sleep(0.01)
        return [row * 2 for row in rows]

    async def main() -> list[int]:
        queue = BatchQueue(run, _options())
        try:
            return await asyncio.gather(*(queue.submit(i) for i in range(10)))
        finally:
            queue.close()

    assert asyncio.run(main()) == [i * 2 for i in range(10)]
    assert max(sizes) == 4 and sum(sizes) == 10 and len(sizes) <= 4


def test_max_batch_1_runs_each_request_alone() -> None:
    sizes: list[int] = []

    def run(rows: list[int]) -> list[int]:
        sizes.append(len(rows))
        return rows

    async def main() -> None:
        queue = BatchQueue(run, _options(max_batch=1))
        await asyncio.gather(*(queue.submit(i) for i in range(5)))
        queue.close()

    asyncio.run(main())
    assert sizes == [1] * 5


def test_a_full_queue_answers_queue_full_with_a_retry_after() -> None:
    release = threading.Event()

    def run(rows: list[int]) -> list[int]:
        release.wait(5)
        return rows

    async def main() -> None:
        queue = BatchQueue(run, _options(max_batch=1, max_queue=2))
        first = asyncio.ensure_future(queue.submit(0))
        await asyncio.sleep(0.05)  # 0 is running; the next two wait
        waiting = [asyncio.ensure_future(queue.submit(i)) for i in (1, 2)]
        await asyncio.sleep(0)
        with pytest.raises(QueueFullError) as caught:
            await queue.submit(3)
        assert caught.value.retry_after_seconds >= 1 and "retry in" in str(caught.value)
        assert queue.depth == 2
        release.set()
        assert await asyncio.gather(first, *waiting) == [0, 1, 2]
        queue.close()

    asyncio.run(main())


def test_a_late_answer_is_a_timeout_and_leaves_the_queue() -> None:
    release = threading.Event()

    def run(rows: list[int]) -> list[int]:
        release.wait(5)
        return rows

    async def main() -> None:
        queue = BatchQueue(run, _options(max_batch=1, request_timeout_ms=50))
        running = asyncio.ensure_future(queue.submit(0))
        await asyncio.sleep(0.01)
        with pytest.raises(RequestTimeoutError, match="REQUEST_TIMEOUT_MS"):
            await queue.submit(1)
        assert queue.depth == 0
        release.set()
        with pytest.raises(RequestTimeoutError):
            await running
        queue.close()

    asyncio.run(main())


def test_a_failed_run_fails_its_requests_only() -> None:
    calls = 0

    def run(rows: list[int]) -> list[int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("device error")
        return rows

    async def main() -> None:
        queue = BatchQueue(run, _options(max_batch=1))
        with pytest.raises(RuntimeError, match="device error"):
            await queue.submit(1)
        assert await queue.submit(2) == 2
        queue.close()

    asyncio.run(main())


def test_a_cancelled_request_still_queued_never_runs_and_leaves_the_queue() -> None:
    """http_protocol cancels the request of a client that left: a queued one is dropped, a running batch finishes."""
    ran: list[list[int]] = []
    release = threading.Event()

    def run(rows: list[int]) -> list[int]:
        ran.append(rows)
        release.wait(5)
        return rows

    async def main() -> int:
        queue = BatchQueue(run, _options(max_batch=1))
        try:
            first = asyncio.ensure_future(queue.submit(1))
            await asyncio.sleep(0.05)  # the first batch is running (held by `release`)
            second = asyncio.ensure_future(queue.submit(2))
            await asyncio.sleep(0.05)
            assert queue.depth == 1
            first.cancel()
            second.cancel()
            await asyncio.sleep(0.05)
            depth = queue.depth
            release.set()
            await asyncio.gather(first, second, return_exceptions=True)
            await asyncio.sleep(0.1)
            return depth
        finally:
            queue.close()

    assert asyncio.run(main()) == 0
    assert ran == [[1]]
