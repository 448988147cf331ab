"""The CPU-bound part of ingest: one retrieved body parsed, normalised (sources/) and classified
(classifiers/).

``process_body`` is a pure function of a retrieved body (its bytes, URLs and headers), the source's configuration and
the fetch time, so it gives the same items and tags wherever it runs. Ingest runs it on its own
thread, and on larger runs also in worker processes (:class:`Offload`), so a machine with more than
one core parses and classifies several feeds at once while the main process fetches and stores.

Worker processes are started with ``spawn`` (a fresh interpreter: no copy of the fetch thread, the
event loop or the open database) only once a run has received enough feed bodies to be worth their
start-up, and never on a one-core machine; a run of 304s starts none. Whatever a worker cannot do
(it died, the pool is broken) is done on the calling thread instead, so a result never depends on
whether a worker was used.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sources import kinds
from sources.items import CLOCK_SKEW, normalise
from yuqing.errors import ParseError
from yuqing.models import Item, SourceConfig, Tags

if TYPE_CHECKING:  # a worker process never imports the HTTP client
    from sources.http import Retrieved

# Start worker processes once a run has received this many bytes of feed bodies: a worker costs
# about a second of CPU to start (interpreter, parser, classifier), about what parsing and
# classifying 4 MB of feeds costs on one core. The 51-feed demo never reaches it.
DEFAULT_OFFLOAD_AFTER_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Processed:
    """A body's items and their tags (``tags[i]`` classifies ``items[i]``) and how it was decoded."""

    items: list[Item]
    tags: list[Tags]
    charset_declared: str | None
    charset_used: str | None
    charset_lossy: bool
    held_back: int = 0  # entries left out as not yet published (a backfill: ``is_backfill``)


# Parsing and classifying one body may take this long (seconds; ``YUQING_PROCESS_DEADLINE``), like fetching it: the
# caps (10 MiB body, 1,000 title / 20,000 text characters) bound the work, and this bounds what the caps allow.
DEFAULT_PROCESS_DEADLINE_S = 60.0
CLASSIFY_CHUNK = 1024  # items classified between two looks at the deadline


def process_deadline() -> float:
    from yuqing.settings import Settings  # read by the calling process: worker processes are handed the value

    raw = (Settings.of().PROCESS_DEADLINE or "").strip()
    try:
        value = float(raw) if raw else DEFAULT_PROCESS_DEADLINE_S
    except ValueError:
        return DEFAULT_PROCESS_DEADLINE_S
    return value if value > 0 else DEFAULT_PROCESS_DEADLINE_S


# An ingest whose as_of is this far behind the clock is a backfill or a replay, not a live poll.
BACKFILL_AFTER = timedelta(hours=1)


def is_backfill(as_of: datetime, now: datetime | None = None) -> bool:
    """Whether a run as of ``as_of`` looks at the past: entries published after ``as_of`` did not exist
    then and are not ingested by it. A live poll (as_of about now) keeps them, at their fetch time, as
    docs/design.md "Time" says."""
    return as_of < (now or datetime.now(UTC)) - BACKFILL_AFTER


def _record(item: Item, source: SourceConfig | None, feed_url: str | None = None) -> dict[str, Any]:
    """What the classifier is told of an item: its text and its source. ``feed_url``: where the feed was fetched
    from (after redirects; default the sources file's URL). Never the item's own link: the feed's author writes
    that, and a .gov.cn link would make anyone's item official."""
    return {
        "title": item.title,
        "text": item.summary,
        "source_name": item.source,
        "feed_url": feed_url if feed_url is not None else (source.url if source else None),
        "source_official": source.official if source else None,
        "source_region": source.region if source else None,
    }


def classify_item(classifier: Any, item: Item, source: SourceConfig | None) -> Tags:
    """Classify a stored or fetched item with what its source tells (official flag, jurisdiction)."""
    tags: Tags = classifier.classify_many([_record(item, source)])[0]
    return tags


def classify_batch(classifier: Any, items: Sequence[Item], sources: Mapping[str, SourceConfig]) -> list[Tags]:
    """Classify items of any sources in one batch (the model scores a batch at once)."""
    tags: list[Tags] = classifier.classify_many([_record(it, sources.get(it.source)) for it in items])
    return tags


def classify_items(items: Sequence[Item], source: SourceConfig, feed_url: str | None = None) -> list[Tags]:
    from classifiers import Classifier

    tags: list[Tags] = Classifier.default().classify_many([_record(it, source, feed_url) for it in items])
    return tags


def process_body(
    source: SourceConfig, retrieved: Retrieved, *, fetched_at: datetime, deadline_s: float | None = None
) -> Processed:
    """Parse (by the source's kind), normalise and classify one retrieved body. Raises ParseError when it is not one.
    ``deadline_s``: how long it may take (default: ``process_deadline()``)."""
    limit = process_deadline() if deadline_s is None else deadline_s
    return _process(
        source, retrieved.body, retrieved.url, retrieved.final_url, retrieved.headers, fetched_at, limit
    )


def _process(
    source: SourceConfig,
    body: bytes,
    url: str,
    final_url: str,
    headers: Mapping[str, str],
    fetched_at: datetime,
    limit: float,
) -> Processed:
    from classifiers import Classifier

    # Loading the classifier (once a process, ~0.4 s) is not the body's work: the clock starts after it.
    Classifier.default()
    deadline = time.monotonic() + limit
    feed = kinds.parse(source.kind, body, url=url, final_url=final_url, headers=headers)
    items = normalise(feed.items, source=source.name, final_url=final_url, fetched_at=fetched_at)
    held = 0
    if is_backfill(fetched_at):
        latest = fetched_at + CLOCK_SKEW
        kept = [it for it in items if it.published_at is None or it.published_at <= latest]
        held, items = len(items) - len(kept), kept
    tags: list[Tags] = []
    for n in range(0, len(items), CLASSIFY_CHUNK):
        if time.monotonic() > deadline:
            raise ParseError(
                f"processing took longer than {limit:g} s (YUQING_PROCESS_DEADLINE) after {n} of {len(items)} items",
                url=url,
            )
        tags += classify_items(items[n : n + CLASSIFY_CHUNK], source, final_url)
    if time.monotonic() > deadline:
        raise ParseError(f"processing took longer than {limit:g} s (YUQING_PROCESS_DEADLINE)", url=url)
    return Processed(
        items=items,
        tags=tags,
        charset_declared=feed.charset_declared,
        charset_used=feed.charset_used,
        charset_lossy=feed.charset_lossy,
        held_back=held,
    )


def _process_in_worker(
    source: SourceConfig,
    body: bytes,
    url: str,
    final_url: str,
    headers: dict[str, str],
    fetched_at: datetime,
    limit: float,
) -> Processed | str:
    """:func:`process_body` in a worker process (which needs no HTTP client to take the body's
    fields); a ParseError comes back as its message."""
    try:
        return _process(source, body, url, final_url, headers, fetched_at, limit)
    except ParseError as e:
        return str(e)


def default_workers() -> int:
    """``$YUQING_INGEST_WORKERS`` if set, else one per usable CPU but the first (0 on one CPU)."""
    from yuqing.settings import Settings

    raw = (Settings.of().INGEST_WORKERS or "").strip()
    if raw:
        try:
            return max(0, int(raw))
        except ValueError:
            from yuqing.errors import ConfigError

            raise ConfigError(
                f"YUQING_INGEST_WORKERS={raw!r}: expected a whole number of processes"
            ) from None
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(0, cpus - 1)


class Offload:
    """Worker processes that run :func:`process_body` beside the calling thread.

    ``submit`` hands a body to a worker when one is free (at most two bodies queued per worker, so
    none waits for the caller to feed it) and returns its future; it returns None when the caller
    should process the body itself: no workers configured, all busy, the run has not yet received
    ``after_bytes`` of bodies, or the pool broke. The pool starts on the first body handed over.
    Thread-safe (the fetch thread submits as feeds arrive). Use as a context manager.
    """

    def __init__(self, workers: int | None = None, *, after_bytes: int | None = None) -> None:
        self.workers = default_workers() if workers is None else max(0, workers)
        self.after_bytes = DEFAULT_OFFLOAD_AFTER_BYTES if after_bytes is None else after_bytes
        self.deadline_s = process_deadline()  # read here, once: the workers are handed it
        self._received = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._broken = False
        self._closed = False
        self.warm = False  # a worker has answered: the pool is up

    @property
    def started(self) -> bool:
        return self._pool is not None

    def submit(
        self, source: SourceConfig, retrieved: Retrieved, *, fetched_at: datetime
    ) -> concurrent.futures.Future[Processed | str] | None:
        if not self.workers:
            return None
        body = retrieved.body
        with self._lock:
            self._received += len(body)
            if (
                self._broken
                or self._closed
                or self._received < self.after_bytes
                or self._in_flight >= 2 * self.workers
            ):
                return None
            if self._pool is None:
                self._pool = concurrent.futures.ProcessPoolExecutor(
                    self.workers, mp_context=multiprocessing.get_context("spawn")
                )
            self._in_flight += 1
            pool = self._pool
        try:
            future = pool.submit(
                _process_in_worker,
                source,
                body,
                retrieved.url,
                retrieved.final_url,
                dict(retrieved.headers),
                fetched_at,
                self.deadline_s,
            )
        except (BrokenProcessPool, RuntimeError):
            with self._lock:
                self._broken = True
                self._in_flight -= 1
            return None
        future.add_done_callback(self._done)
        return future

    def _done(self, future: concurrent.futures.Future[Processed | str]) -> None:
        with self._lock:
            self._in_flight -= 1
            if not future.cancelled():
                if isinstance(future.exception(), BrokenProcessPool):
                    self._broken = True
                else:
                    self.warm = True

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Offload:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def result_of(
    future: concurrent.futures.Future[Processed | str], *, url: str
) -> Processed | ParseError | None:
    """A worker's answer: the Processed, the ParseError it raised, or None when the worker could not
    do it (the pool broke) and the caller must process the body itself."""
    try:
        out = future.result()
    except (BrokenProcessPool, concurrent.futures.CancelledError):
        return None
    return ParseError(out, url=url) if isinstance(out, str) else out
