"""Replay of the June 2021 WeChat feeds (samples/feeds): ingest over a real loopback HTTP server at each
checkpoint, then track, then ask what is overdue, and check the 十堰 gas explosion (2021-06-13) event.

The timeline is rebuilt from the files: ``history/<bizid>__<YYYYMMDDTHHMM>__<commit>.xml`` are earlier
versions of six feeds (commit time, Asia/Shanghai) and ``latest/<bizid>.xml`` all 51 feeds as of the
feeds-branch commit of 2021-06-19 15:32 +08:00 (samples/feeds/PROVENANCE.md). At checkpoint T the server
serves, for each feed, its latest version committed at or before T; a feed with no version yet is left
out of that checkpoint's sources file.

Expected values come from the items and the rules, not from a run:
  * the event opens from a national official source relaying the incident in a named place
    (应急管理部's items in history/, 证监会发布's relay of the leader's instruction in latest/): an
    outside reporter; its wording (燃气爆炸事故) makes it a major emergency, so its milestones are
    first_information (5 h, 国办发〔2016〕80号) and press_conference (24 h, 61号/80号);
  * 湖北省人民政府网's releases on its handling of the explosion (latest/ only, published 06-14/15) are
    official responses (eval guide, "Cases decided in this set"): they are fetched at the latest
    checkpoint, after the 5 h deadline, so first_information becomes met_late there, met by the earliest
    of them; no item is a press conference on it, so press_conference stays overdue;
  * before the latest checkpoint nothing answers it: both milestones are overdue at every checkpoint.
"""

from __future__ import annotations

import calendar
import os
import re
import shutil
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import feedparser
import pytest

from warehouse.db import Warehouse
from yuqing import pipeline
from yuqing.feedserver import FeedServer
from yuqing.track.regions import trimmed
from yuqing.track.run import overdue, run_track

ROOT = Path(__file__).resolve().parents[2]
FEEDS = ROOT / "samples" / "feeds"
SOURCES = ROOT / "samples" / "sources.toml"
SH = ZoneInfo("Asia/Shanghai")
LATEST = datetime(2021, 6, 19, 15, 32, tzinfo=SH)  # feeds-branch commit of latest/ (PROVENANCE.md)
HUBEI = "湖北省人民政府网"
BOOM = re.compile(r"十堰.*燃气爆炸|燃气爆炸.*十堰|艳湖社区集贸市场")
PRESS = re.compile(r"发布会|吹风会|答记者问")


@dataclass(frozen=True, slots=True)
class Version:
    committed: datetime
    path: Path


def _versions() -> dict[str, list[Version]]:
    out: dict[str, list[Version]] = {}
    for f in sorted((FEEDS / "history").glob("*.xml")):
        biz, stamp, _commit = f.stem.split("__")
        when = datetime.strptime(stamp, "%Y%m%dT%H%M").replace(tzinfo=SH)
        out.setdefault(biz, []).append(Version(when, f))
    for f in sorted((FEEDS / "latest").glob("*.xml")):
        out.setdefault(f.stem, []).append(Version(LATEST, f))
    return out


def _sources() -> dict[str, dict[str, Any]]:
    """bizid -> the account's [[source]] table (name, official, region)."""
    rows = tomllib.loads(SOURCES.read_text(encoding="utf-8"))["source"]
    return {str(r["url"]).rsplit("/", 1)[1].removesuffix(".xml"): r for r in rows}


VERSIONS = _versions()
ACCOUNTS = _sources()
ACCOUNTS_BY_NAME = {str(s["name"]): s for s in ACCOUNTS.values()}
HISTORY_TIMES = sorted({v.committed for vs in VERSIONS.values() for v in vs if v.committed < LATEST})
CHECKPOINTS = [*HISTORY_TIMES, LATEST, LATEST + timedelta(days=1), LATEST + timedelta(days=7)]


def _feed_items(account: str) -> list[tuple[datetime, str]]:
    """(published, title) of every version of one account's feed, deduplicated."""
    biz = next(b for b, s in ACCOUNTS.items() if s["name"] == account)
    seen: set[tuple[datetime, str]] = set()
    for v in VERSIONS[biz]:
        for e in feedparser.parse(v.path.read_bytes()).entries:
            seen.add((datetime.fromtimestamp(calendar.timegm(e.published_parsed), UTC), str(e.title)))
    return sorted(seen)


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _stage(serve: Path, server: FeedServer, at: datetime, sources_file: Path) -> None:
    """Serve each feed's latest version committed at or before ``at``; list only those feeds."""
    lines: list[str] = []
    for biz, versions in sorted(VERSIONS.items()):
        have = [v for v in versions if v.committed <= at]
        if not have:
            continue
        v = max(have, key=lambda v: v.committed)
        target = serve / f"{biz}.xml"
        shutil.copyfile(v.path, target)
        os.utime(target, (v.committed.timestamp(), v.committed.timestamp()))  # Last-Modified = commit time
        src = ACCOUNTS[biz]
        lines += [
            "[[source]]",
            f"name = {_toml_str(src['name'])}",
            f"url = {_toml_str(server.url(f'{biz}.xml'))}",
            'kind = "feed"',
            f"official = {'true' if src.get('official') else 'false'}",
        ]
        if src.get("region"):
            lines.append(f"region = {_toml_str(src['region'])}")
    sources_file.write_text("\n".join(lines) + "\n", encoding="utf-8")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    at: datetime
    boom_events: list[str]  # ids of events with a member about the 十堰 explosion
    overdue_pairs: set[tuple[str, str]]  # (event_id, milestone) overdue for those events
    milestones: dict[str, tuple[str, datetime | None]]  # milestone -> (status, met_at) of the event
    event: tuple[Any, ...] | None  # (event_id, severity, started_at, opening source, opening title)
    members: list[tuple[str, str, datetime]]  # (source, title, item_time) of the event's items


def _snapshot(wh: Warehouse) -> list[list[tuple[Any, ...]]]:
    tables = ("events", "event_items", "event_aliases", "responses", "milestones", "track_items", "track_bands")
    return [wh.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables]


def _boom_event_ids(wh: Warehouse) -> list[str]:
    rows = wh.con.execute(
        "SELECT DISTINCT ei.event_id, i.title FROM event_items AS ei JOIN items AS i USING (item_id)"
    ).fetchall()
    return sorted({ev for ev, title in rows if BOOM.search(title)})


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[Checkpoint], Path]]:
    tmp = tmp_path_factory.mktemp("replay_wechat")
    serve = tmp / "serve"
    serve.mkdir()
    db = tmp / "yuqing.duckdb"
    out: list[Checkpoint] = []
    with FeedServer(serve) as server:
        for at in CHECKPOINTS:
            sources_file = tmp / f"sources-{at:%Y%m%dT%H%M}.toml"
            _stage(serve, server, at, sources_file)
            pipeline.ingest(db, sources_file, as_of=at)
            with Warehouse.open(db) as wh:
                run_track(wh, as_of=at)
                ids = _boom_event_ids(wh)
                pairs = {(r.event_id, r.milestone) for r in overdue(wh, as_of=at) if r.event_id in ids}
                ms: dict[str, tuple[str, datetime | None]] = {}
                event = None
                members: list[tuple[str, str, datetime]] = []
                if len(ids) == 1:
                    ms = {
                        m: (s, met)
                        for m, s, met in wh.con.execute(
                            "SELECT milestone, status, met_at FROM v_milestones WHERE event_id = ?", ids
                        ).fetchall()
                    }
                    event = wh.con.execute(
                        "SELECT e.event_id, e.severity, e.started_at, i.source, i.title FROM v_events AS e "
                        "JOIN items AS i ON i.item_id = e.opening_item_id WHERE e.event_id = ?",
                        ids,
                    ).fetchall()[0]
                    members = wh.con.execute(
                        "SELECT i.source, i.title, i.item_time FROM event_items JOIN items AS i USING (item_id) "
                        "WHERE event_id = ? ORDER BY i.item_time",
                        ids,
                    ).fetchall()
                out.append(Checkpoint(at, ids, pairs, ms, event, members))
    yield out, db


def test_checkpoints_are_the_history_commits_then_latest_then_later() -> None:
    assert len(HISTORY_TIMES) >= 5 and HISTORY_TIMES[-1] < LATEST
    assert sum(len(vs) for vs in VERSIONS.values()) == 81  # 30 history + 51 latest files


def test_shiyan_overdue_pairs_at_every_checkpoint(replay: tuple[list[Checkpoint], Path]) -> None:
    checkpoints, _ = replay
    hubei = [(t, title) for t, title in _feed_items(HUBEI) if BOOM.search(title)]
    assert len(hubei) >= 3  # the provincial government's releases on its handling of the explosion
    first_hubei = min(t for t, _ in hubei)
    # no item anywhere is a press conference / briefing on it
    assert not any(
        BOOM.search(title) and PRESS.search(title)
        for biz in VERSIONS
        for _, title in _feed_items(ACCOUNTS[biz]["name"])
    )
    for cp in checkpoints:
        assert len(cp.boom_events) == 1, (cp.at, cp.boom_events)
        (ev,) = cp.boom_events
        assert cp.event is not None
        _, severity, started_at, opening_source, _ = cp.event
        assert severity == "major_emergency", cp.at
        # a national official source relaying the incident opens it; the event starts with its earliest item
        assert ACCOUNTS_BY_NAME[opening_source].get("official") and not ACCOUNTS_BY_NAME[opening_source].get("region")
        assert started_at == min(t for _, _, t in cp.members)
        # the provincial government's own posts about its own province never join or open it
        assert all(source != HUBEI for source, _, _ in cp.members)
        fi_deadline = started_at + timedelta(hours=5)
        pc_deadline = started_at + timedelta(hours=24)
        assert cp.at > pc_deadline  # every checkpoint is days after the explosion
        if cp.at < LATEST:  # only history/: nothing has answered it
            expected = {(ev, "first_information"), (ev, "press_conference")}
            assert cp.milestones == {"first_information": ("overdue", None), "press_conference": ("overdue", None)}
        else:  # 湖北省人民政府网 fetched: first information came, late; still no press conference
            expected = {(ev, "press_conference")}
            assert first_hubei > fi_deadline
            assert cp.milestones == {
                "first_information": ("met_late", first_hubei),
                "press_conference": ("overdue", None),
            }, cp.at
            # 证监会发布's relay of the leader's instruction (latest/) joined the event
            assert "证监会发布" in {source for source, _, _ in cp.members}
        assert cp.overdue_pairs == expected, cp.at


def test_whole_replay_invariants_and_idempotent_rerun(replay: tuple[list[Checkpoint], Path]) -> None:
    checkpoints, db = replay
    last = checkpoints[-1].at
    with Warehouse.open(db) as wh:
        con = wh.con
        # every event appears once in v_events, and every event has its items
        dup = con.execute("SELECT event_id FROM v_events GROUP BY event_id HAVING count(*) > 1").fetchall()
        assert dup == []
        n_events = con.execute("SELECT count(*) FROM v_events").fetchall()[0][0]
        assert n_events == con.execute("SELECT count(DISTINCT event_id) FROM event_items").fetchall()[0][0] > 0
        # no event is opened by an official response, nor by an official source's own-jurisdiction item;
        # an event is opened by an issue or by an official source reporting a major emergency elsewhere
        openers = con.execute(
            "SELECT i.official_response, i.issue, s.official, s.region, i.region_code "
            "FROM events AS e JOIN items AS i ON i.item_id = e.opening_item_id JOIN sources AS s ON s.name = i.source"
        ).fetchall()
        assert len(openers) == n_events
        for official_response, issue, official, source_region, region in openers:
            assert not official_response
            assert issue or official
            if official:
                assert region is not None
                assert source_region is None or not trimmed(region).startswith(trimmed(source_region))
        # re-running track at the same as_of changes nothing
        before = _snapshot(wh)
        report = run_track(wh, as_of=last)
        assert report.items_seen == 0
        assert _snapshot(wh) == before
        assert {(r.event_id, r.milestone) for r in overdue(wh, as_of=last)} >= checkpoints[-1].overdue_pairs
