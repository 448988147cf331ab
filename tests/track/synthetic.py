"""Synthetic replays: feeds written from a script of items, served on 127.0.0.1, polled at checkpoints
the way docs/ops.md describes (``ingest --as-of T`` then ``track --as-of T``), through the real
pipeline and the real classifier. Only the contracts are used to look at the result (the warehouse
tables and views, ``overdue``), so a scenario reads the same whatever the tracker's internals.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from warehouse.db import Warehouse
from yuqing import pipeline
from yuqing.feedserver import FeedServer
from yuqing.timeutil import SHANGHAI
from yuqing.track.run import OverdueRow, overdue, run_track


def sh(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2021) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@dataclass(frozen=True, slots=True)
class Post:
    source: str
    title: str
    at: datetime
    text: str = ""
    link: str | None = None  # default https://news.example.com/<source>/<n>
    author: str = ""  # the item's <author>, when the feed names one


@dataclass(frozen=True, slots=True)
class Source:
    name: str
    official: bool = False
    region: str | None = None


@dataclass
class Scenario:
    """Sources and their posts; ``run`` polls them every ``step`` from ``start`` to ``end``."""

    sources: list[Source]
    posts: list[Post] = field(default_factory=list)

    def post(
        self, source: str, title: str, at: datetime, text: str = "", link: str | None = None, author: str = ""
    ) -> Post:
        p = Post(source, title, at, text, link, author)
        self.posts.append(p)
        return p

    def _write(self, root: Path, server: FeedServer) -> Path:
        lines: list[str] = []
        for k, src in enumerate(self.sources):
            items = [p for p in self.posts if p.source == src.name]
            body = "".join(
                f"<item><title>{escape(p.title)}</title><link>{escape(p.link or f'https://news.example.com/{k}/{n}')}</link>"
                f"<guid>https://news.example.com/{k}/{n}</guid><description>{escape(p.text)}</description>"
                f"<pubDate>{format_datetime(p.at)}</pubDate>"
                + (f"<author>{escape(p.author)}</author>" if p.author else "")
                + "</item>"
                for n, p in enumerate(items)
            )
            xml = (
                '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                f"<title>{escape(src.name)}</title><link>https://news.example.com/{k}</link>"
                f"<description>{escape(src.name)}</description>{body}</channel></rss>"
            )
            (root / f"feed{k}.xml").write_text(xml, encoding="utf-8")
            lines += ["[[source]]", f"name = {json.dumps(src.name)}", f'url = "{server.url(f"feed{k}.xml")}"', 'kind = "feed"',
                      f"official = {'true' if src.official else 'false'}"]  # fmt: skip
            if src.region:
                lines.append(f'region = "{src.region}"')
        path = root / "sources.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        tomllib.loads(path.read_text(encoding="utf-8"))
        return path

    def run(self, db: Path, start: datetime, end: datetime, step: timedelta = timedelta(hours=3)) -> None:
        feeds = db.parent / f"{db.stem}-feeds"
        feeds.mkdir(parents=True, exist_ok=True)
        with FeedServer(feeds) as server:
            sources = self._write(feeds, server)
            t = start
            while t <= end:
                pipeline.ingest(db, sources, as_of=t)
                with Warehouse.open(db) as wh:
                    run_track(wh, as_of=t)
                t += step


def events(db: Path) -> list[dict[str, Any]]:
    """Every event (the columns of ``v_events``) with its members' titles in time order (``members``)
    and its linked responses' titles (``responses``)."""
    with Warehouse.open(db) as wh:
        cur = wh.con.execute("SELECT * FROM v_events ORDER BY started_at, event_id")
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        for row in rows:
            row["members"] = [
                t for (t,) in wh.con.execute(
                    "SELECT i.title FROM event_items JOIN items AS i USING (item_id) WHERE event_id = ? "
                    "ORDER BY i.item_time, i.item_id", [row["event_id"]]
                ).fetchall()
            ]
            row["responses"] = [
                t for (t,) in wh.con.execute(
                    "SELECT i.title FROM responses JOIN items AS i USING (item_id) WHERE event_id = ? "
                    "ORDER BY i.item_time, i.item_id", [row["event_id"]]
                ).fetchall()
            ]
    return rows


def event_of(db: Path, title: str) -> dict[str, Any] | None:
    found = [e for e in events(db) if title in e["members"]]
    assert len(found) <= 1
    return found[0] if found else None


def flags(db: Path, as_of: datetime) -> list[OverdueRow]:
    with Warehouse.open(db) as wh:
        return overdue(wh, as_of=as_of, lookback_days=None)


def titles(rows: Iterable[dict[str, Any]]) -> list[list[str]]:
    return [list(e["members"]) for e in rows]
