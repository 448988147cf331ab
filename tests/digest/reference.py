"""The digest's reference read: every event that can appear in a section, with all its milestones.

``collect_full`` reads every event a digest as of T may mention and leaves every decision to ``assemble``;
the product's ``collect`` places and counts the sections in SQL and reads only the events a section shows
(``warehouse/digests.py``, ``_PLACED_SQL``). Both must give the same digest: ``test_digest_collect_same.py``
checks ``collect`` against this oracle, and ``bench/bench_warehouse.py`` times the two side by side.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import duckdb

from warehouse import digests as sql
from warehouse.digests import (
    _EVENTS_WHERE,
    _NO_EARLIEST,
    EventRecord,
    MilestoneRecord,
    _event_record,
    _milestone_record,
    _route_sql,
    raised,
    reopened,
)
from warehouse.rows import named, opened_by
from yuqing.digest.collect import _daily, _since, assemble
from yuqing.digest.model import DigestData
from yuqing.digest.routes import Route
from yuqing.timeutil import to_utc

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
), lapsed AS (
    SELECT event_id, arg_max(analyst, ("at", recorded_at)) AS analyst, arg_max(reason, ("at", recorded_at)) AS reason,
           arg_max(dismissed, ("at", recorded_at)) AS dismissed
    FROM event_dismissals WHERE "at" <= $as_of GROUP BY event_id
), raised AS (
    SELECT ei.event_id, count(*) AS raised_count, max(i.item_time) AS raised_last
    FROM event_items AS ei
    JOIN items AS i ON i.item_id = ei.item_id
    JOIN ev ON ev.event_id = ei.event_id
    WHERE ev.first_detected_at <= $since AND i.item_time <= $as_of AND i.fetched_at <= $as_of
      AND (i.item_time > $since OR i.fetched_at > $since)
    GROUP BY ei.event_id
)
SELECT
    e.event_id, e.title, coalesce(e.topics, []::VARCHAR[]) AS topics, e.region_code, e.region_name,
    coalesce(o.severity, e.severity_proposed) AS severity, o.severity AS severity_override,
    e.started_at, e.first_detected_at, e.item_count, e.source_count, f.url AS first_item_url,
    op.issue AS opener_issue, CAST(op.evidence -> 'issue' AS VARCHAR) AS opener_evidence,
    CASE WHEN l.dismissed THEN l.analyst END AS lapsed_analyst, l.reason AS lapsed_reason,
    ra.raised_count, ra.raised_last
FROM ev AS e
JOIN events AS ev_row ON ev_row.event_id = e.event_id
LEFT JOIN items AS op ON op.item_id = ev_row.opening_item_id
LEFT JOIN override AS o ON o.event_id = e.event_id
LEFT JOIN first_item AS f ON f.event_id = e.event_id
LEFT JOIN lapsed AS l ON l.event_id = e.event_id
LEFT JOIN raised AS ra ON ra.event_id = e.event_id
ORDER BY e.started_at, e.event_id
"""
)

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
       i.url AS met_by_url, coalesce(m.reported, false) AS reported,
       coalesce((SELECT arg_max(d.linked, d.recorded_at) FROM response_decisions AS d
                 WHERE d.event_id = m.event_id AND d.item_id = m.met_by_item_id), false) AS by_analyst,
       CASE WHEN m.met_at IS NULL THEN NULL ELSE greatest(m.met_at, coalesce(i.fetched_at, m.met_at)) END
           AS met_visible_at
FROM v_milestones AS m
LEFT JOIN items AS i ON i.item_id = m.met_by_item_id AND i.item_time >= $earliest
WHERE m.event_id IN (SELECT unnest($event_ids::VARCHAR[]))
ORDER BY m.event_id, m.deadline_at, m.milestone
"""


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
    rows = named(con, _EVENTS_SQL.format(route=route, sections=sections), params)
    return [
        replace(
            _event_record(r, first_item_url=r.first_item_url),
            opened_by=opened_by(r.opener_issue, r.opener_evidence),
            reopened=reopened(r),
            raised=raised(r),
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
    return [_milestone_record(r) for r in named(con, _MILESTONES_SQL, params)]


def collect_full(
    wh: sql.WarehouseLike, as_of: datetime, route: Route, since: datetime | None = None
) -> DigestData:
    """``collect`` by reading every event that can appear in a section with all its milestones."""
    as_of = to_utc(as_of)
    since = _since(wh, as_of, route, since)
    horizon = as_of - timedelta(days=route.lookback_days)
    # Only the route's events that can appear in a section are read (assemble decides which do).
    events = events_as_of(
        wh.con,
        as_of=as_of,
        since=since,
        horizon=horizon,
        topics=() if route.all else route.topics,
        regions=() if route.all else route.regions,
        due_until=as_of + timedelta(hours=route.due_within_hours),
    )
    events = [e for e in events if route.matches(e.topics, e.region_code)]
    earliest = min((e.started_at for e in events), default=None)
    milestones = milestones_of(wh.con, [e.event_id for e in events], earliest=earliest)
    return assemble(
        route=route, as_of=as_of, since=since, events=events, milestones=milestones, daily=_daily(wh, as_of)
    )
