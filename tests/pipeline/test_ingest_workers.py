"""Parsing and classifying in worker processes gives what the calling thread gives."""

from __future__ import annotations

import concurrent.futures
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import duckdb
import pytest

from sources.http import Retrieved
from tests.pipeline.conftest import AS_OF, SAMPLES
from yuqing import pipeline
from yuqing import processing as process
from yuqing.models import SourceConfig
from yuqing.processing import Offload, ParseError, Processed, process_body, result_of
from yuqing.timeutil import to_utc

HEADERS = {"content-type": "application/rss+xml"}


def _retrieved(source: SourceConfig, body: bytes, headers: dict[str, str] = HEADERS) -> Retrieved:
    return Retrieved(source.url, source.url, 200, headers, body, 0.0)


def _rows(db: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        items = con.execute(
            "SELECT item_id, source, guid, url, title, summary, published_at, item_time, content_hash, "
            "region_code, severity, official_response, reported_response, response_kinds, evidence, "
            "classifier_version FROM items ORDER BY item_id"
        ).fetchall()
        topics = con.execute("SELECT item_id, topic, score, terms, rule FROM item_topics ORDER BY ALL").fetchall()
    finally:
        con.close()
    return items, topics


def test_a_worker_process_gives_what_this_thread_gives() -> None:
    source = SourceConfig(name="样例", url="http://127.0.0.1/feed.xml", official=True, region="420000")
    fetched_at = to_utc(AS_OF)
    paths = sorted((SAMPLES / "feeds" / "latest").glob("*.xml"))[:3]
    with Offload(workers=2, after_bytes=0) as offload:  # at most two bodies queued per worker
        futures = []
        for path in paths:
            body = path.read_bytes()
            future = offload.submit(source, _retrieved(source, body), fetched_at=fetched_at)
            assert future is not None
            futures.append((body, future))
        html = _retrieved(source, b"<html><body>not a feed</body></html>", {"content-type": "text/html"})
        bad = offload.submit(source, html, fetched_at=fetched_at)
        for body, future in futures:
            inline = process_body(source, _retrieved(source, body), fetched_at=fetched_at)
            remote = result_of(future, url=source.url)
            assert isinstance(remote, Processed)
            assert remote.items == inline.items and remote.tags == inline.tags
            assert [t.extra for t in remote.tags] == [t.extra for t in inline.tags]
        assert bad is not None
        error = result_of(bad, url=source.url)
        assert isinstance(error, ParseError) and "HTML" in str(error) and error.url == source.url


def test_no_worker_below_the_threshold_or_on_one_cpu() -> None:
    source = SourceConfig(name="s", url="http://127.0.0.1/f.xml")
    rss, fetched_at = _retrieved(source, b"<rss/>"), to_utc(AS_OF)
    with Offload(workers=0, after_bytes=0) as none:
        assert none.submit(source, rss, fetched_at=fetched_at) is None and not none.started
    with Offload(workers=1, after_bytes=1 << 20) as small:
        assert small.submit(source, rss, fetched_at=fetched_at) is None and not small.started


def test_a_broken_pool_means_parse_it_here() -> None:
    broken: concurrent.futures.Future[Processed | str] = concurrent.futures.Future()
    broken.set_exception(BrokenProcessPool("a worker died"))
    assert result_of(broken, url="http://x/") is None


def test_ingest_with_worker_processes_stores_the_same(
    tmp_path: Path, sources_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YUQING_INGEST_WORKERS", "0")
    inline = pipeline.ingest(tmp_path / "inline.duckdb", sources_file, as_of=AS_OF)
    monkeypatch.setenv("YUQING_INGEST_WORKERS", "1")
    monkeypatch.setattr(process, "DEFAULT_OFFLOAD_AFTER_BYTES", 0)
    offloaded = pipeline.ingest(tmp_path / "workers.duckdb", sources_file, as_of=AS_OF)
    assert offloaded.new == inline.new > 800
    assert [(r.source, r.status, r.new) for r in offloaded.rows] == [(r.source, r.status, r.new) for r in inline.rows]
    assert _rows(tmp_path / "workers.duckdb") == _rows(tmp_path / "inline.duckdb")
