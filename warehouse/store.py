"""Loads of the core tables: sources, items, item_topics and fetch_log (runs: `runs.py`; staging the Arrow tables:
`staging.py`; reading and re-tagging items: `items.py`).

The unit of ingest is a *batch* of source results written in one transaction: the items, their
topics, each source's new fetch state (ETag, Last-Modified, backoff) and its fetch_log row commit
together or not at all. A saved ETag whose items were lost would make the next run get 304 and never
see them; re-running a batch is a no-op because only the items its change table (a join on item_id
with the stored items) found new are inserted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import duckdb
import pyarrow as pa

from yuqing.errors import StorageError
from yuqing.models import FetchOutcome, SourceConfig, SourceResult, SourceState
from yuqing.timeutil import utcnow

from .db import Warehouse, attributes, registered
from .staging import TS, evidence_sql, replace_topics, require_aware, stage_batch


@dataclass(frozen=True, slots=True)
class SourceCounts:
    seen: int = 0
    new: int = 0
    updated: int = 0
    status: str | None = None  # the fetch status as stored in fetch_log (settled_status), once committed


@dataclass(frozen=True, slots=True)
class BatchCounts:
    """Counts of one commit; ``new + updated + unchanged`` is the number of distinct items."""

    new: int
    updated: int
    unchanged: int
    by_source: Mapping[str, SourceCounts] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Sources


def sync_sources(wh: Warehouse, configs: Sequence[SourceConfig], *, as_of: datetime | None = None) -> None:
    """Upsert the configured columns of each source; fetch state columns are kept.

    ``updated_at`` moves only when a configured value changed, so re-syncing is a no-op.
    Sources no longer configured stay (their items and history still refer to them).
    """
    names = [c.name for c in configs]
    duplicates = sorted(n for n, count in Counter(names).items() if count > 1)
    if duplicates:
        raise ValueError(f"duplicate source names: {', '.join(duplicates)}")
    stored = load_source_configs(wh)
    if all(stored.get(c.name) == c for c in configs):
        return  # the usual run: nothing in the sources file changed
    now = as_of or utcnow()
    table = pa.table(
        {
            "name": names,
            "url": [c.url for c in configs],
            "kind": [c.kind for c in configs],
            "official": [c.official for c in configs],
            "region": [c.region for c in configs],
        },
        schema=pa.schema(
            [
                ("name", pa.string()),
                ("url", pa.string()),
                ("kind", pa.string()),
                ("official", pa.bool_()),
                ("region", pa.string()),
            ]
        ),
    )
    with registered(wh.con, _yq_sources=table), wh.transaction() as con:
        con.execute(
            "INSERT INTO sources (name, url, kind, official, region, consecutive_failures, updated_at) "
            "SELECT name, url, kind, official, region, 0, $now FROM _yq_sources "
            "ON CONFLICT (name) DO UPDATE SET "
            "url = excluded.url, kind = excluded.kind, official = excluded.official, "
            "region = excluded.region, "
            "updated_at = CASE WHEN sources.url IS DISTINCT FROM excluded.url "
            "OR sources.kind IS DISTINCT FROM excluded.kind "
            "OR sources.official IS DISTINCT FROM excluded.official "
            "OR sources.region IS DISTINCT FROM excluded.region "
            "THEN excluded.updated_at ELSE sources.updated_at END",
            {"now": now},
        )


def load_source_configs(wh: Warehouse) -> dict[str, SourceConfig]:
    rows = wh.con.execute("SELECT name, url, kind, official, region FROM sources ORDER BY name").fetchall()
    return {r[0]: SourceConfig(name=r[0], url=r[1], kind=r[2], official=r[3], region=r[4]) for r in rows}


def load_source_states(wh: Warehouse) -> dict[str, SourceState]:
    """The fetch state of every known source, by name."""
    rows = wh.con.execute(
        "SELECT name, etag, last_modified, last_full_fetch_at, consecutive_failures, backoff_until, "
        "last_status, last_error FROM sources ORDER BY name"
    ).fetchall()
    return {
        r[0]: SourceState(
            name=r[0],
            etag=r[1],
            last_modified=r[2],
            last_full_fetch_at=r[3],
            consecutive_failures=int(r[4]),
            backoff_until=r[5],
            last_status=r[6],
            last_error=r[7],
        )
        for r in rows
    }


# ---------------------------------------------------------------------------------------------
# The batch commit


def commit_source_batch(
    wh: Warehouse, run_id: str, as_of: datetime, batch: Sequence[SourceResult]
) -> BatchCounts:
    """Write a batch of source results in ONE transaction (see the module docstring).

    New items (no stored row with their item_id) are inserted, duplicates within the batch keeping
    the last one; items whose content_hash changed are updated in place, keeping first_seen_at,
    fetched_at and item_time, with their topics replaced; unchanged items are left alone. Each
    source's state and its fetch_log row are written in the same transaction. Re-committing the
    same run_id is idempotent: fetch_log counts add the new work of the retry, which is zero for
    the same batch.
    """
    require_aware(as_of)
    names = [r.source for r in batch]
    if len(set(names)) != len(names):
        raise ValueError(f"run {run_id}: a batch holds each source at most once")
    items_table, topics_table = stage_batch(batch)
    has_items = items_table.num_rows > 0
    staged = {"_yq_items": items_table, "_yq_topics": topics_table} if has_items else {}
    with registered(wh.con, **staged), wh.transaction() as con:
        counts = _write_batch(con, run_id, as_of, batch, has_items=has_items)
    return counts


def _write_batch(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    as_of: datetime,
    batch: Sequence[SourceResult],
    *,
    has_items: bool = True,
) -> BatchCounts:
    if batch:
        known = {
            r[0]
            for r in con.execute(
                "SELECT name FROM sources WHERE list_contains($names, name)",
                {"names": [r.source for r in batch]},
            ).fetchall()
        }
        missing = sorted({r.source for r in batch} - known)
        if missing:
            raise StorageError(f"run {run_id}: unknown sources {', '.join(missing)}; call sync_sources first")
    rows: list[tuple[str, str, int]] = []
    if has_items:  # a batch of 304s and failures has no items to write
        # What each staged item is, decided before anything is written (keys and hashes only). This
        # is what keeps item_id unique (items has no PRIMARY KEY, 004_items_unkeyed.sql): only the
        # ids found new here are inserted, and the file lock makes this transaction the only writer.
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _yq_change AS "
            "SELECT s.item_id, s.batch_source, "
            "CASE WHEN i.item_id IS NULL THEN 'new' "
            "WHEN i.content_hash <> s.content_hash THEN 'updated' ELSE 'unchanged' END AS change "
            "FROM _yq_items AS s LEFT JOIN items AS i USING (item_id)"
        )
        con.execute(
            "INSERT INTO items (item_id, source, guid, url, title, summary, published_at, fetched_at, item_time, "
            "content_hash, first_seen_at, updated_at, region_code, region_name, severity, official_response, "
            "reported_response, response_kinds, issue, evidence, classifier_version, author) "
            "SELECT s.item_id, s.source, s.guid, s.url, s.title, s.summary, s.published_at, s.fetched_at, "
            "s.item_time, s.content_hash, $as_of, $as_of, s.region_code, s.region_name, s.severity, "
            f"s.official_response, s.reported_response, s.response_kinds, s.issue, {evidence_sql('s')}, "
            "s.classifier_version, s.author "
            "FROM _yq_change AS c JOIN _yq_items AS s ON s.item_id = c.item_id WHERE c.change = 'new'",
            {"as_of": as_of},
        )
        # An update keeps first_seen_at, fetched_at and item_time: the item existed from its first
        # fetch on, and as-of replays must keep seeing it there.
        con.execute(
            "UPDATE items SET source = u.source, guid = u.guid, url = u.url, title = u.title, summary = u.summary, "
            "published_at = u.published_at, content_hash = u.content_hash, updated_at = $as_of, "
            "region_code = u.region_code, region_name = u.region_name, severity = u.severity, "
            "official_response = u.official_response, reported_response = u.reported_response, "
            "response_kinds = u.response_kinds, issue = u.issue, evidence = u.evidence, "
            "classifier_version = u.classifier_version, author = u.author "
            "FROM ("
            f"  SELECT s.*, {evidence_sql('s')} AS evidence "
            "  FROM _yq_items AS s JOIN _yq_change AS c ON c.item_id = s.item_id WHERE c.change = 'updated'"
            ") AS u WHERE items.item_id = u.item_id",
            {"as_of": as_of},
        )
        # A new item has no stored topics (checks.py: item_topics reference existing items).
        replace_topics(
            con,
            "SELECT item_id FROM _yq_change WHERE change <> 'unchanged'",
            "SELECT item_id FROM _yq_change WHERE change = 'updated'",
        )
        rows = con.execute("SELECT batch_source, change, count(*) FROM _yq_change GROUP BY ALL").fetchall()
        con.execute("DROP TABLE _yq_change")

    per: dict[str, dict[str, int]] = {}
    for source, change, n in rows:
        per.setdefault(source, {})[change] = int(n)
    by_source: dict[str, SourceCounts] = {}
    # A retry of the same run finds the items its first attempt stored: keep that attempt's "new".
    earlier = dict(
        con.execute(
            "SELECT source, status FROM fetch_log WHERE run_id = ? AND status = 'new'", [run_id]
        ).fetchall()
    )
    states: list[SourceState] = []
    logged: list[tuple[SourceResult, SourceCounts]] = []
    for result in batch:
        c = per.get(result.source, {})
        seen = result.items_seen if result.items_seen is not None else len(result.items)
        counts = SourceCounts(seen=seen, new=c.get("new", 0), updated=c.get("updated", 0))
        status = settled_status(result.status, counts, earlier.get(result.source))
        counts = replace(counts, status=status)
        by_source[result.source] = counts
        states.append(replace(result.state, last_status=status))
        logged.append((replace(result, status=status), counts))
    _write_source_states(con, states, as_of)
    _upsert_fetch_logs(con, run_id, as_of, logged)
    totals = {k: sum(c.get(k, 0) for c in per.values()) for k in ("new", "updated", "unchanged")}
    return BatchCounts(
        new=totals["new"], updated=totals["updated"], unchanged=totals["unchanged"], by_source=by_source
    )


def settled_status(status: FetchOutcome | str, counts: SourceCounts, earlier: str | None = None) -> str:
    """A fetch reported as NEW is UNCHANGED when the store found nothing new or updated in it."""
    settled = FetchOutcome(status)
    if settled is FetchOutcome.NEW and counts.new == 0 and counts.updated == 0 and earlier != "new":
        return FetchOutcome.UNCHANGED.value
    return settled.value


_STATE_SCHEMA = pa.schema(
    [
        ("name", pa.string()),
        ("etag", pa.string()),
        ("last_modified", pa.string()),
        ("last_full_fetch_at", TS),
        ("consecutive_failures", pa.int32()),
        ("backoff_until", TS),
        ("last_status", pa.string()),
        ("last_error", pa.string()),
    ]
)
_FETCH_LOG_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("status", pa.string()),
        ("disposition", pa.string()),
        ("http_status", pa.int32()),
        ("error", pa.string()),
        ("items_seen", pa.int32()),
        ("items_new", pa.int32()),
        ("items_updated", pa.int32()),
        ("charset_declared", pa.string()),
        ("charset_used", pa.string()),
        ("bytes", pa.int64()),
        ("elapsed_ms", pa.int32()),
    ]
)


def _write_source_states(
    con: duckdb.DuckDBPyConnection, states: Sequence[SourceState], as_of: datetime
) -> None:
    """Every source's new fetch state in one statement (the batch's sources are distinct)."""
    if not states:
        return
    table = pa.table(
        {
            **attributes(
                states, "name", "etag", "last_modified", "consecutive_failures", "last_status", "last_error"
            ),
            "last_full_fetch_at": [require_aware(s.last_full_fetch_at) for s in states],
            "backoff_until": [require_aware(s.backoff_until) for s in states],
        },
        schema=_STATE_SCHEMA,
    )
    with registered(con, _yq_states=table):
        con.execute(
            "UPDATE sources SET etag = s.etag, last_modified = s.last_modified, "
            "last_full_fetch_at = s.last_full_fetch_at, consecutive_failures = s.consecutive_failures, "
            "backoff_until = s.backoff_until, last_status = s.last_status, last_error = s.last_error, "
            "updated_at = $as_of FROM _yq_states AS s WHERE sources.name = s.name",
            {"as_of": as_of},
        )


def _upsert_fetch_logs(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    as_of: datetime,
    logged: Sequence[tuple[SourceResult, SourceCounts]],
) -> None:
    """Every source's fetch_log row of the batch in one statement.

    A retry of the same run (same run_id) overwrites the attempt's details and adds what the retry
    newly stored; a committed attempt's items are already there, so the same batch adds 0.
    """
    if not logged:
        return
    table = pa.table(
        {
            "source": [r.source for r, _ in logged],
            "status": [FetchOutcome(r.status).value for r, _ in logged],
            "disposition": [r.disposition for r, _ in logged],
            "http_status": [r.http_status for r, _ in logged],
            "error": [r.error for r, _ in logged],
            "items_seen": [c.seen for _, c in logged],
            "items_new": [c.new for _, c in logged],
            "items_updated": [c.updated for _, c in logged],
            "charset_declared": [r.charset_declared for r, _ in logged],
            "charset_used": [r.charset_used for r, _ in logged],
            "bytes": [r.bytes for r, _ in logged],
            "elapsed_ms": [r.elapsed_ms for r, _ in logged],
        },
        schema=_FETCH_LOG_SCHEMA,
    )
    with registered(con, _yq_fetch_log=table):
        con.execute(
            "INSERT INTO fetch_log (run_id, source, as_of, status, disposition, http_status, error, items_seen, "
            "items_new, items_updated, charset_declared, charset_used, bytes, elapsed_ms) "
            "SELECT $run_id, source, $as_of, status, disposition, http_status, error, items_seen, "
            "items_new, items_updated, charset_declared, charset_used, bytes, elapsed_ms FROM _yq_fetch_log "
            "ON CONFLICT (run_id, source) DO UPDATE SET as_of = excluded.as_of, "
            "status = excluded.status, "
            "disposition = excluded.disposition, http_status = excluded.http_status, error = excluded.error, "
            "items_seen = greatest(fetch_log.items_seen, excluded.items_seen), "
            "items_new = fetch_log.items_new + excluded.items_new, "
            "items_updated = fetch_log.items_updated + excluded.items_updated, "
            "charset_declared = excluded.charset_declared, charset_used = excluded.charset_used, "
            "bytes = excluded.bytes, elapsed_ms = excluded.elapsed_ms",
            {"run_id": run_id, "as_of": as_of},
        )


# ---------------------------------------------------------------------------------------------
# Dimensions


def sync_dimensions(
    wh: Warehouse,
    topics: Sequence[tuple[str, str, int]],
    regions: Sequence[tuple[str, str, int, str | None, str, str, str | None, str | None, str]],
) -> bool:
    """Replace ``dim_topics`` / ``dim_regions`` when they differ from ``topics`` / ``regions``; True if written."""
    con = wh.con
    have_topics = sorted(
        tuple(r) for r in con.execute("SELECT slug, name_zh, ord FROM dim_topics").fetchall()
    )
    (have_regions,) = con.execute("SELECT count(*) FROM dim_regions").fetchone() or (0,)
    if have_topics == sorted(topics) and have_regions == len(regions):
        return False
    with wh.transaction():
        con.execute("DELETE FROM dim_topics")
        con.executemany("INSERT INTO dim_topics VALUES (?, ?, ?)", [list(t) for t in topics])
        con.execute("DELETE FROM dim_regions")
        con.executemany(
            "INSERT INTO dim_regions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [list(r) for r in regions]
        )
    return True
