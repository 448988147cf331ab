"""Small builders of Items, Tags and SourceResults for the warehouse tests (and the writer process)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from warehouse.db import Warehouse
from yuqing.models import Item, SourceConfig, SourceResult, SourceState, Tags, TopicTag

T0 = datetime(2024, 5, 1, 0, 0, tzinfo=UTC)

SOURCES = [
    SourceConfig(name="src-a", url="https://a.example.cn/rss.xml", kind="feed", official=False),
    SourceConfig(
        name="src-b", url="https://www.b.gov.cn/rss.xml", kind="feed", official=True, region="330100"
    ),
]


def make_item(
    n: int,
    source: str = "src-a",
    *,
    title: str | None = None,
    summary: str = "某市一小区发生火灾，消防部门已到场处置。",
    fetched_at: datetime = T0,
    published_at: datetime | None = None,
) -> Item:
    title = title if title is not None else f"第{n}条 工地欠薪 农民工讨薪"
    published = published_at if published_at is not None else fetched_at - timedelta(hours=1)
    return Item(
        item_id=f"{source}:{n:06d}",
        source=source,
        guid=f"guid-{n}",
        url=f"https://example.cn/{source}/{n}",
        title=title,
        summary=summary,
        published_at=published,
        fetched_at=fetched_at,
        item_time=min(published, fetched_at),
        content_hash=hashlib.sha256(f"{title}\x1f{summary}".encode()).hexdigest()[:32],
    )


def make_tags(
    topics: tuple[str, ...] = ("wage_arrears",),
    *,
    severity: str = "general",
    version: str = "test-1",
    official: bool = False,
) -> Tags:
    return Tags(
        topics=tuple(TopicTag(slug=s, score=1.5, terms=("欠薪", "讨薪"), rule="title") for s in topics),
        region_code="330100",
        region_name="杭州市",
        region_evidence="杭州",
        severity=severity,
        severity_evidence=(),
        official_response=official,
        response_kinds=("first_response",) if official else (),
        reported_response=False,
        response_evidence=("通报",) if official else (),
        classifier_version=version,
    )


def make_result(
    source: str,
    items: list[Item],
    *,
    etag: str | None = None,
    status: str = "new",
    tags: list[Tags] | None = None,
    as_of: datetime = T0,
) -> SourceResult:
    return SourceResult(
        source=source,
        state=SourceState(name=source, etag=etag, last_full_fetch_at=as_of, last_status=status),
        status=status,
        http_status=200,
        charset_declared="utf-8",
        charset_used="utf-8",
        bytes=1000,
        elapsed_ms=12,
        items=items,
        tags=tags if tags is not None else [make_tags() for _ in items],
    )


def dump(wh: Warehouse, *tables: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the tables, in a stable order, for before/after comparisons."""
    names = tables or ("sources", "items", "item_topics", "fetch_log", "runs")
    return {t: wh.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in names}


class AtCheckpoint:
    """A writer's connection as ``warehouse.undo.checkpoint`` uses it, calling ``before()`` just before its CHECKPOINT
    statement and ``after()`` just after it (to die there, or to look at the files at that moment)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        before: Callable[[], object] = lambda: None,
        after: Callable[[], object] = lambda: None,
    ) -> None:
        self.con = con
        self.before = before
        self.after = after

    def complete(self) -> None:
        self.con.complete()

    def execute(self, sql: str, *args: Any) -> Any:
        if sql == "CHECKPOINT":
            self.before()
        result = self.con.execute(sql, *args)
        if sql == "CHECKPOINT":
            self.after()
        return result
