"""The source-kind seam: a second kind (a JSON API) added the way docs/design.md says, ingested end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from sources import kinds
from sources.config import load_sources
from sources.parse import ParsedFeed, RawEntry
from yuqing import pipeline
from yuqing.errors import ConfigError, ParseError
from yuqing.feedserver import FeedServer

AS_OF = datetime(2021, 6, 18, 0, 0, tzinfo=UTC)


def parse_json_api(body: bytes, *, url: str, final_url: str | None = None, headers: Mapping[str, str]) -> ParsedFeed:
    """``{"items": [{"title", "url", "time", "summary"}]}``, as a government site's JSON list might give it."""
    try:
        doc = json.loads(body.decode("utf-8"))
        rows = doc["items"]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as e:
        raise ParseError(f"not a usable JSON list: {e}", url=url) from None
    items = [
        RawEntry(guid=r["url"], link=r["url"], title=r["title"], summary=r.get("summary", ""),
                 published=datetime.fromisoformat(r["time"]), published_raw=r["time"])
        for r in rows
    ]  # fmt: skip
    return ParsedFeed(title=doc.get("site", ""), items=items, version="json-api", charset_declared="utf-8",
                      charset_used="utf-8", charset_mismatch=False, charset_lossy=False, bozo_reason=None)  # fmt: skip


@pytest.fixture
def json_kind() -> Iterator[None]:
    kinds.register(kinds.SourceKind("json-api", parse_json_api, "a site's JSON list of articles"))
    yield
    kinds.unregister("json-api")


def test_an_unknown_kind_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[[source]]\nname = "a"\nurl = "https://www.example.gov.cn/list.json"\nkind = "json-api"\n')
    with pytest.raises(ConfigError, match=r"s.toml:4: .*unknown kind 'json-api' \(known: feed\)"):
        load_sources(path)


def test_a_second_kind_is_fetched_parsed_classified_and_stored(tmp_path: Path, json_kind: None) -> None:
    www = tmp_path / "www"
    www.mkdir()
    articles = {"site": "某市政府网", "items": [
        {"title": "关于某小区燃气爆炸事故的情况通报", "url": "https://www.example.gov.cn/a/1.html",
         "time": "2021-06-17T10:00:00+08:00", "summary": "6月17日，某小区发生燃气爆炸事故，现将有关情况通报如下。"},
        {"title": "某市召开安全生产工作会议", "url": "https://www.example.gov.cn/a/2.html",
         "time": "2021-06-17T15:00:00+08:00"},
    ]}  # fmt: skip
    (www / "list.json").write_text(json.dumps(articles, ensure_ascii=False), encoding="utf-8")
    with FeedServer(www) as server:
        sources = tmp_path / "sources.toml"
        sources.write_text(
            f'[[source]]\nname = "某市政府网"\nurl = "{server.url("list.json")}"\nkind = "json-api"\nofficial = true\n',
            encoding="utf-8",
        )
        db = tmp_path / "y.duckdb"
        report = pipeline.ingest(db, sources, as_of=AS_OF)
        again = pipeline.ingest(db, sources, as_of=AS_OF)
    assert [(r.source, r.status, r.new) for r in report.rows] == [("某市政府网", "new", 2)]
    assert [r.status for r in again.rows] == ["not_modified"]
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT title, official_response FROM items ORDER BY published_at").fetchall()
    assert rows == [("关于某小区燃气爆炸事故的情况通报", True), ("某市召开安全生产工作会议", False)]
