"""Ingest end to end: real loopback HTTP server, real feed snapshots, real DuckDB file."""

from __future__ import annotations

import socket
from datetime import timedelta
from pathlib import Path

import duckdb
import feedparser

from tests.pipeline.conftest import AS_OF, SAMPLES, write_sources
from yuqing import pipeline
from yuqing.feedserver import FeedServer


def expected_item_count() -> int:
    """Items in the bundled feeds, counted independently of our parser: distinct links per feed."""
    total = 0
    for path in sorted((SAMPLES / "feeds" / "latest").glob("*.xml")):
        parsed = feedparser.parse(path.read_bytes())
        total += len({e.get("id") or e.get("link") for e in parsed.entries})
    return total


def count(db: Path, sql: str) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return int(con.execute(sql).fetchone()[0])  # type: ignore[index]
    finally:
        con.close()


def test_every_item_lands_and_reingest_adds_nothing(tmp_path: Path, sources_file: Path) -> None:
    db = tmp_path / "y.duckdb"
    first = pipeline.ingest(db, sources_file, as_of=AS_OF)
    expected = expected_item_count()
    assert expected > 800
    assert first.new == expected
    assert count(db, "SELECT count(*) FROM items") == expected
    assert count(db, "SELECT count(DISTINCT item_id) FROM items") == expected
    assert first.status == "ok" and not first.failed

    # Re-poll: conditional GET, every source answers 304.
    again = pipeline.ingest(db, sources_file, as_of=AS_OF + timedelta(minutes=15))
    assert again.new == 0 and again.updated == 0
    assert {r.status for r in again.rows} == {"not_modified"}

    # A forced full fetch (validators older than a day) re-reads every feed and still adds nothing.
    full = pipeline.ingest(db, sources_file, as_of=AS_OF + timedelta(days=2))
    assert {r.status for r in full.rows} == {"unchanged"}
    assert full.new == 0 and full.updated == 0
    assert count(db, f"SELECT count(*) FROM fetch_log WHERE run_id = '{full.run_id}' AND status <> 'unchanged'") == 0
    assert count(db, f"SELECT count(*) FROM fetch_log WHERE run_id = '{again.run_id}' AND status <> 'not_modified'") == 0
    assert count(db, "SELECT count(*) FROM items") == expected
    # Every item was classified, with the classifier version recorded.
    assert count(db, "SELECT count(*) FROM items WHERE classifier_version IS NULL OR severity IS NULL") == 0
    # The analyst snapshot was published and holds the same items.
    assert first.snapshot is not None and first.snapshot.exists()
    assert count(first.snapshot, "SELECT count(*) FROM items") == expected


def _dead_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return int(port)


def test_broken_sources_never_stop_the_others(tmp_path: Path, samples_server: FeedServer) -> None:
    html_dir = tmp_path / "www"
    html_dir.mkdir()
    (html_dir / "index.html").write_text("<html><body>首页</body></html>", encoding="utf-8")
    with FeedServer(html_dir) as other:
        extra = f"""
[[source]]
name = "dead host"
url = "http://127.0.0.1:{_dead_port()}/rss.xml"

[[source]]
name = "missing file"
url = "{samples_server.base_url}/latest/no-such-feed.xml"

[[source]]
name = "html page"
url = "{other.base_url}/index.html"
"""
        sources = write_sources(tmp_path / "sources.toml", samples_server.base_url, extra)
        db = tmp_path / "y.duckdb"
        report = pipeline.ingest(db, sources, as_of=AS_OF)
    assert report.new == expected_item_count()
    failed = {r.source: r for r in report.failed}
    assert set(failed) == {"dead host", "missing file", "html page"}
    assert failed["dead host"].status == "connect_error"
    assert failed["missing file"].status == "http_error"
    assert failed["html page"].status == "parse_error" and "HTML" in (failed["html page"].error or "")
    assert report.status == "partial"
    # Ops see the reasons in fetch_log and the backoff in sources.
    con = duckdb.connect(str(db), read_only=True)
    rows = dict(con.execute("SELECT source, error FROM fetch_log WHERE status NOT IN ('new','unchanged')").fetchall())
    backoff = con.execute("SELECT count(*) FROM sources WHERE backoff_until IS NOT NULL").fetchone()
    con.close()
    assert set(rows) == {"dead host", "missing file", "html page"} and all(rows.values())
    assert backoff == (3,)
