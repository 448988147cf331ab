"""Every SQL statement of urgent alerts: the candidates a track run looks at, and the ``alerts`` ledger.

The ledger (migration 007) holds one row per (event, milestone, condition, route, channel). A track run
inserts what it raises with ``INSERT OR IGNORE``, so a condition raised twice (a re-run, a retry, a
concurrent run after it) is one row; a row is claimed (``sending``) in its own transaction before any
traffic, so two deliverers never send it both.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from warehouse.rows import named
from yuqing.models import EventFacts

Key = tuple[str, str, str, str, str]  # event_id, milestone, condition, route, channel

# Each event's milestones with what an alert says about them: the effective severity (an analyst's
# override wins), the clock's basis, the rule, and whether (and by what) the milestone was met. An event an
# analyst's dismissal holds for at $as_of raises nothing.
_CANDIDATES_SQL = """
WITH override AS (
    SELECT event_id, severity FROM severity_overrides_as_of()
)
SELECT e.event_id, e.title, e.topics, e.region_code, e.region_name,
       coalesce(o.severity, e.severity_proposed) AS severity, e.started_at, e.first_detected_at,
       e.clock_basis, m.milestone, m.deadline_at, m.deadline_hours, m.met_at, m.met_by_item_id,
       coalesce(m.reported, false) AS reported, m.source_document, m.rule_id, mi.url AS met_by_url,
       mi.title AS met_by_title
FROM milestones AS m
JOIN events AS e USING (event_id)
LEFT JOIN override AS o USING (event_id)
LEFT JOIN items AS mi ON mi.item_id = m.met_by_item_id
WHERE e.first_detected_at <= $as_of
  AND e.event_id NOT IN (SELECT event_id FROM dismissed_as_of($as_of))
  AND (m.deadline_at >= $since OR m.met_at >= $since OR e.first_detected_at >= $since)
ORDER BY m.deadline_at, e.event_id, m.milestone
"""


@dataclass(frozen=True, slots=True)
class CandidateRow(EventFacts):
    started_at: datetime
    first_detected_at: datetime
    clock_basis: str | None
    milestone: str
    deadline_at: datetime
    deadline_hours: float
    met_at: datetime | None
    met_by_item_id: str | None
    reported: bool
    source_document: str
    rule_id: str
    met_by_url: str | None
    met_by_title: str | None


def candidates(con: duckdb.DuckDBPyConnection, as_of: datetime, since: datetime) -> list[CandidateRow]:
    """Milestones of events detected by ``as_of`` whose deadline, meeting or detection is after ``since``."""
    out = []
    for r in named(con, _CANDIDATES_SQL, {"as_of": as_of, "since": since}):
        row = r._asdict()
        row["topics"] = tuple(row["topics"])
        row["deadline_hours"] = float(row["deadline_hours"])
        row["reported"] = bool(row["reported"])
        out.append(CandidateRow(**row))
    return out


def event_links(
    con: duckdb.DuckDBPyConnection, event_ids: Iterable[str], as_of: datetime, limit: int = 3
) -> dict[str, list[tuple[str, str, str | None]]]:
    """Per event, its first ``limit`` visible items as (source, title, url), earliest first."""
    ids = sorted(set(event_ids))
    if not ids:
        return {}
    rows = con.execute(
        """
        SELECT event_id, source, title, url FROM (
            SELECT ei.event_id, i.source, i.title, i.url,
                   row_number() OVER (PARTITION BY ei.event_id ORDER BY i.item_time, i.item_id) AS n
            FROM event_items AS ei JOIN items AS i USING (item_id)
            WHERE ei.event_id IN (SELECT unnest($ids)) AND i.fetched_at <= $as_of AND i.item_time <= $as_of
        ) WHERE n <= $limit ORDER BY event_id, n
        """,
        {"ids": ids, "as_of": as_of, "limit": limit},
    ).fetchall()
    out: dict[str, list[tuple[str, str, str | None]]] = {}
    for event_id, source, title, url in rows:
        out.setdefault(event_id, []).append((source, title, url))
    return out


@dataclass(frozen=True, slots=True)
class Raised:
    key: Key
    raised_as_of: datetime
    deadline_at: datetime | None
    summary: str
    content: dict[str, Any]


def insert_raised(con: duckdb.DuckDBPyConnection, raised: Sequence[Raised]) -> int:
    """Record raised alerts as ``pending``; one already in the ledger (in any state) is left alone.
    Returns how many were new."""
    if not raised:
        return 0
    before = con.execute("SELECT count(*) FROM alerts").fetchone()
    con.executemany(
        "INSERT OR IGNORE INTO alerts (event_id, milestone, condition, route, channel, state, raised_as_of, "
        "deadline_at, summary, content) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)",
        [
            [*r.key, r.raised_as_of, r.deadline_at, r.summary, json.dumps(r.content, ensure_ascii=False)]
            for r in raised
        ],
    )
    after = con.execute("SELECT count(*) FROM alerts").fetchone()
    return int(after[0] if after else 0) - int(before[0] if before else 0)


def sweep_in_doubt(con: duckdb.DuckDBPyConnection, claimed_before: datetime) -> int:
    """Claims older than ``claimed_before`` belong to a run that died while sending: ``in_doubt``."""
    row = con.execute(
        "UPDATE alerts SET state = 'in_doubt', error = coalesce(error || '; ', '') || "
        "'a run died while sending it: the channel may have it, so it is not sent again' "
        "WHERE state = 'sending' AND claimed_at < ? RETURNING 1",
        [claimed_before],
    ).fetchall()
    return len(row)


@dataclass(frozen=True, slots=True)
class DueRow:
    key: Key
    state: str
    attempts: int
    deadline_at: datetime | None
    content: dict[str, Any]
    met_at: datetime | None  # the milestone's, now
    dismissed: bool = False  # an analyst's dismissal holds for the event as of the run that would send it
    merged_into: str | None = None  # the event it merged into since it was raised (a late report, an analyst's merge)


def due(con: duckdb.DuckDBPyConnection, as_of: datetime) -> list[DueRow]:
    """Alerts to send as of ``as_of``: pending ones, and failed ones whose retry time has come."""
    rows = con.execute(
        """
        SELECT a.event_id, a.milestone, a.condition, a.route, a.channel, a.state, a.attempts, a.deadline_at,
               a.content, m.met_at, d.event_id IS NOT NULL AS dismissed, x.event_id AS merged_into
        FROM alerts AS a
        LEFT JOIN milestones AS m ON m.event_id = a.event_id AND m.milestone = a.milestone
        LEFT JOIN dismissed_as_of($as_of) AS d ON d.event_id = a.event_id
        LEFT JOIN event_aliases AS x ON x.old_event_id = a.event_id
        WHERE a.state = 'pending' OR (a.state = 'failed' AND coalesce(a.next_try_at, a.raised_as_of) <= $as_of)
        ORDER BY a.route, a.channel, a.raised_as_of, a.event_id, a.milestone, a.condition
        """,
        {"as_of": as_of},
    ).fetchall()
    return [
        DueRow(
            key=(r[0], r[1], r[2], r[3], r[4]),
            state=r[5],
            attempts=int(r[6]),
            deadline_at=r[7],
            content=json.loads(r[8]),
            met_at=r[9],
            dismissed=bool(r[10]),
            merged_into=r[11],
        )
        for r in rows
    ]


def last_sent(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], datetime]:
    """Per (route, channel): the as_of of the last run that sent it something (rate limits)."""
    rows = con.execute(
        "SELECT route, channel, max(sent_as_of) FROM alerts WHERE state = 'sent' GROUP BY route, channel"
    ).fetchall()
    return {(r[0], r[1]): r[2] for r in rows if r[2] is not None}


_KEY_WHERE = "event_id = ? AND milestone = ? AND condition = ? AND route = ? AND channel = ?"


def expire(con: duckdb.DuckDBPyConnection, keys: Iterable[tuple[Key, str]]) -> None:
    """Alerts whose condition stopped holding before they could be sent (key, why)."""
    for key, why in keys:
        con.execute(
            f"UPDATE alerts SET state = 'expired', error = ? WHERE {_KEY_WHERE} AND state IN ('pending', 'failed')",
            [why, *key],
        )


def claim(con: duckdb.DuckDBPyConnection, keys: Sequence[Key], message_key: str, now: datetime) -> list[Key]:
    """Claim the still-unsent ``keys`` for one message; returns those this call claimed."""
    got: list[Key] = []
    for key in keys:
        row = con.execute(
            f"UPDATE alerts SET state = 'sending', claimed_at = ?, message_key = ? "
            f"WHERE {_KEY_WHERE} AND state IN ('pending', 'failed') RETURNING 1",
            [now, message_key, *key],
        ).fetchall()
        if row:
            got.append(key)
    return got


def record(
    con: duckdb.DuckDBPyConnection,
    keys: Sequence[Key],
    *,
    message_key: str,
    route: str,
    channel: str,
    ok: bool,
    error: str | None,
    as_of: datetime,
    now: datetime,
    next_try_at: datetime | None,
    max_attempts: int,
) -> None:
    """One delivery attempt of a message and its outcome for each alert it carried."""
    con.execute(
        "INSERT INTO alert_attempts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [message_key, route, channel, now, as_of, len(keys), ok, error],
    )
    for key in keys:
        if ok:
            con.execute(
                f"UPDATE alerts SET state = 'sent', attempts = attempts + 1, sent_at = ?, sent_as_of = ?, "
                f"error = NULL WHERE {_KEY_WHERE}",
                [now, as_of, *key],
            )
        else:
            con.execute(
                f"UPDATE alerts SET attempts = attempts + 1, error = ?, next_try_at = ?, "
                f"state = CASE WHEN attempts + 1 >= ? THEN 'gave_up' ELSE 'failed' END WHERE {_KEY_WHERE}",
                [error, next_try_at, max_attempts, *key],
            )


def attempts_of(con: duckdb.DuckDBPyConnection, keys: Sequence[Key]) -> int:
    """The most attempts any of ``keys`` has had (they travel together, so they share a count)."""
    if not keys:
        return 0
    placeholders = ", ".join(["(?, ?, ?, ?, ?)"] * len(keys))
    row = con.execute(
        f"SELECT max(attempts) FROM alerts WHERE (event_id, milestone, condition, route, channel) IN ({placeholders})",
        [v for key in keys for v in key],
    ).fetchone()
    return int(row[0] or 0) if row else 0


def ledger(con: duckdb.DuckDBPyConnection, *, limit: int = 50) -> list[tuple[Any, ...]]:
    """The newest rows of the ledger, for ``yuqing alerts``."""
    return con.execute(
        "SELECT raised_as_of, route, channel, condition, milestone, state, attempts, error, summary "
        "FROM alerts ORDER BY raised_as_of DESC, route, channel, event_id, milestone, condition LIMIT ?",
        [limit],
    ).fetchall()
