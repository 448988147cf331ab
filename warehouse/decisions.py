"""Every SQL statement of analysts' decisions, which win over the tracker's judgments: an event's severity
(``severity_overrides``), that an event needs no answer (``event_dismissals``, applied by every reader through the
``dismissed_as_of`` macro) and whether an item answers an event (``response_decisions``). Each is a log: nothing is
overwritten, the latest decision wins. When events merge, ``events.write_grouping`` moves them to the survivor."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import duckdb

from warehouse.db import registered
from warehouse.events import ids_table
from warehouse.rows import Row, into, named
from yuqing.track.model import ResponseDecision


def _exists(con: duckdb.DuckDBPyConnection, event_id: str) -> bool:
    row = con.execute("SELECT count(*) FROM events WHERE event_id = ?", [event_id]).fetchone()
    return bool(row and row[0])


def add_severity_override(
    con: duckdb.DuckDBPyConnection, event_id: str, severity: str, analyst: str, reason: str, at: datetime
) -> bool:
    if not _exists(con, event_id):
        return False
    con.execute(
        "INSERT INTO severity_overrides VALUES (?, ?, ?, ?, ?)", [event_id, severity, analyst, reason, at]
    )
    return True


def add_dismissal(
    con: duckdb.DuckDBPyConnection,
    event_id: str,
    dismissed: bool,
    analyst: str,
    reason: str,
    at: datetime,
    recorded_at: datetime,
) -> int | None:
    """Record an analyst's decision on an event; it covers the event's members now. Returns how many members it
    covers, ``None`` when there is no such event."""
    if not _exists(con, event_id):
        return None
    members = con.execute("SELECT item_id FROM event_items WHERE event_id = ? ORDER BY item_id", [event_id])
    covers = [r[0] for r in members.fetchall()]
    con.execute(
        "INSERT INTO event_dismissals VALUES (?, ?, ?, ?, ?, ?, ?)",
        [event_id, dismissed, covers, analyst, reason, at, recorded_at],
    )
    return len(covers)


def open_milestones(con: duckdb.DuckDBPyConnection, event_id: str, as_of: datetime) -> int:
    """How many of the event's milestones no response had met by ``as_of``."""
    row = con.execute(
        "SELECT count(*) FROM milestones WHERE event_id = ? AND (met_at IS NULL OR met_at > ?)", [event_id, as_of]
    ).fetchone()
    return int(row[0]) if row else 0


def dismissed_ids(con: duckdb.DuckDBPyConnection, as_of: datetime) -> set[str]:
    """The events an analyst's dismissal holds for as of ``as_of`` (the ``dismissed_as_of`` macro)."""
    return {r[0] for r in con.execute("SELECT event_id FROM dismissed_as_of(?)", [as_of]).fetchall()}


def add_response_decision(
    con: duckdb.DuckDBPyConnection,
    event_id: str,
    item_id: str,
    linked: bool,
    kinds: Sequence[str],
    analyst: str,
    reason: str,
    recorded_at: datetime,
) -> None:
    con.execute(
        "INSERT INTO response_decisions VALUES (?, ?, ?, ?, ?, ?, ?)",
        [event_id, item_id, linked, list(kinds), analyst, reason, recorded_at],
    )


def response_decisions(
    con: duckdb.DuckDBPyConnection, event_ids: Iterable[str], as_of: datetime
) -> list[ResponseDecision]:
    """The latest analyst decision per (event, item) for the given events, whose item is visible as of ``as_of``."""
    with registered(con, wanted_ids=ids_table(event_ids)):
        rows = named(
            con,
            """
            WITH latest AS (
                SELECT * FROM link_decisions() WHERE event_id IN (SELECT id FROM wanted_ids)
            )
            SELECT d.event_id, d.item_id, d.linked, d.kinds, d.analyst, d.reason, i.item_time,
                   greatest(i.item_time, i.fetched_at) AS visible_at, i.official_response AS official
            FROM latest AS d
            JOIN items AS i ON i.item_id = d.item_id
            WHERE i.item_time <= $as_of AND i.fetched_at <= $as_of
            ORDER BY d.event_id, d.item_id
            """,
            {"as_of": as_of},
        )
    return [into(ResponseDecision, r, kinds=tuple(r.kinds)) for r in rows]


def item_facts(con: duckdb.DuckDBPyConnection, item_id: str) -> Row | None:
    """An item's time, whether it is an official or reported response, and its response kinds (``None``: no such
    item)."""
    rows = named(
        con,
        "SELECT item_id, title, item_time, official_response, reported_response, response_kinds FROM items "
        "WHERE item_id = ?",
        [item_id],
    )
    return rows[0] if rows else None


def judgments(con: duckdb.DuckDBPyConnection, since: datetime, as_of: datetime) -> list[Row]:
    """What analysts had said by ``as_of`` of the tracker's judgments on the events that started in [``since``,
    ``as_of``] (the ``event_judgments`` macro), counted by what ``yuqing quality`` tells apart: the opening item's
    source, the topics, the severities, whether the event is dismissed, and the opening evidence reduced to the incident
    rule's kind and the model's probability (``opened_by``: None not recorded, [] no issue), with the events' count
    and their links summed."""
    return named(
        con,
        r"""
        SELECT source, topics, severity_proposed, severity_override, dismissed, dismissal_holds, reviewed,
               CASE WHEN NOT opener_issue THEN []::VARCHAR[]
                    WHEN opener_issue THEN nullif([regexp_replace(x, '^(rule: [^:;]+).*$', '\1')
                                                   FOR x IN CAST(opened_by AS VARCHAR[])
                                                   IF starts_with(x, 'rule: ') OR starts_with(x, 'p=')], [])
               END AS opened_by,
               count(*) AS events, sum(links)::BIGINT AS links, sum(links_added)::BIGINT AS links_added,
               sum(links_removed)::BIGINT AS links_removed
        FROM event_judgments($since, $as_of)
        GROUP BY ALL
        ORDER BY ALL
        """,
        {"since": since, "as_of": as_of},
    )


def corrected_items(con: duckdb.DuckDBPyConnection, since: datetime, as_of: datetime) -> list[Row]:
    """The items behind analysts' corrections of the classifier, by ``as_of``, on the events that started in
    [``since``, ``as_of``]: the members that are issues of an event whose dismissal holds (``decision`` 'dismissed':
    the analyst found no matter to answer), and the items an analyst linked as an event's answer that the classifier
    read as no response (``decision`` 'linked'). With the item's text and what the classifier said of it."""
    return named(
        con,
        """
        WITH ev AS (
            SELECT event_id FROM events WHERE started_at >= $since AND started_at <= $as_of
        ), corrected AS (
            SELECT 'dismissed' AS decision, d.event_id, unnest(d.covers) AS item_id, d.analyst, d.reason
            FROM dismissals_as_of($as_of) AS d
            SEMI JOIN ev ON ev.event_id = d.event_id
            WHERE d.holds
            UNION ALL
            SELECT 'linked', l.event_id, l.item_id, l.analyst, l.reason
            FROM link_decisions() AS l
            SEMI JOIN ev ON ev.event_id = l.event_id
            WHERE l.linked AND l.recorded_at <= $as_of
        )
        SELECT c.decision, c.event_id, c.item_id, c.analyst, c.reason, i.source, i.title, i.summary, i.item_time,
               i.issue, i.official_response, i.reported_response,
               coalesce((SELECT list(t.topic ORDER BY t.topic) FROM item_topics AS t WHERE t.item_id = i.item_id),
                        []::VARCHAR[]) AS topics
        FROM corrected AS c
        JOIN items AS i ON i.item_id = c.item_id
        WHERE (c.decision = 'dismissed' AND i.issue)
           OR (c.decision = 'linked' AND NOT i.official_response AND NOT i.reported_response)
        ORDER BY c.decision, i.item_time, c.item_id
        """,
        {"since": since, "as_of": as_of},
    )


def add_merge(
    con: duckdb.DuckDBPyConnection,
    merge_id: str,
    merged: bool,
    event_ids: Sequence[str],
    items: Sequence[str],
    event_id: str,
    analyst: str,
    reason: str,
    recorded_at: datetime,
) -> None:
    con.execute(
        "INSERT INTO event_merges VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [merge_id, merged, list(event_ids), sorted(items), event_id, analyst, reason, recorded_at],
    )


_STANDING_MERGES = """
    SELECT * FROM event_merges
    QUALIFY row_number() OVER (PARTITION BY merge_id ORDER BY recorded_at DESC, merged) = 1
"""


def standing_merges(con: duckdb.DuckDBPyConnection, item_ids: Iterable[str]) -> list[tuple[str, tuple[str, ...]]]:
    """The analysts' merges that stand (the latest row of each merges) holding any of ``item_ids``: (merge_id, its
    items), oldest first."""
    if not con.execute("SELECT count(*) FROM event_merges").fetchone()[0]:  # type: ignore[index]
        return []  # most warehouses: no table of a run's items to register
    with registered(con, wanted_ids=ids_table(item_ids)):
        rows = con.execute(
            f"""
            WITH standing AS ({_STANDING_MERGES})
            SELECT merge_id, items FROM standing AS m
            WHERE merged AND EXISTS (SELECT 1 FROM unnest(m.items) AS u(id) SEMI JOIN wanted_ids USING (id))
            ORDER BY recorded_at, merge_id
            """
        ).fetchall()
    return [(r[0], tuple(r[1])) for r in rows]


def merges_in(con: duckdb.DuckDBPyConnection, since: datetime, as_of: datetime) -> tuple[int, int]:
    """(merges, events merged) of the analysts' merges recorded by ``as_of`` that stood then, whose events started in
    [``since``, ``as_of``]: each merge joined events the grouper had kept apart."""
    row = con.execute(
        """
        WITH standing AS (
            SELECT * FROM event_merges WHERE recorded_at <= $as_of
            QUALIFY row_number() OVER (PARTITION BY merge_id ORDER BY recorded_at DESC, merged) = 1
        ), inside AS (
            SELECT DISTINCT s.merge_id, len(s.event_ids) AS events
            FROM (SELECT merge_id, event_ids, unnest(items) AS item_id FROM standing WHERE merged) AS s
            JOIN event_items AS ei USING (item_id)
            JOIN events AS e USING (event_id)
            WHERE e.started_at >= $since AND e.started_at <= $as_of
        )
        SELECT count(*), coalesce(sum(events), 0)::BIGINT FROM inside
        """,
        {"since": since, "as_of": as_of},
    ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def add_split(
    con: duckdb.DuckDBPyConnection,
    split_id: str,
    split: bool,
    event_id: str,
    items: Sequence[str],
    rest: Sequence[str],
    analyst: str,
    reason: str,
    recorded_at: datetime,
) -> None:
    con.execute(
        "INSERT INTO event_splits VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [split_id, split, event_id, sorted(items), sorted(rest), analyst, reason, recorded_at],
    )


def standing_splits(
    con: duckdb.DuckDBPyConnection, item_ids: Iterable[str]
) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """The analysts' splits that stand (the latest row of each splits) holding any of ``item_ids``: (split_id, the
    reports taken out, the rest), oldest first."""
    if not con.execute("SELECT count(*) FROM event_splits").fetchone()[0]:  # type: ignore[index]
        return []
    with registered(con, wanted_ids=ids_table(item_ids)):
        rows = con.execute(
            """
            WITH standing AS (
                SELECT * FROM event_splits
                QUALIFY row_number() OVER (PARTITION BY split_id ORDER BY recorded_at DESC, split) = 1
            )
            SELECT split_id, items, rest FROM standing AS s
            WHERE split AND EXISTS (
                SELECT 1 FROM unnest(list_concat(s.items, s.rest)) AS u(id) SEMI JOIN wanted_ids USING (id)
            )
            ORDER BY recorded_at, split_id
            """
        ).fetchall()
    return [(r[0], tuple(r[1]), tuple(r[2])) for r in rows]


def splits_in(con: duckdb.DuckDBPyConnection, since: datetime, as_of: datetime) -> int:
    """The analysts' splits recorded by ``as_of`` that stood then, of events whose reports started in [``since``,
    ``as_of``]: each took another matter out of an event the grouper had joined."""
    row = con.execute(
        """
        WITH standing AS (
            SELECT * FROM event_splits WHERE recorded_at <= $as_of
            QUALIFY row_number() OVER (PARTITION BY split_id ORDER BY recorded_at DESC, split) = 1
        )
        SELECT count(DISTINCT s.split_id)
        FROM (SELECT split_id, unnest(list_concat(items, rest)) AS item_id FROM standing WHERE split) AS s
        JOIN event_items AS ei USING (item_id)
        JOIN events AS e USING (event_id)
        WHERE e.started_at >= $since AND e.started_at <= $as_of
        """,
        {"since": since, "as_of": as_of},
    ).fetchone()
    return int(row[0]) if row else 0
