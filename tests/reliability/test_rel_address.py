"""Address policy (SSRF guard): private, loopback, link-local and CGNAT targets are refused, on the
first URL and on every redirect hop, before any connection is made, unless allow-listed.

127.0.0.1 is the allow-listed "public" side and 127.0.0.2 the forbidden target: a second loopback
address keeps every byte on this machine. The forbidden server counts connections, so "refused
without connecting" is measured.

How the check works (sources/addresses.py): ``check_host`` runs before each request (the first and every
redirect target); an IP-literal host is checked as is, a name is resolved with getaddrinfo and every
address must be allowed. After connecting, ``check_peer`` checks the address the socket is actually
connected to (``network_stream.get_extra_info("server_addr")``), which closes the gap between our
lookup and httpx's own (DNS rebinding). Without DNS control, the rebinding case itself cannot be
staged here; ``test_peer_check_sees_the_real_peer`` instead proves the peer check receives the real
peer address and refuses it, so it does not silently fail open.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import weakref
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import duckdb
import httpx
import pytest

from sources.addresses import address_allowed, check_peer
from sources.http import FetchSettings
from tests.reliability.conftest import fetch_one, real_feed_names, real_feeds_dir
from tests.reliability.rel_servers import ReliabilityServer
from yuqing import pipeline
from yuqing.errors import Disposition, RetrieveError
from yuqing.models import FetchOutcome
from yuqing.timeutil import SHANGHAI

STRICT = FetchSettings(allow_private=False, allowed_networks=("127.0.0.1/32",), total_deadline=3.0)
FEED = real_feed_names()[0]


@pytest.fixture(scope="module")
def forbidden() -> Iterator[ReliabilityServer]:
    with ReliabilityServer(real_feeds_dir(), host="127.0.0.2") as server:
        yield server


def blocked(result: object) -> RetrieveError:
    assert isinstance(result, RetrieveError), f"expected a refusal, got {result!r}"
    assert result.outcome == FetchOutcome.BLOCKED, f"{result.outcome}: {result}"
    assert result.disposition == Disposition.HARD
    return result


def test_the_forbidden_server_is_reachable_when_allowed(forbidden: ReliabilityServer) -> None:
    """The control: the same URL works with 127.0.0.2 allow-listed, so a refusal below is the policy."""
    before = forbidden.stats.connections
    got = fetch_one(forbidden.url(FEED), FetchSettings(allowed_networks=("127.0.0.2/32",)))
    assert not isinstance(got, RetrieveError), got
    assert forbidden.stats.connections == before + 1


def test_literal_forbidden_address_is_refused_without_connecting(forbidden: ReliabilityServer) -> None:
    before = forbidden.stats.connections
    err = blocked(fetch_one(forbidden.url(FEED), STRICT))
    assert "127.0.0.2" in str(err)
    assert forbidden.stats.connections == before


@pytest.mark.parametrize("hops", [0, 2])
def test_redirect_to_a_forbidden_address_is_refused_without_connecting(
    rel_server: ReliabilityServer, forbidden: ReliabilityServer, hops: int
) -> None:
    target = forbidden.url(FEED)
    url = rel_server.url("to") + "?url=" + quote(target, safe="")
    for _ in range(hops):  # allowed hops first, then the forbidden one
        url = rel_server.url("to") + "?url=" + quote(url, safe="")
    before = forbidden.stats.connections
    err = blocked(fetch_one(url, STRICT))
    assert "127.0.0.2" in str(err)
    assert forbidden.stats.connections == before


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/rss.xml",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/rss.xml",
        "http://192.168.1.1/rss.xml",
        "http://172.16.0.1/rss.xml",
        "http://0.0.0.0/rss.xml",
        "http://[::1]/rss.xml",
        "http://[fe80::1]/rss.xml",
        "http://[fd00::1]/rss.xml",
        "http://[::ffff:10.0.0.1]/rss.xml",
        "http://[::ffff:169.254.169.254]/rss.xml",
        "https://10.0.0.1:8443/rss.xml",
    ],
)
def test_private_literals_are_refused_before_connecting(url: str) -> None:
    started = time.monotonic()
    blocked(fetch_one(url, STRICT))
    # A connection attempt to an unrouted 10/8 or 169.254/16 address would take the connect timeout.
    assert time.monotonic() - started < 1.5  # half the 3 s deadline such an attempt would run into


@pytest.mark.parametrize(
    "spelling", ["2130706434", "0x7f000002", "0x7f.0.0.2", "0177.0.0.2", "127.2", "[::ffff:127.0.0.2]"]
)
def test_other_spellings_of_the_forbidden_address(forbidden: ReliabilityServer, spelling: str) -> None:
    port = forbidden.base_url.rsplit(":", 1)[1]
    before = forbidden.stats.connections
    got = fetch_one(f"http://{spelling}:{port}/{FEED}", STRICT)
    assert isinstance(got, RetrieveError)
    assert got.outcome in (FetchOutcome.BLOCKED, FetchOutcome.CONNECT_ERROR, FetchOutcome.HTTP_ERROR), got
    assert forbidden.stats.connections == before, f"{spelling} reached the forbidden server"


def test_a_hostname_is_checked_by_what_it_resolves_to(rel_server: ReliabilityServer) -> None:
    """``localhost`` resolves (via /etc/hosts, no network) to 127.0.0.1 / ::1: refused when only
    127.0.0.2 is allowed, fetched when 127.0.0.1 is."""
    port = rel_server.base_url.rsplit(":", 1)[1]
    url = f"http://localhost:{port}/{FEED}"
    before = rel_server.stats.connections
    err = blocked(fetch_one(url, FetchSettings(allowed_networks=("127.0.0.2/32",), total_deadline=3.0)))
    assert "localhost" in str(err)
    assert rel_server.stats.connections == before
    ok = fetch_one(url, FetchSettings(allowed_networks=("127.0.0.1/32", "::1/128"), total_deadline=3.0))
    assert not isinstance(ok, RetrieveError), ok


def test_peer_check_sees_the_real_peer(forbidden: ReliabilityServer) -> None:
    """The after-connect check gets the connected address from httpx and refuses a forbidden one."""

    async def peer_check() -> RetrieveError | None:
        async with (
            httpx.AsyncClient(trust_env=False) as client,
            client.stream("GET", forbidden.url(FEED)) as response,
        ):
            assert response.extensions.get("network_stream") is not None, "peer check would fail open"
            try:
                check_peer(response, forbidden.url(FEED), STRICT)
            except RetrieveError as e:
                return e
            return None

    err = asyncio.run(peer_check())
    assert err is not None, "check_peer accepted a connection to 127.0.0.2"
    blocked(err)
    assert "connected to 127.0.0.2" in str(err)


def test_peer_check_once_per_allowed_connection(rel_server: ReliabilityServer, forbidden: ReliabilityServer) -> None:
    """An allowed connection is remembered after its first response; a refused one never is, so each
    response on it is refused again."""

    async def check(url: str, checked: weakref.WeakSet[object]) -> list[str]:
        outcomes = []
        async with httpx.AsyncClient(trust_env=False) as client:
            for _ in range(2):  # the same kept-alive connection twice
                async with client.stream("GET", url) as response:
                    await response.aread()
                    try:
                        check_peer(response, url, STRICT, checked)
                        outcomes.append("ok")
                    except RetrieveError as e:
                        outcomes.append(blocked(e).outcome.value)
            outcomes.append(f"remembered {len(checked)}")  # while the connection is still open
        return outcomes

    checked: weakref.WeakSet[object] = weakref.WeakSet()
    assert asyncio.run(check(rel_server.url(FEED), checked)) == ["ok", "ok", "remembered 1"]
    refused: weakref.WeakSet[object] = weakref.WeakSet()
    assert asyncio.run(check(forbidden.url(FEED), refused)) == ["blocked", "blocked", "remembered 0"]


def test_blocked_sources_are_recorded_and_the_rest_land(
    tmp_path: Path, rel_server: ReliabilityServer, forbidden: ReliabilityServer
) -> None:
    names = real_feed_names()[:2]
    redirect = rel_server.url("to") + "?url=" + quote(forbidden.url(names[1]), safe="")
    sources = tmp_path / "sources.toml"
    entries = {
        "allowed": rel_server.url(names[0]),
        "forbidden-direct": forbidden.url(names[1]),
        "forbidden-redirect": redirect,
        "metadata": "http://169.254.169.254/latest/meta-data/",
    }
    sources.write_text(
        "".join(f'[[source]]\nname = "{n}"\nurl = "{u}"\n\n' for n, u in entries.items()), encoding="utf-8"
    )
    db = tmp_path / "y.duckdb"
    before = forbidden.stats.connections
    report = pipeline.ingest(db, sources, as_of=datetime(2021, 6, 18, 8, tzinfo=SHANGHAI), settings=STRICT)
    assert forbidden.stats.connections == before
    status = {r.source: r.status for r in report.rows}
    assert status == {
        "allowed": "new",
        "forbidden-direct": "blocked",
        "forbidden-redirect": "blocked",
        "metadata": "blocked",
    }
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "SELECT source, disposition, error FROM fetch_log WHERE status = 'blocked' ORDER BY source"
        ).fetchall()
        items = con.execute("SELECT DISTINCT source FROM items").fetchall()
    finally:
        con.close()
    assert [r[0] for r in rows] == ["forbidden-direct", "forbidden-redirect", "metadata"]
    assert all(r[1] == "hard" and "not allowed" in r[2] for r in rows)
    assert items == [("allowed",)]


def test_default_settings_refuse_loopback_and_every_special_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("YUQING_ALLOW_PRIVATE", raising=False)
    monkeypatch.delenv("YUQING_ALLOW_LOOPBACK", raising=False)
    default = pipeline.default_fetch_settings()
    for address in (
        "127.0.0.1", "::1", "10.0.0.1", "169.254.169.254",
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
        "::a9fe:a9fe",  # IPv4-compatible
        "::ffff:127.0.0.1", "fec0::1", "ff02::1", "224.0.0.1", "0.0.0.0", "::",
    ):  # fmt: skip
        assert not address_allowed(address, default), address
    for address in ("202.108.22.5", "2001:4860:4860::8888", "64:ff9b::ca6c:1605"):  # NAT64 of a public address
        assert address_allowed(address, default), address
    blocked(fetch_one("http://10.0.0.1/rss.xml", default))
    blocked(fetch_one("http://169.254.169.254/", default))
    monkeypatch.setenv("YUQING_ALLOW_LOOPBACK", "1")
    assert address_allowed("127.0.0.1", pipeline.default_fetch_settings())
    assert not address_allowed("10.0.0.1", pipeline.default_fetch_settings())


def test_a_feed_on_loopback_is_refused_unless_ops_allow_it(tmp_path: Path, forbidden: ReliabilityServer) -> None:
    """Through the real ``yuqing ingest``: without YUQING_ALLOW_LOOPBACK a source on 127.0.0.1 is blocked."""
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[source]]\nname = "local"\nurl = "{forbidden.url(FEED)}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("YUQING_ALLOW_LOOPBACK", "YUQING_ALLOW_PRIVATE")}
    cmd = [sys.executable, "-m", "yuqing.cli", "--db", str(tmp_path / "y.duckdb"), "ingest", "--sources", str(sources),
           "--as-of", "2021-06-18T08:00:00+08:00"]  # fmt: skip
    refused = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert refused.returncode == 0 and "blocked" in refused.stdout and "not allowed" in refused.stdout
    allowed_run = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env={**env, "YUQING_ALLOW_LOOPBACK": "1"})
    assert allowed_run.returncode == 0 and " new " in allowed_run.stdout


