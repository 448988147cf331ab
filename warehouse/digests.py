"""Every SQL statement of the digest: what it reads from the event views and the ``digests`` ledger.

Reads go through the analyst views (``v_events``, ``v_milestones``, ``v_topic_daily``) and decide
"as of T" themselves from ``deadline_at`` / ``met_at`` against T, so a digest can be rebuilt exactly for
any past T (docs/design.md "Time"): an event first detected after T does not exist for it, a milestone
met after T is still open for it.

The ledger (migration 003) makes "one digest per day and route" hold across processes: a row is
committed in state ``sending`` before any SMTP traffic, then moved to ``sent`` or ``failed``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

import duckdb

from warehouse.rows import Row, named, opened_by
from yuqing.models import EventFacts
from yuqing.timeutil import SHANGHAI


class WarehouseLike(Protocol):
    """What the digest needs of ``warehouse.db.Warehouse``: a connection and a transaction scope."""

    @property
    def con(self) -> duckdb.DuckDBPyConnection: ...

    def transaction(self) -> AbstractContextManager[Any]: ...


@dataclass(frozen=True, slots=True)
class EventRecord(EventFacts):
    severity_override: str | None
    started_at: datetime
    first_detected_at: datetime
    item_count: int
    source_count: int
    first_item_url: str | None
    # Why the event's opening item opened it: the classifier's issue evidence («p=0.46», «rule: first case: …»);
    # () where the item is no issue (an official source's report of a major emergency elsewhere); None: not read.
    opened_by: tuple[str, ...] | None = None
    # (analyst, reason) of a dismissal that a later report undid (dismissed_as_of): why the event is back; None: none
    reopened: tuple[str, str] | None = None
    # (reports, the latest one's time) that joined an event already known at the last digest since then: its matter is
    # raised again, or followed up; None: none, or the event is new
    raised: tuple[int, datetime] | None = None


@dataclass(frozen=True, slots=True)
class Shown:
    """What a digest shows of an event beyond its record: the link of its first item (its earliest that existed at
    the digest's as_of), why its opening item opened it (``EventRecord.opened_by``), the dismissal a later report
    undid (``EventRecord.reopened``) and the reports since the last digest (``EventRecord.raised``)."""

    url: str | None
    opened_by: tuple[str, ...] | None
    reopened: tuple[str, str] | None = None
    raised: tuple[int, datetime] | None = None


@dataclass(frozen=True, slots=True)
class MilestoneRecord:
    event_id: str
    milestone: str
    rule_id: str
    source_document: str
    deadline_at: datetime
    met_at: datetime | None  # the response item's time
    met_visible_at: datetime | None  # when the response became known (its first fetch, if later)
    met_by_item_id: str | None
    met_by_url: str | None
    reported: bool
    by_analyst: bool = False  # met by a response an analyst linked (``yuqing link``)


@dataclass(frozen=True, slots=True)
class LedgerRow:
    digest_date: date
    route: str
    state: str  # sending | sent | failed
    attempts: int
    message_id: str | None
    content_hash: str | None
    recipients_count: int
    subject: str | None
    as_of: datetime
    created_at: datetime
    sent_at: datetime | None
    error: str | None


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _utc_opt(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)


# ---------------------------------------------------------------------------------------------
# Events and milestones as of T
# ---------------------------------------------------------------------------------------------

# The events a digest as of $as_of may mention: they exist at $as_of (first detected by then), are
# recent (started after $horizon) or new since the last digest, and no analyst's dismissal holds for them
# at $as_of; {route} narrows them to the route's
# topics and regions ({sections}: a further condition; tests/digest/reference.py, the reference read, narrows
# them to the events that can appear in a section).
# The stored events are filtered first; the first item's link is then looked up for them only: the
# earliest item of the event that existed at $as_of (items of an event are never before its start).
_EVENTS_WHERE = """
    WHERE e.first_detected_at <= $as_of
      AND (e.started_at >= $horizon OR e.first_detected_at > $since)
      AND e.event_id NOT IN (SELECT event_id FROM dismissed_as_of($as_of)){route}{sections}
"""
# An event can appear in a digest section only through a milestone open as of $as_of and due by
# $due_until (overdue or due soon), a milestone answered after $since (its response item's time or
# first fetch), or by being first detected after $since (new). A milestone met after $as_of, or met
# by then by an item fetched after $as_of, is open as of $as_of: the last two terms keep it (a
# response's met_at is its item's item_time).
# Where each event a digest as of $as_of may mention goes, decided in SQL on every such event (the
# rules of yuqing.digest.collect.assemble): its milestones as of $as_of (met = answered by a response
# fetched by then; visible = the response's time or its first fetch, if later) give
#   overdue   an open milestone past its deadline (ordered by the earliest such deadline),
#   due_soon  else an open milestone due by $due_until (by the earliest such deadline),
#   responses else a milestone answered (visible) after $since (late answers first),
# and new = first detected after $since. Every event is counted; the details are returned for the
# first $cap of each section and for every new event not listed under overdue / due soon (the "new"
# section's order needs the route's topic order, see collect).
# Only response items fetched after $seen_after = min($since, $as_of) are looked up: an earlier
# fetch decides neither "by $as_of" nor "after $since" (the response's time alone does), and a
# response's met_at is its item's item_time, so items after $as_of cannot make a milestone met.
_PLACED_SQL = (
    """
WITH ev AS (
    SELECT e.event_id, e.title, e.topics, e.region_code, e.region_name, e.severity_proposed,
           e.started_at, e.first_detected_at, e.item_count, e.source_count
    FROM events AS e"""
    + _EVENTS_WHERE
    + """), seen AS (
    SELECT item_id, fetched_at FROM items WHERE fetched_at > $seen_after AND item_time <= $as_of
), ms AS (
    SELECT m.event_id, m.deadline_at, m.met_at,
           greatest(m.met_at, coalesce(i.fetched_at, m.met_at)) AS visible_at
    FROM milestones AS m
    LEFT JOIN seen AS i ON i.item_id = m.met_by_item_id
    WHERE m.event_id IN (SELECT event_id FROM ev)
), state AS (
    SELECT *, coalesce(visible_at <= $as_of, false) AS met FROM ms
), per_event AS (
    SELECT event_id,
           min(deadline_at) FILTER (WHERE NOT met AND deadline_at <= $as_of) AS late_deadline,
           min(deadline_at) FILTER (WHERE NOT met AND deadline_at > $as_of AND deadline_at <= $due_until)
               AS due_deadline,
           bool_and(met_at <= deadline_at) FILTER (WHERE met AND visible_at > $since) AS answered_on_time
    FROM state
    GROUP BY event_id
), override AS (
    SELECT event_id, severity FROM severity_overrides_as_of()
), placed AS (
    SELECT e.*, o.severity AS severity_override, p.late_deadline, p.due_deadline, p.answered_on_time,
           CASE WHEN p.late_deadline IS NOT NULL THEN 'overdue'
                WHEN p.due_deadline IS NOT NULL THEN 'due_soon'
                WHEN p.answered_on_time IS NOT NULL THEN 'responses'
           END AS section,
           e.first_detected_at > $since AS is_new
    FROM ev AS e
    LEFT JOIN per_event AS p ON p.event_id = e.event_id
    LEFT JOIN override AS o ON o.event_id = e.event_id
    WHERE p.late_deadline IS NOT NULL OR p.due_deadline IS NOT NULL OR p.answered_on_time IS NOT NULL
       OR e.first_detected_at > $since
), ranked AS (
    SELECT *,
           row_number() OVER (
               PARTITION BY section
               ORDER BY CASE section WHEN 'overdue' THEN late_deadline WHEN 'due_soon' THEN due_deadline END,
                        CASE WHEN section = 'responses' THEN answered_on_time END,
                        event_id
           ) AS rank
    FROM placed
), counted AS (
    SELECT count(*) FILTER (WHERE section = 'overdue') AS overdue,
           count(*) FILTER (WHERE section = 'due_soon') AS due_soon,
           count(*) FILTER (WHERE section = 'responses') AS responses,
           count(*) FILTER (WHERE is_new AND coalesce(section, '') NOT IN ('overdue', 'due_soon')) AS new,
           count(*) FILTER (WHERE is_new AND section IN ('overdue', 'due_soon')) AS new_listed_above
    FROM placed
)
SELECT r.event_id, r.title, coalesce(r.topics, []::VARCHAR[]) AS topics, r.region_code, r.region_name,
       coalesce(r.severity_override, r.severity_proposed) AS severity, r.severity_override, r.started_at,
       r.first_detected_at, r.item_count, r.source_count, r.section, r.rank <= $cap AS shown,
       c.overdue, c.due_soon, c.responses, c.new, c.new_listed_above
FROM counted AS c
LEFT JOIN ranked AS r
    ON (r.section IS NOT NULL AND r.rank <= $cap)
    OR (r.is_new AND coalesce(r.section, '') NOT IN ('overdue', 'due_soon'))
ORDER BY r.started_at, r.event_id
"""
)

# The details of the events a digest shows, as of $as_of, in one pass over their items (those
# between $earliest, at or before the events' earliest start, and $as_of): the link of each event's
# first item (its earliest item that existed at $as_of; items of an event are never before its
# start), and its milestones, with the response item's link and first fetch
# for responses by $as_of (a response's met_at is its item's item_time: a milestone met later is
# open as of $as_of, and its met_visible_at is then its met_at). One row per milestone, or one row
# with no milestone for an event without any.
_SHOWN_SQL = """
WITH chosen AS (
    SELECT DISTINCT unnest($event_ids::VARCHAR[]) AS event_id
), ms AS (
    SELECT m.event_id, m.milestone, m.rule_id, m.source_document, m.deadline_at, m.met_at,
           m.met_by_item_id, m.reported
    FROM milestones AS m
    WHERE m.event_id IN (SELECT event_id FROM chosen)
), members AS (
    SELECT ei.event_id, ei.item_id FROM event_items AS ei WHERE ei.event_id IN (SELECT event_id FROM chosen)
), it AS (
    SELECT i.item_id, i.url, i.item_time, i.fetched_at, i.issue, i.evidence
    FROM items AS i
    WHERE i.item_time >= $earliest AND i.item_time <= $as_of
      AND i.item_id IN (SELECT item_id FROM members UNION ALL SELECT met_by_item_id FROM ms)
), first_item AS (
    SELECT mb.event_id, arg_min_null(it.url, (it.item_time, it.item_id)) AS url
    FROM members AS mb
    JOIN it ON it.item_id = mb.item_id
    WHERE it.fetched_at <= $as_of
    GROUP BY mb.event_id
), decided AS (
    SELECT event_id, item_id, linked FROM link_decisions() WHERE event_id IN (SELECT event_id FROM chosen)
), lapsed AS (
    -- a dismissal a later report undid (dismissals_as_of)
    SELECT event_id, analyst, reason FROM dismissals_as_of($as_of)
    WHERE dismissed AND NOT holds AND event_id IN (SELECT event_id FROM chosen)
), opener AS (
    SELECT e.event_id, e.first_detected_at, it.issue, CAST(it.evidence -> 'issue' AS VARCHAR) AS evidence
    FROM events AS e
    JOIN it ON it.item_id = e.opening_item_id
    WHERE e.event_id IN (SELECT event_id FROM chosen)
), raised AS (
    -- reports first seen since the last digest ($since, $as_of] of an event already known then
    SELECT mb.event_id, count(*) AS raised_count, max(it.item_time) AS raised_last
    FROM members AS mb
    JOIN it ON it.item_id = mb.item_id
    JOIN opener AS o ON o.event_id = mb.event_id
    WHERE greatest(it.item_time, it.fetched_at) > $since AND it.fetched_at <= $as_of
      AND o.first_detected_at <= $since
    GROUP BY mb.event_id
)
SELECT c.event_id, f.url AS first_item_url, o.issue AS opener_issue, o.evidence AS opener_evidence,
       l.analyst AS lapsed_analyst, l.reason AS lapsed_reason, ra.raised_count, ra.raised_last,
       m.milestone, m.rule_id, m.source_document, m.deadline_at, m.met_at, m.met_by_item_id, r.url AS met_by_url,
       coalesce(m.reported, false) AS reported, coalesce(d.linked, false) AS by_analyst,
       CASE WHEN m.met_at IS NULL THEN NULL ELSE greatest(m.met_at, coalesce(r.fetched_at, m.met_at)) END
           AS met_visible_at
FROM chosen AS c
LEFT JOIN first_item AS f ON f.event_id = c.event_id
LEFT JOIN opener AS o ON o.event_id = c.event_id
LEFT JOIN lapsed AS l ON l.event_id = c.event_id
LEFT JOIN raised AS ra ON ra.event_id = c.event_id
LEFT JOIN ms AS m ON m.event_id = c.event_id
LEFT JOIN it AS r ON r.item_id = m.met_by_item_id
LEFT JOIN decided AS d ON d.event_id = m.event_id AND d.item_id = m.met_by_item_id
ORDER BY c.event_id, m.deadline_at, m.milestone
"""

# No lower bound: item times are never before this.
_NO_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)


def _route_sql(topics: Collection[str], regions: Sequence[str], params: dict[str, Any]) -> str:
    """``yuqing.digest.routes.Route.matches`` as SQL on ``e``: a wanted topic, a wanted region prefix."""
    sql = ""
    if topics:
        params["topics"] = sorted(topics)
        sql += "\n      AND list_has_any(coalesce(e.topics, []::VARCHAR[]), $topics::VARCHAR[])"
    if regions:
        names = []
        for n, prefix in enumerate(regions):
            params[f"region{n}"] = prefix
            names.append(f"starts_with(e.region_code, $region{n})")
        sql += "\n      AND e.region_code IS NOT NULL AND (" + " OR ".join(names) + ")"
    return sql


def _event_record(r: Row, *, first_item_url: str | None) -> EventRecord:
    """An EventRecord from a row of the digest's event queries."""
    return EventRecord(
        event_id=str(r.event_id),
        title=str(r.title or ""),
        topics=tuple(str(t) for t in (r.topics or ())),
        region_code=r.region_code,
        region_name=r.region_name,
        severity=str(r.severity),
        severity_override=r.severity_override,
        started_at=_utc(r.started_at),
        first_detected_at=_utc(r.first_detected_at),
        item_count=int(r.item_count or 0),
        source_count=int(r.source_count or 0),
        first_item_url=first_item_url,
    )


def _milestone_record(r: Row) -> MilestoneRecord:
    """A MilestoneRecord from a row of the digest's milestone queries."""
    return MilestoneRecord(
        event_id=str(r.event_id),
        milestone=str(r.milestone),
        rule_id=str(r.rule_id or ""),
        source_document=str(r.source_document or ""),
        deadline_at=_utc(r.deadline_at),
        met_at=_utc_opt(r.met_at),
        met_by_item_id=r.met_by_item_id,
        met_by_url=r.met_by_url,
        reported=bool(r.reported),
        by_analyst=bool(r.by_analyst),
        met_visible_at=_utc_opt(r.met_visible_at),
    )


@dataclass(frozen=True, slots=True)
class SectionCounts:
    """How many events each digest section holds before the per-section cap."""

    overdue: int
    due_soon: int
    responses: int
    new: int  # new events not listed under overdue / due soon
    new_listed_above: int  # new events listed under overdue / due soon


@dataclass(frozen=True, slots=True)
class PlacedEvents:
    """``placed_events``: the events whose details a digest may show, and the full section counts."""

    events: list[EventRecord]  # first_item_url not read (None); see first_item_urls
    # event_id -> the section it is among the first ``cap`` of: overdue | due_soon | responses;
    # None: new, not listed under overdue / due soon, and not among the first (or in no section)
    sections: dict[str, str | None]
    counts: SectionCounts


def placed_events(
    con: duckdb.DuckDBPyConnection,
    *,
    as_of: datetime,
    since: datetime,
    horizon: datetime,
    due_until: datetime,
    cap: int,
    topics: Collection[str] = (),
    regions: Sequence[str] = (),
) -> PlacedEvents:
    """The digest's sections as of ``as_of``, counted in full, with details for the top rows only.

    The events are those that exist at ``as_of`` and started after ``horizon`` or are new since ``since``, of
    the route's ``topics`` and ``regions``;
    ``events`` holds the first ``cap`` of overdue, due soon and responses (in the digest's order) and
    every new event not listed under overdue / due soon (see ``_PLACED_SQL``).
    """
    params: dict[str, Any] = {
        "as_of": as_of,
        "since": since,
        "horizon": horizon,
        "due_until": due_until,
        "seen_after": min(since, as_of),
        "cap": cap,
    }
    route = _route_sql(topics, regions, params)
    rows = named(con, _PLACED_SQL.format(route=route, sections=""), params)
    # One row per placed event, each with the counts; a single row of counts with no event when none.
    c = rows[0]
    counts = SectionCounts(
        overdue=int(c.overdue),
        due_soon=int(c.due_soon),
        responses=int(c.responses),
        new=int(c.new),
        new_listed_above=int(c.new_listed_above),
    )
    rows = [r for r in rows if r.event_id is not None]
    events = [_event_record(r, first_item_url=None) for r in rows]
    return PlacedEvents(
        events=events, sections={str(r.event_id): r.section if r.shown else None for r in rows}, counts=counts
    )


def reopened(r: Row) -> tuple[str, str] | None:
    """``EventRecord.reopened`` from a row's ``lapsed_analyst`` and ``lapsed_reason``."""
    return None if r.lapsed_analyst is None else (str(r.lapsed_analyst), str(r.lapsed_reason))


def raised(r: Row) -> tuple[int, datetime] | None:
    """``EventRecord.raised`` from a row's ``raised_count`` and ``raised_last``."""
    return None if not r.raised_count else (int(r.raised_count), _utc(r.raised_last))


def shown_details(
    con: duckdb.DuckDBPyConnection, event_ids: Sequence[str], *, as_of: datetime, earliest: datetime, since: datetime
) -> tuple[dict[str, Shown], list[MilestoneRecord]]:
    """The link of each event's first item, why it was opened, the reports since the last digest (``since``), and
    the events' milestones, as of ``as_of`` (see ``_SHOWN_SQL``; ``earliest``: at or before the events' starts)."""
    if not event_ids:
        return {}, []
    params = {"event_ids": list(event_ids), "as_of": as_of, "earliest": earliest, "since": since}
    rows = named(con, _SHOWN_SQL, params)
    shown = {
        str(r.event_id): Shown(r.first_item_url, opened_by(r.opener_issue, r.opener_evidence), reopened(r), raised(r))
        for r in rows
    }
    milestones = [_milestone_record(r) for r in rows if r.milestone is not None]
    return shown, milestones


# The trend counts the items that existed at $as_of (items_as_of), per Asia/Shanghai day, topic and
# region, so a route's trend covers its own topics and regions and a replay sees what T saw.
# (v_topic_daily counts every stored item; it is the analysts' view of the same numbers.)
# $lo / $hi are the UTC bounds of the days $first .. $last, so older items are skipped unread.
_TOPIC_DAILY_SQL = """
SELECT (i.item_time AT TIME ZONE 'Asia/Shanghai')::DATE AS day, t.topic, i.region_code, count(*) AS items
FROM items_as_of($as_of) AS i
JOIN item_topics AS t USING (item_id)
WHERE i.item_time >= $lo AND i.item_time < $hi
  AND (i.item_time AT TIME ZONE 'Asia/Shanghai')::DATE BETWEEN $first AND $last
GROUP BY ALL
"""


@dataclass(frozen=True, slots=True)
class TopicDayCount:
    day: date  # Asia/Shanghai
    topic: str
    region_code: str | None
    items: int


def topic_daily_params(*, as_of: datetime, first: date, last: date) -> dict[str, Any]:
    """The parameters of ``_TOPIC_DAILY_SQL``."""
    lo = datetime.combine(first, time(), tzinfo=SHANGHAI).astimezone(UTC)
    hi = datetime.combine(last + timedelta(days=1), time(), tzinfo=SHANGHAI).astimezone(UTC)
    return {"as_of": as_of, "first": first, "last": last, "lo": lo, "hi": hi}


def topic_daily(
    con: duckdb.DuckDBPyConnection, *, as_of: datetime, first: date, last: date
) -> list[TopicDayCount]:
    """Items per (Asia/Shanghai day, topic, region) between ``first`` and ``last``, as of ``as_of``."""
    rows = con.execute(_TOPIC_DAILY_SQL, topic_daily_params(as_of=as_of, first=first, last=last)).fetchall()
    return [TopicDayCount(day=r[0], topic=str(r[1]), region_code=r[2], items=int(r[3])) for r in rows]


# ---------------------------------------------------------------------------------------------
# The ledger
# ---------------------------------------------------------------------------------------------

_LEDGER_COLUMNS = (
    "digest_date, route, state, attempts, message_id, content_hash, recipients_count, subject, "
    "as_of, created_at, sent_at, error"
)


def _ledger_row(r: tuple[Any, ...]) -> LedgerRow:
    return LedgerRow(
        digest_date=r[0],
        route=str(r[1]),
        state=str(r[2]),
        attempts=int(r[3]),
        message_id=r[4],
        content_hash=r[5],
        recipients_count=int(r[6]),
        subject=r[7],
        as_of=_utc(r[8]),
        created_at=_utc(r[9]),
        sent_at=_utc_opt(r[10]),
        error=r[11],
    )


def get_digest(con: duckdb.DuckDBPyConnection, digest_date: date, route: str) -> LedgerRow | None:
    row = con.execute(
        f"SELECT {_LEDGER_COLUMNS} FROM digests WHERE digest_date = ? AND route = ?", [digest_date, route]
    ).fetchone()
    return None if row is None else _ledger_row(row)


def ledger(con: duckdb.DuckDBPyConnection) -> Iterator[LedgerRow]:
    for r in con.execute(f"SELECT {_LEDGER_COLUMNS} FROM digests ORDER BY digest_date, route").fetchall():
        yield _ledger_row(r)


def last_sent_as_of(con: duckdb.DuckDBPyConnection, route: str, before: date) -> datetime | None:
    """The as_of of the route's last digest sent on a day before ``before``: the next one's "since"."""
    row = con.execute(
        "SELECT max(as_of) FROM digests WHERE route = ? AND state = 'sent' AND digest_date < ?",
        [route, before],
    ).fetchone()
    return None if row is None or row[0] is None else _utc(row[0])


def claim(
    con: duckdb.DuckDBPyConnection,
    *,
    digest_date: date,
    route: str,
    message_id: str,
    content_hash: str,
    recipients_count: int,
    subject: str,
    as_of: datetime,
    now: datetime,
) -> None:
    """Write (or overwrite) the day's row in state ``sending``. Call inside a committed transaction."""
    con.execute(
        """
        INSERT INTO digests (digest_date, route, state, attempts, message_id, content_hash,
                             recipients_count, subject, as_of, created_at, sent_at, error)
        VALUES ($digest_date, $route, 'sending', 0, $message_id, $content_hash,
                $recipients_count, $subject, $as_of, $now, NULL, NULL)
        ON CONFLICT (digest_date, route) DO UPDATE SET
            state = 'sending', message_id = excluded.message_id, content_hash = excluded.content_hash,
            recipients_count = excluded.recipients_count, subject = excluded.subject,
            as_of = excluded.as_of, sent_at = NULL, error = NULL
        """,
        {
            "digest_date": digest_date,
            "route": route,
            "message_id": message_id,
            "content_hash": content_hash,
            "recipients_count": recipients_count,
            "subject": subject,
            "as_of": as_of,
            "now": now,
        },
    )


def record_attempt(
    con: duckdb.DuckDBPyConnection, digest_date: date, route: str, *, error: str | None
) -> None:
    """Count one SMTP attempt (still ``sending``) and keep its error, if any."""
    con.execute(
        "UPDATE digests SET attempts = attempts + 1, error = ? WHERE digest_date = ? AND route = ?",
        [error, digest_date, route],
    )


def mark_sent(
    con: duckdb.DuckDBPyConnection,
    digest_date: date,
    route: str,
    *,
    sent_at: datetime,
    error: str | None = None,
) -> None:
    con.execute(
        "UPDATE digests SET state = 'sent', sent_at = ?, error = ? WHERE digest_date = ? AND route = ?",
        [sent_at, error, digest_date, route],
    )


def mark_failed(con: duckdb.DuckDBPyConnection, digest_date: date, route: str, *, error: str) -> None:
    con.execute(
        "UPDATE digests SET state = 'failed', error = ? WHERE digest_date = ? AND route = ?",
        [error, digest_date, route],
    )


def note_in_doubt(con: duckdb.DuckDBPyConnection, digest_date: date, route: str, *, error: str) -> None:
    """The server may have accepted the message: the row stays ``sending`` so no run re-sends it blindly."""
    con.execute(
        "UPDATE digests SET error = ? WHERE digest_date = ? AND route = ?", [error, digest_date, route]
    )
