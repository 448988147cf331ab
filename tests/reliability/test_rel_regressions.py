"""Regressions for the crashes this suite found, at the level that matters: one hostile feed must never
stop the ingest of every other source (a non-ASCII ETag, feedparser's own exceptions on hostile character
references, a charset label naming a non-text codec). docs/reliability.md describes each.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from sources.parse import parse_feed
from tests.reliability.conftest import real_feed_names
from tests.reliability.rel_servers import ReliabilityServer
from yuqing import pipeline
from yuqing.errors import ParseError
from yuqing.feedserver import FeedServer
from yuqing.timeutil import SHANGHAI

AS_OF = datetime(2021, 6, 18, 8, 0, tzinfo=SHANGHAI)


def _sources(path: Path, entries: dict[str, str]) -> Path:
    path.write_text(
        "".join(f'[[source]]\nname = "{n}"\nurl = "{u}"\n\n' for n, u in entries.items()), encoding="utf-8"
    )
    return path


def _healthy_items(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return int(con.execute("SELECT count(*) FROM items WHERE source = 'healthy'").fetchone()[0])  # type: ignore[index]
    finally:
        con.close()


def test_non_ascii_etag_does_not_crash_the_next_run(tmp_path: Path, rel_server: ReliabilityServer) -> None:
    names = real_feed_names()
    raw = 'ETag: "中"\r\n'.encode().hex()
    sources = _sources(
        tmp_path / "s.toml",
        {"hostile": rel_server.url(f"raw/{names[0]}") + f"?h={raw}", "healthy": rel_server.url(names[1])},
    )
    db = tmp_path / "y.duckdb"
    first = pipeline.ingest(db, sources, as_of=AS_OF)
    assert {r.source: r.status for r in first.rows} == {"hostile": "new", "healthy": "new"}
    second = pipeline.ingest(db, sources, as_of=AS_OF + timedelta(minutes=15))  # raises today
    assert {r.source: r.status for r in second.rows}["healthy"] == "not_modified"


HOSTILE_BODIES = {
    # An emoji written as a UTF-16 surrogate pair of character references (JavaScript-built CMSs).
    "surrogate-charref": "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t</title>"
    "<item><title>好消息&#55357;&#56832;</title><link>http://e.example.cn/1</link></item></channel></rss>",
    "huge-charref": "<rss version='2.0'><channel><title>t</title><item><title>a&#99999999999;</title>"
    "<link>http://e.example.cn/1</link></item></channel></rss>",
    "out-of-range-charref": "<rss version='2.0'><channel><title>t</title><item><title>a&#x110000;</title>"
    "<link>http://e.example.cn/1</link></item></channel></rss>",
    "height-outside-image": "<rss version='2.0'><channel><title><height>64</height></title>"
    "<item><title>x</title><link>http://e.example.cn/1</link></item></channel></rss>",
}


@pytest.mark.parametrize("case", sorted(HOSTILE_BODIES))
def test_feedparser_internal_error_is_a_parse_error(case: str) -> None:
    """Each hostile body parses into its one item, or fails as a ParseError naming the parser's failure; no other
    exception escapes (a crash inside feedparser used to)."""
    body = HOSTILE_BODIES[case].encode()
    try:
        parsed = parse_feed(body, url="http://e.example.cn/rss", headers={"content-type": "application/rss+xml"})
    except ParseError as e:
        assert "not a usable feed" in str(e)
        return
    (item,) = parsed.items
    assert item.link == "http://e.example.cn/1" and item.title


def test_one_feedparser_crash_does_not_stop_the_run(tmp_path: Path, rel_server: ReliabilityServer) -> None:
    www = tmp_path / "www"
    www.mkdir()
    (www / "bad.xml").write_text(HOSTILE_BODIES["surrogate-charref"], encoding="utf-8")
    with FeedServer(www) as bad:
        sources = _sources(
            tmp_path / "s.toml",
            {"hostile": bad.url("bad.xml"), "healthy": rel_server.url(real_feed_names()[1])},
        )
        report = pipeline.ingest(tmp_path / "y.duckdb", sources, as_of=AS_OF)  # raises today
    assert {r.source: r.status for r in report.rows}["healthy"] == "new"
    assert _healthy_items(tmp_path / "y.duckdb") > 0


@pytest.mark.parametrize("charset", ["undefined", "zlib", "hex", "base64", "bz2", "uu", "rot13", "idna"])
def test_non_text_charset_label_is_ignored(charset: str) -> None:
    # A feed with one stray byte, so that no candidate decodes strictly and the declared one is used.
    body = (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>t</title><item><title>标题</title>"
        "<link>http://e.example.cn/1</link></item></channel></rss>"
    ).encode() + b"\xff"
    feed = parse_feed(
        body, url="http://e.example.cn/rss", headers={"content-type": f"text/xml; charset={charset}"}
    )
    assert [i.title for i in feed.items] == ["标题"]


def test_charset_undefined_does_not_stop_the_run(tmp_path: Path, rel_server: ReliabilityServer) -> None:
    names = real_feed_names()
    sources = _sources(
        tmp_path / "s.toml",
        {"hostile": rel_server.url(f"charset/undefined/{names[0]}"), "healthy": rel_server.url(names[1])},
    )
    report = pipeline.ingest(tmp_path / "y.duckdb", sources, as_of=AS_OF)  # raises today
    assert {r.source: r.status for r in report.rows}["healthy"] == "new"
