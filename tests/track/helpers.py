"""Builders for track tests: TrackItems, rows written into a real (in-memory) warehouse, and replays of real
streams stored as an ingest run stores them."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from classifiers import Classifier, Tags
from warehouse.db import Warehouse
from warehouse.runs import finish_run, start_run
from warehouse.store import commit_source_batch, sync_sources
from yuqing.models import FetchOutcome, Item, SourceConfig, SourceResult, SourceState
from yuqing.track.deadlines import Rules
from yuqing.track.model import TrackItem
from yuqing.track.run import run_track

T0 = datetime(2021, 6, 13, 0, 0, tzinfo=UTC)


def item(
    item_id: str,
    title: str,
    hours: float = 0.0,
    *,
    source: str = "media",
    topics: Sequence[str] = ("work_safety",),
    region: str | None = "420300",
    severity: str = "general",
    official: bool = False,
    official_response: bool = False,
    reported_response: bool = False,
    kinds: Sequence[str] = (),
    fetched_delay: float = 0.0,
    summary: str = "",
    source_region: str | None = None,
    issue: bool | None = None,
    relays_release: bool = False,
) -> TrackItem:
    """A tracked item. ``issue`` defaults to the classifier's usual answer for such an item: a report
    from a non-official source that is not a relay of a response raises an issue; official items and
    responses never do."""
    t = T0 + timedelta(hours=hours)
    return TrackItem(
        item_id=item_id,
        source=source,
        url=f"https://example.com/{item_id}",
        title=title,
        summary=summary,
        item_time=t,
        fetched_at=t + timedelta(hours=fetched_delay),
        topics=tuple(topics),
        region_code=region,
        region_name=None,
        severity=severity,
        source_official=official,
        official_response=official_response,
        reported_response=reported_response,
        response_kinds=tuple(kinds),
        source_region=source_region,
        issue=(not official and not official_response and not reported_response) if issue is None else issue,
        relays_release=relays_release,
    )


@contextmanager
def warehouse() -> Iterator[Warehouse]:
    with Warehouse.open(":memory:") as wh:
        yield wh


def store(wh: Warehouse, items: Sequence[TrackItem]) -> None:
    """Write items (and their sources and topics) the way ingest would have stored them."""
    with wh.transaction() as con:
        for src in sorted({(it.source, it.source_official, it.source_region or "") for it in items}):
            con.execute(
                "INSERT OR IGNORE INTO sources (name, url, kind, official, region, updated_at)"
                " VALUES (?, ?, 'feed', ?, ?, ?)",
                [src[0], f"https://example.com/{src[0]}", src[1], src[2] or None, T0],
            )
        for it in items:
            # items and item_topics have no key for INSERT OR REPLACE (004_items_unkeyed.sql).
            con.execute("DELETE FROM items WHERE item_id = ?", [it.item_id])
            con.execute(
                "INSERT INTO items (item_id, source, guid, url, title, summary, published_at, fetched_at,"
                " item_time, content_hash, first_seen_at, updated_at, region_code, region_name, severity,"
                " official_response, reported_response, response_kinds, evidence, classifier_version, issue)"
                " VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'test', ?)",
                [
                    it.item_id, it.source, it.url, it.title, it.summary, it.item_time, it.fetched_at, it.item_time,
                    it.item_id, it.fetched_at, it.fetched_at, it.region_code, it.region_name, it.severity,
                    it.official_response, it.reported_response, list(it.response_kinds), json.dumps({}), it.issue,
                ],
            )
            for slug in it.topics:
                con.execute("DELETE FROM item_topics WHERE item_id = ? AND topic = ?", [it.item_id, slug])
                con.execute(
                    "INSERT INTO item_topics VALUES (?, ?, 1.0, ?, 'test', 'test')",
                    [it.item_id, slug, list(it.topic_terms)],
                )


def feed_item(item_id: str, source: str, title: str, text: str, at: datetime, author: str = "") -> Item:
    """An item of a replayed stream as a feed would give it, published, updated and fetched at ``at``."""
    digest = hashlib.sha1(f"{title}\n{text}".encode()).hexdigest()
    return Item(item_id, source, item_id, None, title, text, at, at, at, digest, author)


def load_and_track(
    db: Path, streams: Mapping[SourceConfig, Sequence[Item]], as_of: datetime, *, rules: Rules | None = None
) -> None:
    """Store each source's items in ``db`` as one ingest run does (classified in batches, with the source's name and
    officialness), then run one track run as of ``as_of``."""
    classified = _classified(streams)
    with Warehouse.open(db) as wh:
        sync_sources(wh, list(streams), as_of=as_of)
        _ingest(wh, "replay-load", as_of, classified)
        run_track(wh, as_of, rules=rules)


def load_and_track_daily(
    db: Path,
    streams: Mapping[SourceConfig, Sequence[Item]],
    tz: ZoneInfo,
    hour: int = 8,
    every: timedelta = timedelta(days=1),
) -> int:
    """The streams as the product sees them run daily: each morning at ``hour`` (in ``tz``) an ingest run stores what
    was published since the last, then a track run, as of that morning, groups, links and flags, until every item
    is in (``every``: another cadence of mornings). Returns how many mornings ran."""
    classified = _classified(streams)
    times = [i.item_time for items in streams.values() for i in items]
    first, last = min(times).astimezone(tz), max(times)
    morning = datetime(first.year, first.month, first.day, hour, tzinfo=tz)
    if morning < first:
        morning += timedelta(days=1)
    since: datetime | None = None
    days = 0
    with Warehouse.open(db) as wh:
        sync_sources(wh, list(streams), as_of=morning)
        while since is None or since < last:
            _ingest(wh, f"replay-{days}", morning, classified, after=since, until=morning)
            run_track(wh, morning)
            since, morning, days = morning, morning + every, days + 1
    return days


def _classified(streams: Mapping[SourceConfig, Sequence[Item]]) -> list[tuple[SourceConfig, list[Item], list[Tags]]]:
    clf = Classifier.default()
    return [
        (
            config,
            list(items),
            clf.classify_many(
                [
                    {"title": i.title, "text": i.summary, "source_name": config.name, "source_official": config.official}
                    for i in items
                ]
            ),
        )
        for config, items in streams.items()
    ]


def _ingest(
    wh: Warehouse,
    run_id: str,
    as_of: datetime,
    classified: list[tuple[SourceConfig, list[Item], list[Tags]]],
    *,
    after: datetime | None = None,
    until: datetime | None = None,
) -> None:
    """One ingest run storing the classified items published after ``after`` and up to ``until`` (None: no bound)."""
    results = []
    for config, items, tags in classified:
        kept = [
            (i, t)
            for i, t in zip(items, tags, strict=True)
            if (after is None or i.item_time > after) and (until is None or i.item_time <= until)
        ]
        results.append(
            SourceResult(
                config.name,
                SourceState(config.name),
                FetchOutcome.NEW,
                items=[i for i, _t in kept],
                tags=[t for _i, t in kept],
            )
        )
    start_run(wh, run_id, "ingest", as_of)
    commit_source_batch(wh, run_id, as_of, results)
    finish_run(wh, run_id, "ok")


def memberships(db: Path) -> dict[str, tuple[str, datetime]]:
    """item_id -> (event_id, item_time) of every event member in ``db``."""
    with Warehouse.open(db, read_only=True) as wh:
        rows = wh.con.execute(
            "SELECT ei.item_id, ei.event_id, i.item_time FROM event_items AS ei JOIN items AS i USING (item_id)"
        ).fetchall()
    return {item_id: (event_id, at) for item_id, event_id, at in rows}


def pairwise_grouping(
    members: Mapping[str, tuple[str, datetime]], incident: Mapping[str, str], window: timedelta = timedelta(days=7)
) -> tuple[float, float]:
    """(precision, recall) of the events against incident labels, over the pairs of labelled members within
    ``window`` of each other (a report later than that opens another event by design): precision, of the pairs in
    one event, those of one incident; recall, of the pairs of one incident, those in one event."""
    labelled = sorted(set(members) & set(incident))
    together = apart = split = 0
    for a, b in itertools.combinations(labelled, 2):
        if abs(members[a][1] - members[b][1]) > window:
            continue
        one_event, one_incident = members[a][0] == members[b][0], incident[a] == incident[b]
        together += one_event and one_incident
        apart += one_event and not one_incident
        split += one_incident and not one_event
    return together / max(1, together + apart), together / max(1, together + split)


def incident_labels(path: Path) -> dict[str, str]:
    """id -> incident key of a labels file (one JSON object per line: id, incident, note)."""
    return {r["id"]: r["incident"] for r in map(json.loads, path.read_text("utf-8").splitlines())}


def pool_records(pool: Path, source_dataset: str) -> Iterator[dict[str, Any]]:
    """The records of one source of the training pool (``shared/train/pool.jsonl``), in the pool's order."""
    with pool.open(encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if r["source_dataset"] == source_dataset:
                yield r


def training_pool() -> Path:
    """The training pool (``shared/train/pool.jsonl``); the calling test module is skipped without it."""
    import pytest

    from tests.conftest import shared_path

    pool = shared_path() / "train" / "pool.jsonl"
    if not pool.is_file():
        pytest.skip(f"needs the training pool, not found at {pool}", allow_module_level=True)
    return pool


def twins_named(db: Path, incident: Mapping[str, str]) -> tuple[int, int]:
    """(pairs, lists naming the other): the pairs of events holding labelled reports of one incident within 7 days of
    each other (the grouper kept them apart), and how many of their ``yuqing event`` lists of events that may be the
    same incident name the other, of twice the pairs."""
    from yuqing.track.explain import explain_event

    members = {item_id: m for item_id, m in memberships(db).items() if item_id in incident}
    apart = {
        tuple(sorted((members[a][0], members[b][0])))
        for a, b in itertools.combinations(sorted(members), 2)
        if incident[a] == incident[b] and members[a][0] != members[b][0]
        and abs(members[a][1] - members[b][1]) <= timedelta(days=7)
    }  # fmt: skip
    named = 0
    with Warehouse.open(db, read_only=True) as wh:
        for one, other in [*apart, *((b, a) for a, b in apart)]:
            text = explain_event(wh, one)
            listed = text.split("may be the same incident")[1].split("milestones:")[0] if "may be the same" in text else ""
            named += other in listed
    return len(apart), named


def raise_alert(wh: Warehouse, key: tuple[str, str, str, str, str], hours: float, deadline_hours: float, text: str) -> None:
    """An alert raised ``hours`` after T0 and not yet sent: (event, milestone, condition, route, channel)."""
    from warehouse import alerts

    with wh.transaction():
        alerts.insert_raised(
            wh.con, [alerts.Raised(key, T0 + timedelta(hours=hours), T0 + timedelta(hours=deadline_hours), text, {})]
        )


def unsent_alerts_hold(wh: Warehouse, hours: float) -> list[str | None]:
    """For each alert due ``hours`` after T0, why it no longer makes sense (None: it would be sent)."""
    from warehouse import alerts
    from yuqing.alerts.run import _still_holds

    at = T0 + timedelta(hours=hours)
    return [_still_holds(r, at) for r in alerts.due(wh.con, at)]
