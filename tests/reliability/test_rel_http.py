"""Hostile servers at the HTTP layer, beyond tests/sources/test_src_http.py: every one is stopped by a
bound (body cap after decompression, total deadline, redirect limit, backoff) quickly and cheaply.

The server counts what it actually wrote, so "stopped early" is measured, not assumed.
"""

from __future__ import annotations

import asyncio
import resource
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import duckdb
import pytest

from sources.http import LOOPBACK_NETWORKS, FetchSettings, Retrieved
from tests.reliability.conftest import fetch_one, real_feed_names
from tests.reliability.rel_servers import ReliabilityServer
from yuqing import pipeline
from yuqing.errors import Disposition, RetrieveError
from yuqing.feedserver import FeedServer
from yuqing.models import FetchOutcome
from yuqing.timeutil import SHANGHAI

CAP = 10 * 1024 * 1024  # the production default body cap
SETTINGS = FetchSettings(allowed_networks=LOOPBACK_NETWORKS, total_deadline=4.0, connect_timeout=2.0, max_body_bytes=CAP)
FEED = real_feed_names()[0]


def refused(result: Retrieved | RetrieveError) -> RetrieveError:
    assert isinstance(result, RetrieveError), f"expected a refusal, got {result!r}"
    return result


def socket_buffers() -> int:
    """Bytes the kernel may hold between a loopback sender and a receiver that stopped reading: the largest send
    and receive buffers TCP autotuning may grow to (8 MB where /proc does not say)."""
    try:
        return sum(
            int(Path(f"/proc/sys/net/ipv4/tcp_{kind}mem").read_text().split()[2]) for kind in ("r", "w")
        )
    except (OSError, IndexError, ValueError):
        return 8 * 1024 * 1024


def settled_bytes(server: ReliabilityServer, mode: str) -> int:
    """What the server wrote for ``mode`` once it stopped writing (it stops when the client hung up)."""
    written = -1
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = server.stats.bytes_written[mode]
        if now == written:
            return now
        written = now
    raise AssertionError(f"the server is still writing {mode!r} 5 s after the client refused the body")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("mode", ["huge", "nolength"])
def test_100_mb_body_stops_at_the_cap_without_reading_it(rel_server: ReliabilityServer, mode: str) -> None:
    before_rss = peak_rss_mb()
    started = time.monotonic()
    err = refused(fetch_one(rel_server.url(f"{mode}/{100 * 1024 * 1024}"), SETTINGS))
    took = time.monotonic() - started
    assert err.outcome == FetchOutcome.TOO_LARGE and err.disposition == Disposition.SOFT
    assert took < 3.0
    # With Content-Length the refusal comes before the body; without, right after the cap (plus the
    # socket buffers the server filled before the client hung up).
    assert settled_bytes(rel_server, mode) < CAP + socket_buffers()
    assert peak_rss_mb() - before_rss < 60


def test_endless_chunked_body_stops_at_the_cap(rel_server: ReliabilityServer) -> None:
    started = time.monotonic()
    err = refused(fetch_one(rel_server.url("endless"), SETTINGS))
    assert err.outcome == FetchOutcome.TOO_LARGE
    assert time.monotonic() - started < 3.0
    # The client hung up: the endless body stops, after the cap and what the socket buffers took.
    assert settled_bytes(rel_server, "endless") < CAP + socket_buffers()


def test_endless_body_under_a_huge_cap_stops_at_the_deadline(rel_server: ReliabilityServer) -> None:
    settings = FetchSettings(allowed_networks=LOOPBACK_NETWORKS, total_deadline=1.5, max_body_bytes=1 << 40)
    started = time.monotonic()
    err = refused(fetch_one(rel_server.url("endless"), settings))
    assert err.outcome in (FetchOutcome.TIMEOUT, FetchOutcome.TOO_LARGE)
    assert time.monotonic() - started < 3.0


@pytest.mark.parametrize("mode", ["bomb", "deflatebomb", "rawdeflatebomb", "gzipgzip"])
def test_compression_bombs_stop_at_the_cap(rel_server: ReliabilityServer, mode: str) -> None:
    settings = FetchSettings(allowed_networks=LOOPBACK_NETWORKS, total_deadline=10.0, max_body_bytes=1024 * 1024)
    before_rss = peak_rss_mb()
    started = time.monotonic()
    err = refused(fetch_one(rel_server.url(mode), settings))
    assert err.outcome == FetchOutcome.TOO_LARGE, str(err)
    assert time.monotonic() - started < 5.0
    assert peak_rss_mb() - before_rss < 40  # 64 MB inflated would show


def test_one_byte_per_second_drip_hits_the_total_deadline(rel_server: ReliabilityServer) -> None:
    settings = FetchSettings(allowed_networks=LOOPBACK_NETWORKS, total_deadline=2.0, connect_timeout=1.0)
    started = time.monotonic()
    err = refused(fetch_one(rel_server.url(f"slowdrip/{FEED}"), settings))
    took = time.monotonic() - started
    assert err.outcome == FetchOutcome.TIMEOUT and err.disposition == Disposition.TEMPORARY
    assert 1.9 < took < 3.5  # neither early nor reset by each arriving byte (the drip lasts minutes)


def test_redirect_loops_and_chains_are_bounded(rel_server: ReliabilityServer) -> None:
    rel_server.stats.requests.clear()
    err = refused(fetch_one(rel_server.url("self/x"), SETTINGS))  # a redirect to itself
    assert err.outcome == FetchOutcome.TOO_MANY_REDIRECTS
    err = refused(fetch_one(rel_server.url("loop/a"), SETTINGS))
    assert err.outcome == FetchOutcome.TOO_MANY_REDIRECTS and "loop" in str(err)
    err = refused(fetch_one(rel_server.url(f"chain/50/{FEED}"), SETTINGS))
    assert err.outcome == FetchOutcome.TOO_MANY_REDIRECTS
    assert sum(rel_server.stats.requests.values()) <= 3 + 2 + 6


@pytest.mark.parametrize(
    "location", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1:70/_x", "javascript:alert(1)"]
)
def test_redirect_to_other_schemes_is_blocked(rel_server: ReliabilityServer, location: str) -> None:
    rel_server.stats.requests.clear()
    err = refused(fetch_one(rel_server.url("to") + "?url=" + quote(location, safe=""), SETTINGS))
    assert err.outcome == FetchOutcome.BLOCKED and "unsupported URL" in str(err)
    assert err.disposition == Disposition.HARD
    assert sum(rel_server.stats.requests.values()) == 1


# ------------------------------------------------------------------------------ 429 storm


def _sources(path: Path, entries: dict[str, str]) -> Path:
    text = "".join(f'[[source]]\nname = "{name}"\nurl = "{url}"\n\n' for name, url in entries.items())
    path.write_text(text, encoding="utf-8")
    return path


def test_429_storm_backoff_is_respected_across_runs(tmp_path: Path, rel_server: ReliabilityServer) -> None:
    """A server that always answers 429 with Retry-After: 3600 is polled once, then left alone until
    its backoff_until; the healthy sources beside it are fetched every run and lose nothing."""
    names = real_feed_names()[:3]
    storm = f"always429/3600/{names[0]}"
    sources = _sources(
        tmp_path / "sources.toml",
        {
            "storm": rel_server.url(storm),
            "healthy-1": rel_server.url(names[1]),
            "healthy-2": rel_server.url(names[2]),
        },
    )
    db = tmp_path / "y.duckdb"
    t0 = datetime(2021, 6, 18, 8, 0, tzinfo=SHANGHAI)
    rel_server.stats.requests.clear()
    runs = [t0 + timedelta(minutes=m) for m in (0, 10, 30, 59, 61, 65)]
    statuses = []
    for as_of in runs:
        report = pipeline.ingest(db, sources, as_of=as_of)
        statuses.append({r.source: r.status for r in report.rows})
    storm_hits = rel_server.stats.requests["/" + storm]
    # Polled at 0; skipped at 10, 30, 59 (backoff 1 h); polled again at 61; skipped at 65 (now 2 h? no:
    # Retry-After is the floor, exponential temporary backoff 10 min < 1 h, so again 1 h).
    assert [s["storm"] for s in statuses] == [
        "rate_limited",
        "skipped_backoff",
        "skipped_backoff",
        "skipped_backoff",
        "rate_limited",
        "skipped_backoff",
    ]
    assert storm_hits == 2
    assert all(s["healthy-1"] in ("new", "not_modified", "unchanged") for s in statuses)
    assert all(s["healthy-2"] in ("new", "not_modified", "unchanged") for s in statuses)
    con = duckdb.connect(str(db), read_only=True)
    try:
        (until,) = con.execute("SELECT backoff_until FROM sources WHERE name = 'storm'").fetchone()  # type: ignore[misc]
        reasons = con.execute(
            "SELECT status, http_status, error FROM fetch_log WHERE source = 'storm' ORDER BY run_id"
        ).fetchall()
        healthy_items = con.execute("SELECT count(*) FROM items WHERE source LIKE 'healthy-%'").fetchone()
    finally:
        con.close()
    assert until >= runs[4] + timedelta(hours=1) - timedelta(seconds=1)
    assert sum(1 for r in reasons if r[0] == "rate_limited" and r[1] == 429) == 2
    assert all(r[2] for r in reasons)  # every skip and failure carries its reason
    assert healthy_items is not None and healthy_items[0] > 0


def test_dead_feed_server_never_slows_the_batch(tmp_path: Path, rel_server: ReliabilityServer) -> None:
    """A connection refused costs milliseconds, not the deadline."""
    with FeedServer(tmp_path) as gone:
        url = gone.url("rss.xml")
    started = time.monotonic()
    err = refused(fetch_one(url, SETTINGS))
    assert err.outcome == FetchOutcome.CONNECT_ERROR
    assert time.monotonic() - started < 2.0  # half the 4 s deadline: a loaded machine is slow, not that slow


# ------------------------------------------------------------------------------ the fetch thread


def test_a_batch_yields_each_outcome_once_and_close_cancels_what_is_left(
    rel_server: ReliabilityServer,
) -> None:
    """``Fetcher.start``: every index once, ``then`` applied on the fetch thread; an exception in
    ``then`` reaches the reader; closing the fetcher with a drip still on the wire returns at once
    and ends that batch with the cancellation."""
    from sources.fetcher import Fetcher
    from sources.http import FetchRequest

    names = real_feed_names()[:5]
    with Fetcher(SETTINGS) as fetcher:
        batch = fetcher.start(
            [FetchRequest(rel_server.url(n)) for n in names], then=lambda i, o: (i, o.status)
        )
        assert sorted(batch) == [(i, (i, 200)) for i in range(5)]

        def broken(index: int, outcome: object) -> int:
            raise ValueError(f"bug at {index}")

        with pytest.raises(ValueError, match="bug at 0"):
            list(fetcher.start([FetchRequest(rel_server.url(names[0]))], then=broken))

        dripping = fetcher.start([FetchRequest(rel_server.url(f"slowdrip/{names[0]}"))], then=lambda i, o: o)
        started = time.monotonic()
    assert time.monotonic() - started < 2.0  # the 4 s deadline was not waited for
    with pytest.raises(asyncio.CancelledError):
        list(dripping)
