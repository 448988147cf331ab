from __future__ import annotations

import asyncio
import gzip
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sources.addresses import address_allowed
from sources.body import BodyDecoder, BodyTooLarge
from sources.http import (
    LOOPBACK_NETWORKS,
    USER_AGENT,
    FetchRequest,
    FetchSettings,
    Retrieved,
    fetch_many,
    fetch_many_sync,
    parse_retry_after,
)
from tests.feedserver import HostileFeedServer
from yuqing.errors import Disposition, RetrieveError
from yuqing.feedserver import FeedServer
from yuqing.models import FetchOutcome


def fetch_one(url: str, settings: FetchSettings, **kwargs: str) -> Retrieved | RetrieveError:
    return fetch_many_sync([FetchRequest(url, **kwargs)], settings=settings)[0]


def ok(result: Retrieved | RetrieveError) -> Retrieved:
    assert isinstance(result, Retrieved), f"expected a response, got {result!r}: {result}"
    return result


def failed(result: Retrieved | RetrieveError) -> RetrieveError:
    assert isinstance(result, RetrieveError), f"expected a RetrieveError, got {result!r}"
    return result


def test_plain_fetch_has_validators_and_lowercased_headers(
    feed_server: FeedServer, settings: FetchSettings, fixtures_dir: Path
) -> None:
    got = ok(fetch_one(feed_server.url("gov_utf8.xml"), settings))
    assert got.status == 200
    assert got.body == (fixtures_dir / "gov_utf8.xml").read_bytes()
    assert got.headers["content-type"] == "application/rss+xml"
    assert got.headers["etag"].startswith('"')
    assert "last-modified" in got.headers
    assert got.final_url == got.url
    assert got.elapsed > 0


def test_conditional_get_gets_304_from_demo_server(feed_server: FeedServer, settings: FetchSettings) -> None:
    first = ok(fetch_one(feed_server.url("gov_utf8.xml"), settings))
    by_etag = ok(fetch_one(feed_server.url("gov_utf8.xml"), settings, etag=first.headers["etag"]))
    assert by_etag.not_modified and by_etag.body == b"" and by_etag.conditional
    by_date = ok(
        fetch_one(feed_server.url("gov_utf8.xml"), settings, last_modified=first.headers["last-modified"])
    )
    assert by_date.status == 304
    stale = ok(fetch_one(feed_server.url("gov_utf8.xml"), settings, etag='"other"'))
    assert stale.status == 200


def test_results_keep_input_order_and_mix_failures(
    hostile_server: HostileFeedServer, settings: FetchSettings
) -> None:
    urls = [
        hostile_server.url("status/500/x"),
        hostile_server.url("gov_utf8.xml"),
        hostile_server.url("missing.xml"),
        hostile_server.url("gzip/gbk_declared_utf8.xml"),
    ]
    results = asyncio.run(fetch_many([FetchRequest(u) for u in urls], settings=settings))
    assert [r.url for r in results] == urls
    assert [type(r).__name__ for r in results] == ["RetrieveError", "Retrieved", "RetrieveError", "Retrieved"]


def test_gzip_and_deflate_are_decoded(
    hostile_server: HostileFeedServer, settings: FetchSettings, fixtures_dir: Path
) -> None:
    expected = (fixtures_dir / "gov_utf8.xml").read_bytes()
    for mode in ("gzip", "deflate"):
        got = ok(fetch_one(hostile_server.url(f"{mode}/gov_utf8.xml"), settings))
        assert got.body == expected
        assert got.headers["content-encoding"] == mode


def test_missing_content_type_is_fine(hostile_server: HostileFeedServer, settings: FetchSettings) -> None:
    got = ok(fetch_one(hostile_server.url("notype/gov_utf8.xml"), settings))
    assert "content-type" not in got.headers


def test_304_without_validators_is_not_an_error(
    hostile_server: HostileFeedServer, settings: FetchSettings
) -> None:
    got = ok(fetch_one(hostile_server.url("304/gov_utf8.xml"), settings))
    assert got.not_modified and not got.conditional


def test_429_honours_retry_after_seconds_and_date(
    hostile_server: HostileFeedServer, settings: FetchSettings
) -> None:
    err = failed(fetch_one(hostile_server.url("429/90/gov_utf8.xml"), settings))
    assert err.outcome == FetchOutcome.RATE_LIMITED and err.disposition == Disposition.TEMPORARY
    assert err.status == 429 and err.retry_after == 90
    capped = failed(fetch_one(hostile_server.url("429/999999/gov_utf8.xml"), settings))
    assert capped.retry_after == settings.retry_after_cap
    dated = failed(fetch_one(hostile_server.url("429/date/gov_utf8.xml"), settings))
    assert dated.retry_after is not None and 100 <= dated.retry_after <= 121


@pytest.mark.parametrize(
    ("status", "disposition"),
    [
        (500, Disposition.TEMPORARY),
        (503, Disposition.TEMPORARY),
        (404, Disposition.HARD),
        (410, Disposition.HARD),
        (403, Disposition.SOFT),
    ],
)
def test_http_errors_are_classified(
    hostile_server: HostileFeedServer, settings: FetchSettings, status: int, disposition: Disposition
) -> None:
    err = failed(fetch_one(hostile_server.url(f"status/{status}/x"), settings))
    assert err.outcome == FetchOutcome.HTTP_ERROR
    assert err.status == status and err.disposition == disposition


def test_slow_drip_hits_the_total_deadline(
    hostile_server: HostileFeedServer, settings: FetchSettings
) -> None:
    started = time.monotonic()
    err = failed(fetch_one(hostile_server.url("drip/gov_utf8.xml"), settings))
    took = time.monotonic() - started
    assert err.outcome == FetchOutcome.TIMEOUT and err.disposition == Disposition.TEMPORARY
    # Each byte arrives well within any read timeout; only the total deadline (2 s) stops it.
    assert 1.9 <= took < 3.5


def test_oversized_body_is_refused(hostile_server: HostileFeedServer, settings: FetchSettings) -> None:
    err = failed(fetch_one(hostile_server.url(f"oversize/{2 * settings.max_body_bytes}"), settings))
    assert err.outcome == FetchOutcome.TOO_LARGE and err.disposition == Disposition.SOFT
    under = ok(fetch_one(hostile_server.url(f"oversize/{settings.max_body_bytes // 2}"), settings))
    assert len(under.body) == settings.max_body_bytes // 2


def test_gzip_bomb_is_refused_after_decompression(
    hostile_server: HostileFeedServer, settings: FetchSettings
) -> None:
    err = failed(fetch_one(hostile_server.url("bomb"), settings))
    assert err.outcome == FetchOutcome.TOO_LARGE


def test_body_decoder_never_inflates_past_the_cap() -> None:
    bomb = gzip.compress(b"\0" * (32 * 1024 * 1024))
    decoder = BodyDecoder("gzip", limit=100_000)
    with pytest.raises(BodyTooLarge):
        for i in range(0, len(bomb), 8192):
            decoder.feed(bomb[i : i + 8192])
    # The decoder holds at most the cap plus one bounded step, never the 32 MB.
    assert decoder.size <= 100_001
    assert len(decoder.finish()) <= 100_001


def test_body_decoder_raw_deflate_and_stacked_gzip() -> None:
    data = "政务要闻".encode() * 1000
    raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    decoder = BodyDecoder("deflate", limit=10**6)
    decoder.feed(raw.compress(data) + raw.flush())
    assert decoder.finish() == data
    stacked = BodyDecoder("gzip, gzip", limit=10**6)
    stacked.feed(gzip.compress(gzip.compress(data)))
    assert stacked.finish() == data


def test_redirect_loop_is_detected(hostile_server: HostileFeedServer, settings: FetchSettings) -> None:
    err = failed(fetch_one(hostile_server.url("loop/a"), settings))
    assert err.outcome == FetchOutcome.TOO_MANY_REDIRECTS
    assert "loop" in str(err)


def test_five_redirects_are_followed_six_are_not(
    hostile_server: HostileFeedServer, settings: FetchSettings
) -> None:
    got = ok(fetch_one(hostile_server.url("chain/5/gov_utf8.xml"), settings))
    assert got.final_url == hostile_server.url("chain/0/gov_utf8.xml")
    assert len(got.redirects) == 5
    err = failed(fetch_one(hostile_server.url("chain/6/gov_utf8.xml"), settings))
    assert err.outcome == FetchOutcome.TOO_MANY_REDIRECTS and err.disposition == Disposition.SOFT


def test_connection_refused_is_temporary(settings: FetchSettings) -> None:
    with FeedServer(".") as server:
        url = server.url("gone.xml")
    err = failed(fetch_one(url, settings))
    assert err.outcome == FetchOutcome.CONNECT_ERROR and err.disposition == Disposition.TEMPORARY


def test_address_policy(hostile_server: HostileFeedServer) -> None:
    strict = FetchSettings(allowed_networks=(), total_deadline=2.0)
    err = failed(fetch_one(hostile_server.url("gov_utf8.xml"), strict))
    assert err.outcome == FetchOutcome.BLOCKED and err.disposition == Disposition.HARD
    assert address_allowed("127.0.0.1", FetchSettings(allowed_networks=LOOPBACK_NETWORKS))
    assert not address_allowed("10.1.2.3", FetchSettings(allowed_networks=LOOPBACK_NETWORKS))
    assert not address_allowed("169.254.169.254", FetchSettings(allowed_networks=LOOPBACK_NETWORKS))
    assert not address_allowed("::ffff:192.168.1.1", FetchSettings(allowed_networks=LOOPBACK_NETWORKS))
    assert address_allowed("10.1.2.3", FetchSettings(allowed_networks=LOOPBACK_NETWORKS, allow_private=True))
    assert address_allowed("202.108.22.5", FetchSettings(allowed_networks=()))


def test_non_http_urls_are_blocked(settings: FetchSettings) -> None:
    err = failed(fetch_one("file:///etc/passwd", settings))
    assert err.outcome == FetchOutcome.BLOCKED and err.disposition == Disposition.HARD


def test_user_agent_and_accept_encoding_are_sent(settings: FetchSettings, tmp_path: Path) -> None:
    seen: dict[str, str] = {}

    from yuqing.feedserver import FeedRequestHandler

    class Recorder(FeedRequestHandler):
        def serve(self, url_path: str, *, head: bool = False) -> None:
            seen.update({k.lower(): v for k, v in self.headers.items()})
            super().serve(url_path, head=head)

    class RecordingServer(FeedServer):
        handler_class = Recorder

    (tmp_path / "f.xml").write_bytes(b"<rss/>")
    with RecordingServer(tmp_path) as server:
        ok(
            fetch_one(
                server.url("f.xml"), settings, etag='"e"', last_modified="Thu, 17 Jun 2021 06:00:00 GMT"
            )
        )
    assert seen["user-agent"] == USER_AGENT and "yuqing" in USER_AGENT and "https://" in USER_AGENT
    assert seen["accept-encoding"] == "gzip, deflate"
    assert seen["if-none-match"] == '"e"'
    assert seen["if-modified-since"] == "Thu, 17 Jun 2021 06:00:00 GMT"


def test_parse_retry_after() -> None:
    now = datetime(2021, 6, 17, 6, 0, tzinfo=UTC)
    assert parse_retry_after("120", now=now, cap=3600) == 120
    assert parse_retry_after("Thu, 17 Jun 2021 06:10:00 GMT", now=now, cap=3600) == 600
    assert parse_retry_after("Thu, 17 Jun 2021 05:00:00 GMT", now=now, cap=3600) == 0
    assert parse_retry_after("99999", now=now, cap=3600) == 3600
    assert parse_retry_after("soon", now=now, cap=3600) is None
    assert parse_retry_after(None, now=now, cap=3600) is None


def test_fetcher_shares_one_pool_and_keeps_connections_after_304(feed_server: FeedServer) -> None:
    from sources.fetcher import Fetcher

    with Fetcher(FetchSettings(allowed_networks=LOOPBACK_NETWORKS, max_concurrency=1, per_host_concurrency=1)) as fetcher:
        first = fetcher.submit(FetchRequest(feed_server.url("gov_utf8.xml"))).result()
        assert isinstance(first, Retrieved) and first.status == 200
        conditional = FetchRequest(feed_server.url("gov_utf8.xml"), etag=first.headers["etag"])
        futures = [fetcher.submit(conditional) for _ in range(3)]
        results = [f.result() for f in futures]
        assert all(isinstance(r, Retrieved) and r.not_modified for r in results)
        # One connection throughout: a 304 read to its end leaves the connection reusable.
        [transport] = fetcher._clients._open.values()
        pool = transport._pool
        assert len(pool.connections) == 1
