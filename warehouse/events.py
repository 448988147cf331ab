"""Every SQL statement of event tracking (yuqing.track): reads of items as of a time, the
incremental grouping state, and writes of events, responses and milestones.

Functions take the DuckDB connection of an open Warehouse (``wh.con``, inside ``wh.transaction()``
for writes) and speak in the trackers' dataclasses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import duckdb
import numpy as np
import pyarrow as pa

from warehouse.db import attributes, registered
from warehouse.rows import Row, into, named
from yuqing.track.model import Authored, Event, EventProfile, Milestone, Response, TrackItem
from yuqing.vocab import ReleaseRelay

_ITEM_COLUMNS = """
    i.item_id, i.source, i.url, i.title, i.summary, i.item_time, i.fetched_at,
    coalesce(t.topics, []::VARCHAR[]) AS topics, i.region_code, i.region_name, i.severity,
    coalesce(s.official, false) AS source_official, i.official_response, i.reported_response,
    i.response_kinds, coalesce(t.terms, []::VARCHAR[]) AS terms, s.region AS source_region,
    coalesce(i.issue, false) AS issue, coalesce(i.author, '') AS author,
    coalesce(list_has_any(from_json(i.evidence->'response', '["VARCHAR"]'), {relays}), false) AS relays_release
""".format(relays="[" + ", ".join("'" + r.value.replace("'", "''") + "'" for r in ReleaseRelay) + "]")
_ITEM_FROM = """
    FROM items AS i
    LEFT JOIN sources AS s ON s.name = i.source
    LEFT JOIN (
        SELECT item_id, list(topic ORDER BY topic) AS topics, flatten(list(terms)) AS terms
        FROM item_topics GROUP BY item_id
    ) AS t ON t.item_id = i.item_id
"""
_VISIBLE = "i.item_time <= $as_of AND i.fetched_at <= $as_of"


def _item(row: Row) -> TrackItem:
    return into(
        TrackItem,
        row,
        topics=tuple(row.topics),
        source_official=bool(row.source_official),
        official_response=bool(row.official_response),
        reported_response=bool(row.reported_response),
        response_kinds=tuple(row.response_kinds or ()),
        topic_terms=tuple(row.terms or ()),
        source_region=row.source_region,
        issue=bool(row.issue),
        relays_release=bool(row.relays_release),
    )


def new_items(con: duckdb.DuckDBPyConnection, as_of: datetime) -> list[TrackItem]:
    """Items visible as of ``as_of`` that no track run has looked at yet."""
    rows = named(
        con,
        f"SELECT {_ITEM_COLUMNS} {_ITEM_FROM} WHERE {_VISIBLE} "
        "AND NOT EXISTS (SELECT 1 FROM track_items AS ti WHERE ti.item_id = i.item_id) "
        "ORDER BY i.item_time, i.item_id",
        {"as_of": as_of},
    )
    return [_item(r) for r in rows]


def ids_table(ids: Iterable[str]) -> pa.Table:
    """A one-column table ``id`` of the distinct ``ids``, to join a query against."""
    return pa.table({"id": pa.array(sorted(set(ids)), pa.string())})


def forget_roles(con: duckdb.DuckDBPyConnection, role: str) -> None:
    """Let the next read of new items see again the tracked items of ``role`` (a backfill of history)."""
    con.execute("DELETE FROM track_items WHERE role = ?", [role])


def items_by_id(con: duckdb.DuckDBPyConnection, ids: Iterable[str], as_of: datetime) -> list[TrackItem]:
    with registered(con, wanted_ids=ids_table(ids)):
        rows = named(
            con,
            f"SELECT {_ITEM_COLUMNS} {_ITEM_FROM} JOIN wanted_ids AS w ON w.id = i.item_id "
            f"WHERE {_VISIBLE} ORDER BY i.item_time, i.item_id",
            {"as_of": as_of},
        )
    return [_item(r) for r in rows]


def response_items(con: duckdb.DuckDBPyConnection, as_of: datetime, since: datetime) -> list[TrackItem]:
    """Response items (official or reported) visible as of ``as_of`` published since ``since``."""
    rows = named(
        con,
        f"SELECT {_ITEM_COLUMNS} {_ITEM_FROM} WHERE {_VISIBLE} AND i.item_time >= $since "
        "AND (i.official_response OR i.reported_response) ORDER BY i.item_time, i.item_id",
        {"as_of": as_of, "since": since},
    )
    return [_item(r) for r in rows]


def band_candidates(
    con: duckdb.DuckDBPyConnection,
    item_times: Sequence[datetime],
    keys: np.ndarray,
    window_hours: float,
    per_item: int = 64,
    *,
    long_from: int | None = None,
    long_hours: float = 0.0,
) -> list[str]:
    """Stored items sharing an LSH bucket with a new item and within the grouping window of it; in the buckets from
    band ``long_from`` on, within ``long_hours`` (an estate's reports, for a matter raised again). Per new item, the
    ``per_item`` nearest in time of each: an estate's report weeks back is not crowded out by a busy week's."""
    if keys.size == 0:
        return []
    n, bands = keys.shape
    epoch = np.array([int(t.timestamp()) for t in item_times], dtype=np.int64)
    table = pa.table(
        {
            "row": pa.array(np.repeat(np.arange(n, dtype=np.int64), bands)),
            "band": pa.array(np.tile(np.arange(bands, dtype=np.int16), n)),
            "band_key": pa.array(keys.reshape(-1).astype(np.int64)),
            "t": pa.array(np.repeat(epoch, bands)),
        }
    )
    with registered(con, new_bands=table):
        rows = con.execute(
            """
            SELECT DISTINCT item_id FROM (
                SELECT b.item_id,
                       row_number() OVER (
                           PARTITION BY n.row, n.band >= $long_from ORDER BY abs(epoch(b.item_time) - n.t), b.item_id
                       ) AS k
                FROM new_bands AS n
                JOIN track_bands AS b ON b.band = n.band AND b.band_key = n.band_key
                WHERE n.band_key <> 0
                  AND abs(epoch(b.item_time) - n.t) <= CASE WHEN n.band >= $long_from THEN $long ELSE $window END
            ) WHERE k <= $per_item
            """,
            {
                "window": window_hours * 3600,
                "long_from": bands if long_from is None else long_from,
                "long": max(long_hours, window_hours) * 3600,
                "per_item": per_item,
            },
        ).fetchall()
    return [r[0] for r in rows]


def _event_items(con: duckdb.DuckDBPyConnection, column: str, ids: Iterable[str]) -> dict[str, str]:
    """item_id -> event_id for the event_items rows whose ``column`` (item_id or event_id) is in ids."""
    with registered(con, wanted_ids=ids_table(ids)):
        rows = con.execute(
            f"SELECT item_id, event_id FROM event_items JOIN wanted_ids ON id = {column}"
        ).fetchall()
    return {r[0]: r[1] for r in rows}


def memberships(con: duckdb.DuckDBPyConnection, item_ids: Iterable[str]) -> dict[str, str]:
    """item_id -> event_id for the given items that belong to an event."""
    return _event_items(con, "item_id", item_ids)


def members_of(con: duckdb.DuckDBPyConnection, event_ids: Iterable[str]) -> dict[str, str]:
    """item_id -> event_id for every member of the given events."""
    return _event_items(con, "event_id", event_ids)


def write_grouping(
    con: duckdb.DuckDBPyConnection,
    events: Sequence[Event],
    retired: dict[str, str],
    as_of: datetime,
) -> None:
    """Replace the touched events and their memberships; retire merged events (aliases kept)."""
    gone = set(retired) | {e.event_id for e in events}
    if gone:
        with registered(con, gone_ids=ids_table(gone)):
            con.execute("DELETE FROM event_items WHERE event_id IN (SELECT id FROM gone_ids)")
            con.execute("DELETE FROM events WHERE event_id IN (SELECT id FROM gone_ids)")
    for old, new in sorted(retired.items()):
        con.execute("INSERT OR REPLACE INTO event_aliases VALUES (?, ?, ?)", [old, new, as_of])
        # an analyst's override, dismissal and response decisions follow the event it merged into (a dismissal
        # covers only the members it was made on: the merged event's other reports that are issues reopen it)
        con.execute("UPDATE severity_overrides SET event_id = ? WHERE event_id = ?", [new, old])
        con.execute("UPDATE event_dismissals SET event_id = ? WHERE event_id = ?", [new, old])
        con.execute("UPDATE response_decisions SET event_id = ? WHERE event_id = ?", [new, old])
        # its links go with it: a run links the window's responses again and keeps the older ones (run.link_events)
        con.execute(
            "INSERT OR IGNORE INTO responses SELECT ?, item_id, responded_at, score, evidence, reported, "
            "milestone_kinds FROM responses WHERE event_id = ?",
            [new, old],
        )
        con.execute("DELETE FROM responses WHERE event_id = ?", [old])
        con.execute("DELETE FROM milestones WHERE event_id = ?", [old])
    if not events:
        return
    new_events = pa.table(
        {
            **attributes(
                events,
                "event_id",
                "opening_item_id",
                "title",
                "region_code",
                "region_name",
                "severity_proposed",
                "item_count",
                "source_count",
                "items_6h",
                "items_24h",
                "heat",
                "clock_basis",
                "severity_basis",
            ),
            "topics": [list(e.topics) for e in events],
            "started_at": pa.array([e.started_at for e in events], pa.timestamp("us", tz="UTC")),
            "first_detected_at": pa.array(
                [e.first_detected_at for e in events], pa.timestamp("us", tz="UTC")
            ),
            "last_item_at": pa.array([e.last_item_at for e in events], pa.timestamp("us", tz="UTC")),
            "kinds": pa.array([e.profile.kinds for e in events], pa.int64()),
            "place_codes": pa.array([list(e.profile.place_codes) for e in events], pa.list_(pa.int64())),
            "place_levels": pa.array([list(e.profile.place_levels) for e in events], pa.list_(pa.int32())),
            "term_codes": pa.array([e.profile.term_codes.tolist() for e in events], pa.list_(pa.int64())),
            "term_weights": pa.array(
                [e.profile.term_weights.tolist() for e in events], pa.list_(pa.float32())
            ),
            "key_terms": pa.array([list(e.profile.key_terms) for e in events], pa.list_(pa.int64())),
        }
    )
    members = [(iid, e.event_id) for e in events for iid in e.item_ids]
    new_members = pa.table({"item_id": [m[0] for m in members], "event_id": [m[1] for m in members]})
    with registered(con, new_events=new_events, new_members=new_members):
        con.execute(
            f"INSERT INTO events ({_EVENT_COLUMNS}, updated_at) SELECT {_EVENT_COLUMNS}, $as_of FROM new_events",
            {"as_of": as_of},
        )
        con.execute("DELETE FROM event_items WHERE item_id IN (SELECT item_id FROM new_members)")
        con.execute("INSERT INTO event_items SELECT item_id, event_id FROM new_members")


_EVENT_COLUMNS = (
    "event_id, opening_item_id, title, topics, region_code, region_name, severity_proposed, started_at, "
    "first_detected_at, last_item_at, item_count, source_count, items_6h, items_24h, heat, clock_basis, "
    "severity_basis, kinds, place_codes, place_levels, term_codes, term_weights, key_terms"
)


def write_bands(con: duckdb.DuckDBPyConnection, items: Sequence[TrackItem], keys: np.ndarray) -> None:
    if not items:
        return
    n, bands = keys.shape
    table = pa.table(
        {
            "item_id": pa.array(
                np.repeat(np.array([it.item_id for it in items], dtype=object), bands), pa.string()
            ),
            "band": pa.array(np.tile(np.arange(bands, dtype=np.int16), n)),
            "band_key": pa.array(keys.reshape(-1).astype(np.int64)),
            "item_time": pa.array(
                np.repeat(np.array([it.item_time for it in items], dtype=object), bands),
                pa.timestamp("us", tz="UTC"),
            ),
        }
    )
    with registered(con, new_bands=table):
        con.execute(
            "INSERT OR REPLACE INTO track_bands SELECT item_id, band, band_key, item_time FROM new_bands "
            "WHERE band_key <> 0"
        )


def write_tracked(
    con: duckdb.DuckDBPyConnection,
    roles: dict[str, str],
    as_of: datetime,
    stated: dict[str, tuple[datetime, str]] | None = None,
) -> None:
    """Record what each item was to the tracker and, for members, the incident time it states."""
    if not roles:
        return
    stated = stated or {}
    ids = sorted(roles)
    tracked = pa.table(
        {
            "item_id": ids,
            "role": [roles[i] for i in ids],
            "incident_at": pa.array(
                [stated[i][0] if i in stated else None for i in ids], pa.timestamp("us", tz="UTC")
            ),
            "incident_wording": pa.array([stated[i][1] if i in stated else None for i in ids], pa.string()),
        }
    )
    with registered(con, tracked=tracked):
        con.execute(
            "INSERT OR IGNORE INTO track_items (item_id, role, tracked_at, incident_at, incident_wording) "
            "SELECT item_id, role, $as_of, incident_at, incident_wording FROM tracked",
            {"as_of": as_of},
        )


def events_since(
    con: duckdb.DuckDBPyConnection, since: datetime, extra_ids: Iterable[str] = ()
) -> list[Event]:
    """Stored events started since ``since`` (or listed), with the analyst's override applied."""
    with registered(con, wanted_ids=ids_table(extra_ids)):
        rows = named(
            con,
            """
            SELECT e.event_id, e.opening_item_id, e.title, e.topics, e.region_code, e.region_name,
                   e.severity_proposed, e.started_at, e.first_detected_at, e.last_item_at, e.item_count,
                   e.source_count, e.items_6h, e.items_24h, o.severity AS severity_override, e.clock_basis,
                   e.severity_basis,
                   e.kinds, e.place_codes, e.place_levels, e.term_codes, e.term_weights, e.key_terms
            FROM events AS e
            LEFT JOIN severity_overrides_as_of() AS o USING (event_id)
            WHERE e.started_at >= $since OR e.event_id IN (SELECT id FROM wanted_ids)
            ORDER BY e.started_at, e.event_id
            """,
            {"since": since},
        )
    return [
        into(
            Event,
            r,
            topics=tuple(r.topics),
            item_ids=(),
            clock_basis=r.clock_basis or "earliest report",
            severity_basis=r.severity_basis or "",
            profile=EventProfile(
                int(r.kinds or 0),
                tuple(r.place_codes or ()),
                tuple(r.place_levels or ()),
                np.array(r.term_codes or (), dtype=np.int64),
                np.array(r.term_weights or (), dtype=np.float32),
                tuple(r.key_terms or ()),
            ),
        )
        for r in rows
    ]


def authored(
    con: duckdb.DuckDBPyConnection, handles: Iterable[str], as_of: datetime, since: datetime
) -> dict[str, list[Authored]]:
    """What each author of ``handles`` (``lower(trim(items.author))``) wrote that is visible as of ``as_of`` and
    published since ``since``, other than responses: when, and the event it is a member of."""
    with registered(con, wanted_ids=ids_table(handles)):
        rows = con.execute(
            "SELECT lower(trim(i.author)) AS handle, epoch(i.item_time), ei.event_id FROM items AS i "
            "LEFT JOIN event_items AS ei USING (item_id) "
            f"WHERE lower(trim(i.author)) IN (SELECT id FROM wanted_ids) AND {_VISIBLE} AND i.item_time >= $since "
            "AND NOT i.official_response AND NOT i.reported_response ORDER BY 1, 2, 3",
            {"as_of": as_of, "since": since},
        ).fetchall()
    out: dict[str, list[Authored]] = {}
    for name, at, event_id in rows:
        out.setdefault(name, []).append(Authored(float(at), event_id))
    return out


def stored_responses(con: duckdb.DuckDBPyConnection, event_ids: Iterable[str]) -> list[Response]:
    with registered(con, wanted_ids=ids_table(event_ids)):
        rows = named(
            con,
            """
            SELECT r.event_id, r.item_id, r.responded_at, greatest(i.item_time, i.fetched_at) AS visible_at,
                   r.score, r.evidence, r.reported, r.milestone_kinds
            FROM responses AS r JOIN items AS i USING (item_id)
            WHERE r.event_id IN (SELECT id FROM wanted_ids)
            """,
        )
    return [
        into(
            Response,
            r,
            matched_terms=tuple(evidence.get("matched_terms", [])),
            kinds=tuple(r.milestone_kinds),
            rule=evidence.get("rule", ""),
        )
        for r in rows
        for evidence in (json.loads(r.evidence),)
    ]


def first_answers(con: duckdb.DuckDBPyConnection, event_ids: Iterable[str]) -> dict[str, datetime]:
    """event id -> when its first linked response came, for the events with one."""
    with registered(con, wanted_ids=ids_table(event_ids)):
        rows = con.execute(
            "SELECT event_id, min(responded_at) FROM responses WHERE event_id IN (SELECT id FROM wanted_ids) "
            "GROUP BY event_id"
        ).fetchall()
    return {str(e): at for e, at in rows}


def replace_responses(
    con: duckdb.DuckDBPyConnection, event_ids: Iterable[str], links: Sequence[Response]
) -> None:
    with registered(con, wanted_ids=ids_table(event_ids)):
        con.execute("DELETE FROM responses WHERE event_id IN (SELECT id FROM wanted_ids)")
    if not links:
        return
    new_links = pa.table(
        {
            **attributes(links, "event_id", "item_id", "score", "reported"),
            "responded_at": pa.array([r.responded_at for r in links], pa.timestamp("us", tz="UTC")),
            "evidence": [
                json.dumps({"matched_terms": list(r.matched_terms), "rule": r.rule}, ensure_ascii=False)
                for r in links
            ],
            "kinds": [list(r.kinds) for r in links],
        }
    )
    with registered(con, new_links=new_links):
        con.execute(
            "INSERT OR REPLACE INTO responses SELECT event_id, item_id, responded_at, score, "
            "evidence::JSON, reported, kinds FROM new_links"
        )


def replace_milestones(
    con: duckdb.DuckDBPyConnection,
    event_ids: Iterable[str],
    rows: Sequence[Milestone],
    satisfied_by: dict[str, list[str]],
    as_of: datetime,
) -> None:
    with registered(con, wanted_ids=ids_table(event_ids)):
        con.execute("DELETE FROM milestones WHERE event_id IN (SELECT id FROM wanted_ids)")
    if not rows:
        return
    ts = pa.timestamp("us", tz="UTC")
    new_ms = pa.table(
        {
            **attributes(
                rows, "event_id", "milestone", "rule_id", "rule_version", "source_document", "clock", "status"
            ),
            "satisfied_by": [satisfied_by.get(m.rule_id, ["*"]) for m in rows],
            "deadline_hours": [m.deadline_hours for m in rows],
            "started_at": pa.array([m.started_at for m in rows], ts),
            "deadline_at": pa.array([m.deadline_at for m in rows], ts),
            "met_at": pa.array([m.met_at for m in rows], ts),
            "met_by_item_id": pa.array([m.met_by_item_id for m in rows], pa.string()),
            "reported": pa.array([m.reported for m in rows], pa.bool_()),
            "evidence": [
                json.dumps(
                    {
                        "response_item_ids": list(m.evidence_item_ids),
                        "matched_terms": list(m.matched_terms),
                        "clock_start": m.clock_basis,
                    },
                    ensure_ascii=False,
                )
                for m in rows
            ],
        }
    )
    with registered(con, new_ms=new_ms):
        con.execute(
            "INSERT INTO milestones BY NAME "
            "SELECT * REPLACE (evidence::JSON AS evidence), $as_of AS computed_as_of FROM new_ms",
            {"as_of": as_of},
        )


def record_run(
    con: duckdb.DuckDBPyConnection, run_id: str, as_of: datetime, started_at: datetime, counts: dict[str, int]
) -> None:
    con.execute(
        "INSERT OR REPLACE INTO runs (run_id, kind, as_of, started_at, finished_at, status, counts) "
        "VALUES (?, 'track', ?, ?, now(), 'ok', ?::JSON)",
        [run_id, as_of, started_at, json.dumps(counts)],
    )


def last_track_as_of(con: duckdb.DuckDBPyConnection) -> datetime | None:
    rows = con.execute("SELECT max(as_of) FROM runs WHERE kind = 'track' AND status = 'ok'").fetchall()
    return rows[0][0] if rows else None


def revive(con: duckdb.DuckDBPyConnection, event_ids: Iterable[str]) -> None:
    """Events standing again under ids that had been retired (an analyst's merge taken back): their ids no longer point
    at the event they had merged into."""
    with registered(con, wanted_ids=ids_table(event_ids)):
        con.execute("DELETE FROM event_aliases WHERE old_event_id IN (SELECT id FROM wanted_ids)")


def resolve_event_id(con: duckdb.DuckDBPyConnection, event_id: str) -> str:
    """Follow merges: an id that was retired points at the event it merged into."""
    seen = {event_id}
    while True:
        rows = con.execute("SELECT event_id FROM event_aliases WHERE old_event_id = ?", [event_id]).fetchall()
        if not rows or rows[0][0] in seen:
            return event_id
        event_id = rows[0][0]
        seen.add(event_id)


# Overdue as of any time: events and responses as they were visible then, deadlines from the stored
# rule rows (hours, clock, kinds that satisfy them). Status depends on as_of, so nothing stored is reused.
# Only events whose stored start is at or after $horizon are considered (the lookback; a stored start is
# the earliest item_time of the event's items, so their items and responses all lie after $horizon too,
# which lets the scans of items skip older data); an event an analyst's dismissal holds for at $as_of is not. The
# item links are gathered last, only for the (event, milestone) pairs that are overdue.
_OVERDUE_SQL = """
WITH recent AS (
    SELECT event_id FROM events WHERE started_at >= $horizon AND started_at <= $as_of
    EXCEPT SELECT event_id FROM dismissed_as_of($as_of)  -- an analyst's word: no answer needed
), vis AS (
    -- the clock starts at the earliest visible member, or earlier where a member states the incident's time
    SELECT ei.event_id, min(least(i.item_time, coalesce(ti.incident_at, i.item_time))) AS started_at,
           min(i.fetched_at) AS first_detected_at
    FROM event_items AS ei
    JOIN items AS i USING (item_id)
    LEFT JOIN track_items AS ti USING (item_id)
    SEMI JOIN recent AS rc ON rc.event_id = ei.event_id
    WHERE i.item_time <= $as_of AND i.fetched_at <= $as_of AND i.item_time >= $horizon
    GROUP BY ei.event_id
), due AS (
    SELECT m.*, v.started_at AS event_started_at,
           (CASE m.clock WHEN 'first_detected' THEN v.first_detected_at ELSE v.started_at END)
               + to_microseconds(CAST(m.deadline_hours * 3600000000 AS BIGINT)) AS due_at
    FROM milestones AS m JOIN vis AS v USING (event_id)
), late AS (
    SELECT * FROM due WHERE $as_of > due_at
), met AS (
    SELECT DISTINCT late.event_id, late.milestone
    FROM late
    JOIN responses AS r ON r.event_id = late.event_id
    JOIN items AS i ON i.item_id = r.item_id
    WHERE i.item_time <= $as_of AND i.fetched_at <= $as_of AND i.item_time >= $horizon
      AND r.responded_at >= late.event_started_at
      AND (list_contains(late.satisfied_by, '*') OR list_has_any(late.satisfied_by, r.milestone_kinds))
), overdue AS (
    SELECT late.* FROM late ANTI JOIN met USING (event_id, milestone)
), late_events AS (
    SELECT e.event_id, e.opening_item_id FROM events AS e SEMI JOIN overdue AS o ON o.event_id = e.event_id
), urls AS (
    -- the opening item is one of the event's items: why it opened the event is read in the same pass
    SELECT ei.event_id,
           list(i.url ORDER BY i.item_time, i.item_id) FILTER (WHERE i.url IS NOT NULL) AS item_urls,
           any_value(i.issue) FILTER (WHERE i.item_id = le.opening_item_id) AS opener_issue,
           any_value(CAST(i.evidence -> 'issue' AS VARCHAR)) FILTER (WHERE i.item_id = le.opening_item_id)
               AS opener_evidence
    FROM event_items AS ei
    JOIN items AS i USING (item_id)
    JOIN late_events AS le ON le.event_id = ei.event_id
    WHERE i.item_time <= $as_of AND i.fetched_at <= $as_of AND i.item_time >= $horizon
    GROUP BY ei.event_id
), override AS (
    SELECT event_id, severity FROM severity_overrides_as_of()
)
SELECT od.event_id, e.topics, od.event_started_at AS started_at, od.milestone, od.due_at AS deadline_at,
       coalesce(o.severity, e.severity_proposed) AS severity, e.title,
       coalesce(u.item_urls, []::VARCHAR[]) AS item_urls, e.region_code, e.region_name,
       od.rule_id, od.rule_version, od.source_document,
       date_diff('second', od.due_at, $as_of) AS overdue_seconds,
       u.opener_issue, u.opener_evidence
FROM overdue AS od
JOIN events AS e USING (event_id)
LEFT JOIN urls AS u USING (event_id)
LEFT JOIN override AS o USING (event_id)
ORDER BY od.due_at, od.event_id, od.milestone
"""

# No lookback: every stored event (item times are never before this).
_NO_HORIZON = datetime(1900, 1, 1, tzinfo=UTC)


def overdue_rows(
    con: duckdb.DuckDBPyConnection, as_of: datetime, horizon: datetime | None = None
) -> list[Row]:
    """Overdue (event, milestone) rows as of ``as_of`` among events started at or after ``horizon``
    (``None``: all events)."""
    params = {"as_of": as_of, "horizon": _NO_HORIZON if horizon is None else horizon}
    return named(con, _OVERDUE_SQL, params)


# Responses an analyst might link (`yuqing link`): official or reported responses published in the link window after
# the event started and not linked to it, in its province first, then those placed nowhere that share a topic with it
# (an event placed nowhere: any place); earliest first within each.
_UNLINKED_SQL = """
WITH e AS (
    SELECT started_at, left(coalesce(region_code, ''), 2) AS province, coalesce(topics, []::VARCHAR[]) AS topics
    FROM events WHERE event_id = $event_id
), near AS (
    SELECT i.item_id, i.source, i.item_time, i.title, left(coalesce(i.summary, ''), $chars) AS summary,
           i.official_response, e.province <> '' AND starts_with(coalesce(i.region_code, ''), e.province) AS in_province
    FROM items AS i CROSS JOIN e
    WHERE (i.official_response OR i.reported_response)
      AND i.item_time >= e.started_at AND i.item_time <= e.started_at + to_days(CAST($days AS INTEGER))
      AND i.item_id NOT IN (SELECT item_id FROM responses WHERE event_id = $event_id)
      AND (e.province = '' OR starts_with(coalesce(i.region_code, ''), e.province) OR (i.region_code IS NULL
           AND i.item_id IN (SELECT t.item_id FROM item_topics AS t, e WHERE list_contains(e.topics, t.topic))))
)
SELECT item_id, source, item_time, title, summary, official_response, in_province FROM near
ORDER BY in_province DESC, item_time, item_id
LIMIT $limit
"""


# Events that may be the same incident as $event_id: on one of its topics (or, like it, on none), started within the
# grouping window of it ($lo, $hi), nearest in time first, with their opening report's headline and text. An opening
# report is no earlier than its event's start and no later than a week after it (an incident time stated more than 7
# days before a report is background), so the items read lie in [$lo, $hi + 7 days]: the bounds let the scan of items
# skip what lies outside them.
_TWINS_SQL = """
WITH e AS (SELECT coalesce(topics, []::VARCHAR[]) AS topics FROM events WHERE event_id = $event_id), near AS (
    SELECT o.event_id, o.title, o.started_at, o.region_name, o.item_count, o.term_codes, o.term_weights,
           o.opening_item_id
    FROM events AS o CROSS JOIN e
    WHERE o.event_id <> $event_id AND o.started_at >= $lo AND o.started_at <= $hi
      AND (list_has_any(coalesce(o.topics, []::VARCHAR[]), e.topics)
           OR (len(coalesce(o.topics, [])) = 0 AND len(e.topics) = 0))
    ORDER BY abs(epoch(o.started_at) - epoch($at)), o.event_id
    LIMIT $limit
)
SELECT near.* EXCLUDE (opening_item_id), i.title AS opener_title,
       left(coalesce(i.summary, ''), $chars) AS opener_summary
FROM near
LEFT JOIN (
    SELECT item_id, title, summary FROM items
    WHERE item_time >= $lo AND item_time <= $hi + INTERVAL 7 DAY
) AS i ON i.item_id = near.opening_item_id
ORDER BY abs(epoch(near.started_at) - epoch($at)), near.event_id
"""


def twins(con: duckdb.DuckDBPyConnection, event_id: str, hours: int, limit: int, chars: int) -> list[Row]:
    """The first ``limit`` events on an event's topics within ``hours`` of it, nearest in time first, with their wording
    and their opening report's headline and first ``chars`` of text."""
    row = con.execute("SELECT started_at FROM events WHERE event_id = ?", [event_id]).fetchone()
    if row is None:
        return []
    at, span = row[0], timedelta(hours=hours)
    return named(
        con, _TWINS_SQL, {"event_id": event_id, "at": at, "lo": at - span, "hi": at + span, "limit": limit, "chars": chars}
    )


def explain_rows(
    con: duckdb.DuckDBPyConnection,
    event_id: str,
    *,
    window_days: int = 30,
    unlinked: int = 10,
    response_chars: int = 800,
) -> dict[str, list[Row]]:
    """What explain_event prints but the events that may be the same incident (``twins``, read over a span that
    depends on the event's items): the event, its items, responses and milestones, analysts' decisions, and the
    first ``unlinked`` responses in its ``window_days`` that are not linked to it, those of its province first, with
    the first ``response_chars`` of their text."""
    return {
        "event": named(
            con,
            "SELECT event_id, title, topics, region_code, region_name, severity, severity_proposed, "
            "severity_override, started_at, first_detected_at, last_item_at, item_count, source_count, heat, status, "
            "clock_basis, severity_basis, (SELECT opening_item_id FROM events WHERE event_id = $event_id) AS opener "
            "FROM v_events WHERE event_id = $event_id",
            {"event_id": event_id},
        ),
        "items": named(
            con,
            "SELECT i.item_id, i.source, i.item_time, i.fetched_at, i.title, i.url, i.issue, "
            "CAST(i.evidence -> 'issue' AS VARCHAR) AS issue_evidence, left(coalesce(i.summary, ''), $chars) AS summary "
            "FROM event_items AS ei JOIN items AS i USING (item_id) WHERE ei.event_id = $event_id "
            "ORDER BY i.item_time, i.item_id",
            {"event_id": event_id, "chars": response_chars},
        ),
        "responses": named(
            con,
            "SELECT r.item_id, i.source, r.responded_at, r.score, r.reported, r.milestone_kinds, r.evidence, i.title "
            "FROM responses AS r JOIN items AS i USING (item_id) WHERE r.event_id = ? ORDER BY r.responded_at",
            [event_id],
        ),
        "milestones": named(
            con,
            "SELECT milestone, rule_id, rule_version, source_document, deadline_at, status, met_at, met_by_item_id, "
            "reported, evidence FROM v_milestones WHERE event_id = ? ORDER BY deadline_at, milestone",
            [event_id],
        ),
        "overrides": named(
            con,
            'SELECT severity, analyst, reason, "at" FROM severity_overrides WHERE event_id = ? ORDER BY "at"',
            [event_id],
        ),
        "decisions": named(
            con,
            "SELECT d.item_id, d.linked, d.kinds, d.analyst, d.reason, d.recorded_at, i.title FROM response_decisions "
            "AS d LEFT JOIN items AS i USING (item_id) WHERE d.event_id = ? ORDER BY d.recorded_at",
            [event_id],
        ),
        "unlinked": named(
            con,
            _UNLINKED_SQL,
            {"event_id": event_id, "days": window_days, "limit": unlinked, "chars": response_chars},
        ),
        "dismissals": named(
            con,
            'SELECT dismissed, analyst, reason, "at", len(covers) AS covered FROM event_dismissals '
            'WHERE event_id = ? ORDER BY "at", recorded_at',
            [event_id],
        ),
        "merges": named(
            con,
            "SELECT m.merge_id, m.merged, m.event_ids, m.analyst, m.reason, m.recorded_at FROM event_merges AS m "
            "WHERE m.event_id = $event_id OR EXISTS (SELECT 1 FROM event_items AS ei WHERE ei.event_id = $event_id "
            "AND list_contains(m.items, ei.item_id)) ORDER BY m.recorded_at",
            {"event_id": event_id},
        ),
        "splits": named(
            con,
            "SELECT s.split_id, s.split, s.event_id, len(s.items) AS taken_out, s.analyst, s.reason, s.recorded_at "
            "FROM event_splits AS s WHERE s.event_id = $event_id OR EXISTS (SELECT 1 FROM event_items AS ei "
            "WHERE ei.event_id = $event_id AND list_contains(list_concat(s.items, s.rest), ei.item_id)) "
            "ORDER BY s.recorded_at",
            {"event_id": event_id},
        ),
    }
