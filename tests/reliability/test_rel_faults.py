"""200 feeds resampled from the real snapshots, 20 % failing in mixed ways: every item of every healthy
feed lands exactly once, and every failure is in fetch_log with its reason."""

from __future__ import annotations

import random
import shutil
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import feedparser

from classifiers import Classifier
from sources.http import LOOPBACK_NETWORKS, FetchSettings
from sources.items import normalise
from sources.parse import parse_feed
from tests.reliability.conftest import real_feed_names, real_feeds_dir
from tests.reliability.rel_servers import ReliabilityServer
from warehouse.checks import run_checks
from warehouse.db import Warehouse
from yuqing import pipeline
from yuqing.timeutil import SHANGHAI

AS_OF = datetime(2021, 6, 18, 8, 0, tzinfo=SHANGHAI)
N_FEEDS = 200
FAULTS = {  # kind -> (how many, URL path template, expected fetch_log status)
    "http500": (6, "status/500/{f}", "http_error"),
    "http404": (5, "status/404/{f}", "http_error"),
    "drip": (5, "slowdrip/{f}", "timeout"),
    "garbage": (6, "garbage-{i}.xml", "parse_error"),
    "html": (5, "page-{i}.html", "parse_error"),
    "refused": (5, "REFUSED", "connect_error"),
    "oversize": (4, "huge/{big}", "too_large"),
    "rate429": (4, "always429/120/{f}", "rate_limited"),
}
SETTINGS = FetchSettings(allowed_networks=LOOPBACK_NETWORKS,
    # Long enough for a healthy feed from 127.0.0.1 on a busy 2-core machine (at 2 s, six healthy feeds timed out
    # while three CPU-bound processes ran beside the test); the drips (one byte a second) still time out.
    total_deadline=8.0,
    connect_timeout=2.0,
    max_body_bytes=2 * 1024 * 1024,
    max_concurrency=32,
    per_host_concurrency=32,
)


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def expected_items(path: Path, source: str, url: str) -> set[str]:
    feed = parse_feed(
        path.read_bytes(), url=url, final_url=url, headers={"content-type": "application/rss+xml"}
    )
    return {i.item_id for i in normalise(feed.items, source=source, final_url=url, fetched_at=AS_OF)}


def test_200_feeds_with_20_percent_failing(tmp_path: Path) -> None:
    rng = random.Random(20210618)
    www = tmp_path / "www"
    www.mkdir()
    names = real_feed_names()
    for name in names:
        shutil.copy(real_feeds_dir() / name, www / name)
    n_faulty = sum(n for n, _, _ in FAULTS.values())
    assert n_faulty == N_FEEDS // 5
    for i in range(FAULTS["garbage"][0]):
        (www / f"garbage-{i}.xml").write_bytes(rng.randbytes(rng.randint(1, 20_000)))
    for i in range(FAULTS["html"][0]):
        (www / f"page-{i}.html").write_text(f"<!DOCTYPE html><html><body><h1>维护中 {i}</h1></body></html>")

    with ReliabilityServer(www) as server:
        healthy: dict[str, tuple[str, str]] = {}  # source -> (url, file)
        faulty: dict[str, str] = {}  # source -> expected status
        entries: list[tuple[str, str]] = []
        for n in range(N_FEEDS - n_faulty):
            f = names[n % len(names)] if n < len(names) else rng.choice(names)
            url = server.url(f) + ("" if n < len(names) else f"?copy={n}")
            healthy[f"feed-{n:03d}"] = (url, f)
            entries.append((f"feed-{n:03d}", url))
        for kind, (count, template, status) in FAULTS.items():
            for i in range(count):
                path = template.format(f=rng.choice(names), i=i, big=50 * 1024 * 1024)
                # Each source its own URL (a URL twice is a config error): the query tells them apart.
                url = f"http://127.0.0.1:{_dead_port()}/rss.xml" if path == "REFUSED" else server.url(path)
                url += f"?fault={kind}-{i}"
                faulty[f"{kind}-{i}"] = status
                entries.append((f"{kind}-{i}", url))
        rng.shuffle(entries)
        sources = tmp_path / "sources.toml"
        sources.write_text(
            "".join(f'[[source]]\nname = "{n}"\nurl = "{u}"\n\n' for n, u in entries), encoding="utf-8"
        )
        db = tmp_path / "y.duckdb"
        report = pipeline.ingest(db, sources, as_of=AS_OF, settings=SETTINGS, group_size=100)
        # A second run 3 minutes later: healthy feeds answer 304, failures are skipped while they
        # back off; nothing is lost or doubled.
        again = pipeline.ingest(db, sources, as_of=AS_OF + timedelta(minutes=3), settings=SETTINGS)

    expected: dict[str, set[str]] = {
        source: expected_items(www / f, source, url) for source, (url, f) in healthy.items()
    }
    independent = sum(
        len({e.get("id") or e.get("link") for e in feedparser.parse(www / f).entries})
        for _, f in healthy.values()
    )
    con = duckdb.connect(str(db), read_only=True)
    try:
        stored: dict[str, set[str]] = {}
        for source, item_id in con.execute("SELECT source, item_id FROM items").fetchall():
            stored.setdefault(source, set()).add(item_id)
        (dupes,) = con.execute("SELECT count(*) - count(DISTINCT item_id) FROM items").fetchone()  # type: ignore[misc]
        log = {
            source: (status, error)
            for source, status, error in con.execute(
                "SELECT source, status, error FROM fetch_log WHERE run_id = ?", [report.run_id]
            ).fetchall()
        }
    finally:
        con.close()

    lost = {s: expected[s] - stored.get(s, set()) for s in expected if expected[s] - stored.get(s, set())}
    assert lost == {}, f"items lost: { {s: (len(v), log.get(s)) for s, v in lost.items()} }"
    assert dupes == 0
    assert sum(len(v) for v in expected.values()) == independent  # our parser agrees with feedparser's count
    assert set(stored) == set(healthy), "a failing source stored items"
    assert report.new == independent and again.new == 0
    assert {r.status for r in again.rows if r.source in healthy} == {"not_modified"}
    assert {r.status for r in again.rows if r.source in faulty} == {"skipped_backoff"}
    assert {s: log[s][0] for s in faulty} == faulty
    assert all(log[s][1] for s in faulty), "a failure without a reason"
    assert all(log[s][0] == "new" for s in healthy)
    assert report.status == "partial" and len(report.failed) == n_faulty
    with Warehouse.open(db) as wh:
        assert run_checks(wh, topic_slugs=Classifier.default().topic_slugs) == []
    assert datetime.now(UTC) > AS_OF  # the as_of is in the past: no item is hidden as "future"
