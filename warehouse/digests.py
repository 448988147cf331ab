"""Every SQL statement of the digest: what it reads from the event views and the ``digests`` ledger.

Reads go through the analyst views (``v_events``, ``v_milestones``, ``v_topic_daily``) and decide
"as of T" themselves from ``deadline_at`` / ``met_at`` against T, so a digest can be rebuilt exactly for
any past T (ARCHITECTURE "Time"): an event first detected after T does not exist for it, a milestone
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

from yuqing.timeutil import SHANGHAI


class WarehouseLike(Protocol):
    """What the digest needs of ``warehouse.db.Warehouse``: a connection and a transaction scope."""

    @property
    def con(self) -> duckdb.DuckDBPyConnection: ...

    def transaction(self) -> AbstractContextManager[Any]: ...


@dataclass(frozen=True, slots=True)
class EventRecord:
    event_id: str
    title: str
    topics: tuple[str, ...]
    region_code: str | None
    region_name: str | None
    severity: str
    severity_override: str | None
    started_at: datetime
    first_detected_at: datetime
    item_count: int
    source_count: int
    first_item_url: str | None


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

# The events a digest as of $as_of may mention: they exist at $as_of (first detected by then) and are
# recent (started after $horizon) or new since the last digest; {route} narrows them to the route's
# topics and regions and {sections} to those that can appear in a section (see events_as_of).
# The stored events are filtered first; the first item's link is then looked up for them only: the
# earliest item of the event that existed at $as_of (items of an event are never before its start).
_EVENTS_WHERE = """
    WHERE e.first_detected_at <= $as_of
      AND (e.started_at >= $horizon OR e.first_detected_at > $since){route}{sections}
"""
_EARLIEST_SQL = "SELECT min(e.started_at) FROM events AS e" + _EVENTS_WHERE
_EVENTS_SQL = (
    """
WITH ev AS (
    SELECT e.event_id, e.title, e.topics, e.region_code, e.region_name, e.severity_proposed,
           e.started_at, e.first_detected_at, e.item_count, e.source_count
    FROM events AS e"""
    + _EVENTS_WHERE
    + """), first_item AS (
    SELECT ei.event_id, arg_min_null(i.url, (i.item_time, i.item_id)) AS url
    FROM event_items AS ei
    JOIN items AS i ON i.item_id = ei.item_id
    SEMI JOIN ev ON ev.event_id = ei.event_id
    WHERE i.item_time <= $as_of AND i.fetched_at <= $as_of
      AND i.item_time >= $earliest
    GROUP BY ei.event_id
), override AS (
    SELECT event_id, severity FROM severity_overrides
    QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY "at" DESC) = 1
)
SELECT
    e.event_id, e.title, coalesce(e.topics, []::VARCHAR[]) AS topics, e.region_code, e.region_name,
    coalesce(o.severity, e.severity_proposed) AS severity, o.severity AS severity_override,
    e.started_at, e.first_detected_at, e.item_count, e.source_count, f.url
FROM ev AS e
LEFT JOIN override AS o ON o.event_id = e.event_id
LEFT JOIN first_item AS f ON f.event_id = e.event_id
ORDER BY e.started_at, e.event_id
"""
)

# An event can appear in a digest section only through a milestone open as of $as_of and due by
# $due_until (overdue or due soon), a milestone answered after $since (its response item's time or
# first fetch), or by being first detected after $since (new). A milestone met after $as_of, or met
# by then by an item fetched after $as_of, is open as of $as_of: the last two terms keep it (a
# response's met_at is its item's item_time).
_SECTIONS_SQL = """
      AND (e.first_detected_at > $since OR e.event_id IN (
          SELECT m.event_id FROM milestones AS m
          WHERE (m.met_at IS NULL AND m.deadline_at <= $due_until)
             OR m.met_at > $since
             OR m.met_by_item_id IN (SELECT item_id FROM items WHERE fetched_at > $since AND item_time <= $as_of)
      ))"""

# A response is known to a run as of T only once its item was fetched: met_visible_at is when that
# happened (the response item's time, or its first fetch if later). A response item is never before
# its event's start, so items before $earliest (the earliest start asked for) are skipped.
_MILESTONES_SQL = """
SELECT m.event_id, m.milestone, m.rule_id, m.source_document, m.deadline_at, m.met_at, m.met_by_item_id,
       i.url, coalesce(m.reported, false),
       CASE WHEN m.met_at IS NULL THEN NULL ELSE greatest(m.met_at, coalesce(i.fetched_at, m.met_at)) END
FROM v_milestones AS m
LEFT JOIN items AS i ON i.item_id = m.met_by_item_id AND i.item_time >= $earliest
WHERE m.event_id IN (SELECT unnest($event_ids::VARCHAR[]))
ORDER BY m.event_id, m.deadline_at, m.milestone
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


def events_as_of(
    con: duckdb.DuckDBPyConnection,
    *,
    as_of: datetime,
    since: datetime,
    horizon: datetime,
    topics: Collection[str] = (),
    regions: Sequence[str] = (),
    due_until: datetime | None = None,
) -> list[EventRecord]:
    """Events a digest as of ``as_of`` may mention (see ``_EVENTS_SQL``).

    ``topics`` / ``regions`` (empty: any) keep the events with one of the topics and a region code
    under one of the prefixes. With ``due_until`` only events that can appear in a section are read:
    new since ``since``, or with a milestone open and due by ``due_until`` or answered after ``since``.
    """
    params: dict[str, Any] = {"as_of": as_of, "since": since, "horizon": horizon}
    route = _route_sql(topics, regions, params)
    sections = ""
    if due_until is not None:
        params["due_until"] = due_until
        sections = _SECTIONS_SQL
    found = con.execute(_EARLIEST_SQL.format(route=route, sections=sections), params).fetchall()
    if not found or found[0][0] is None:
        return []
    params["earliest"] = found[0][0]
    rows = con.execute(_EVENTS_SQL.format(route=route, sections=sections), params).fetchall()
    return [
        EventRecord(
            event_id=str(r[0]),
            title=str(r[1] or ""),
            topics=tuple(str(t) for t in (r[2] or ())),
            region_code=r[3],
            region_name=r[4],
            severity=str(r[5]),
            severity_override=r[6],
            started_at=_utc(r[7]),
            first_detected_at=_utc(r[8]),
            item_count=int(r[9] or 0),
            source_count=int(r[10] or 0),
            first_item_url=r[11],
        )
        for r in rows
    ]


def milestones_of(
    con: duckdb.DuckDBPyConnection, event_ids: Sequence[str], *, earliest: datetime | None = None
) -> list[MilestoneRecord]:
    """The milestones of the events; ``earliest``: at or before the earliest start of those events."""
    if not event_ids:
        return []
    params = {"event_ids": list(event_ids), "earliest": _NO_EARLIEST if earliest is None else earliest}
    rows = con.execute(_MILESTONES_SQL, params).fetchall()
    return [
        MilestoneRecord(
            event_id=str(r[0]),
            milestone=str(r[1]),
            rule_id=str(r[2] or ""),
            source_document=str(r[3] or ""),
            deadline_at=_utc(r[4]),
            met_at=_utc_opt(r[5]),
            met_by_item_id=r[6],
            met_by_url=r[7],
            reported=bool(r[8]),
            met_visible_at=_utc_opt(r[9]),
        )
        for r in rows
    ]


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
