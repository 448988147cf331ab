"""Fetching for synchronous callers: one event loop on a thread of its own, fetches started at once and their
outcomes handed back as they complete, so a caller parses what has arrived while the rest is on the wire.
The exchange itself, and every network policy, is ``sources/http.py``'s.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

from sources.http import Clients, FetchRequest, FetchSettings, Limits, Retrieved, fetch_one
from yuqing.errors import RetrieveError

_T = TypeVar("_T")


async def _warm_up() -> None:
    """Import what the first request needs, which httpx and anyio import only on first use: httpcore
    (with h2 when it is installed) and anyio's asyncio backend. Run while the caller opens its
    database, the first request does not wait for them."""
    import anyio
    import httpcore  # noqa: F401

    await anyio.sleep(0)


def _outcome(index: int, outcome: Retrieved | RetrieveError) -> Retrieved | RetrieveError:
    return outcome


class Batch(Generic[_T]):
    """What :meth:`Fetcher.start` returns: ``(index, value)`` pairs, iterated in the order the fetches
    complete, each value being ``then(index, outcome)`` (see there).

    The fetch thread hands results over through one queue, so a thousand 304s cost a thousand queue
    entries rather than a thousand futures, each with its lock and condition.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._queue: queue.SimpleQueue[tuple[int, BaseException | None, Any]] = queue.SimpleQueue()
        self._taken = 0

    def _put(self, index: int, value: Any, error: BaseException | None = None) -> None:
        self._queue.put((index, error, value))

    def __iter__(self) -> Iterator[tuple[int, _T]]:
        while self._taken < self.size:
            index, error, value = self._queue.get()
            self._taken += 1
            if error is not None:
                raise error
            yield index, value


class Fetcher:
    """Fetches in the background for synchronous callers: one event loop on its own thread, one set of
    HTTP transports (connections kept alive across calls, see :class:`Clients`) and one set of
    concurrency limits for its lifetime.

    ``start`` and ``submit`` return at once, so a caller can parse what has arrived while the rest
    is still on the wire. Use as a context manager; leaving it cancels what is still pending.
    """

    def __init__(self, settings: FetchSettings | None = None) -> None:
        self.settings = settings or FetchSettings()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="yuqing-fetch", daemon=True)
        self._thread.start()
        self._clients, self._limits = asyncio.run_coroutine_threadsafe(self._setup(), self._loop).result()
        self._tasks: set[asyncio.Task[None]] = set()  # touched on the fetch thread only
        self._closed = False
        # Not waited for: the caller opens its database meanwhile.
        asyncio.run_coroutine_threadsafe(_warm_up(), self._loop)

    async def _setup(self) -> tuple[Clients, Limits]:
        return Clients(self.settings), Limits(self.settings)

    def start(
        self, requests: Sequence[FetchRequest], *, then: Callable[[int, Retrieved | RetrieveError], _T]
    ) -> Batch[_T]:
        """Start fetching every request (handed to the fetch thread at once, one wake-up).

        ``then(index, outcome)`` is called on the fetch thread as soon as request ``index`` has its
        outcome (a Retrieved or a RetrieveError value); the batch yields what it returns. An
        exception raised by ``then`` is raised by the batch's iterator.
        """
        if self._closed:
            raise RuntimeError("the fetcher is closed")
        batch: Batch[_T] = Batch(len(requests))
        self._loop.call_soon_threadsafe(self._start, list(requests), batch, then)
        return batch

    def _start(
        self,
        requests: list[FetchRequest],
        batch: Batch[_T],
        then: Callable[[int, Retrieved | RetrieveError], _T],
    ) -> None:
        for index, request in enumerate(requests):
            task = self._loop.create_task(self._run(index, request, batch, then))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(
        self,
        index: int,
        request: FetchRequest,
        batch: Batch[_T],
        then: Callable[[int, Retrieved | RetrieveError], _T],
    ) -> None:
        try:
            outcome = await fetch_one(self._clients, request, self.settings, self._limits)
            batch._put(index, then(index, outcome))
        except BaseException as e:  # cancelled by close(), or a bug in ``then``: the reader raises it
            batch._put(index, None, e)
            if isinstance(e, asyncio.CancelledError):
                raise

    def submit(self, request: FetchRequest) -> concurrent.futures.Future[Retrieved | RetrieveError]:
        """Start fetching ``request``; the future's result is a Retrieved or a RetrieveError value."""
        if self._closed:
            raise RuntimeError("the fetcher is closed")
        return asyncio.run_coroutine_threadsafe(self._one(request), self._loop)

    async def _one(self, request: FetchRequest) -> Retrieved | RetrieveError:
        task = asyncio.current_task()
        assert task is not None  # run by run_coroutine_threadsafe: a task on the fetch loop
        self._tasks.add(task)
        try:
            return await fetch_one(self._clients, request, self.settings, self._limits)
        finally:
            self._tasks.discard(task)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            asyncio.run_coroutine_threadsafe(self._shut(), self._loop).result(timeout=10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            if not self._thread.is_alive():
                self._loop.close()

    async def _shut(self) -> None:
        """Cancel what is still pending, then close the connections."""
        tasks = [t for t in self._tasks if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._clients.aclose()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
