"""Data-quality checks run after every load; a failure stops downstream steps (the digest).

Keys are declared PRIMARY KEY and NOT NULL in the schema, and are checked here anyway: the checks
are what proves, after a crash or an engine upgrade, that the constraints still hold. items and
item_topics have no PRIMARY KEY (004_items_unkeyed.sql; warehouse.store keeps them unique), so for
them the unique checks below are the only verification of the key.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from yuqing import vocab
from yuqing.errors import DataCheckError, Disposition
from yuqing.models import FetchOutcome

from .db import Warehouse

SEVERITIES = vocab.SEVERITIES
# docs/design.md "Events, responses, deadlines": the milestones a response can satisfy.
RESPONSE_KINDS = vocab.MILESTONES
FETCH_STATUSES = tuple(o.value for o in FetchOutcome)
DISPOSITIONS = tuple(d.value for d in Disposition)
RUN_STATUSES = ("running", "ok", "partial", "failed", "abandoned")

_SAMPLE = 5
_CHECKED_ITEMS = "_yq_checked_items"  # temp table: the item ids a scoped run_checks reads


@dataclass(frozen=True, slots=True)
class Check:
    """A named query returning one VARCHAR column: a description of each offending row.

    ``tables`` are the tables whose writes the check verifies (rows are never deleted from items or
    sources, so a check that items reference a configured source verifies items only). Empty: the
    check always runs.
    """

    name: str
    sql: str
    params: tuple[object, ...] = ()
    tables: frozenset[str] = frozenset()


def _sql_list(values: Collection[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in sorted(values)) + "]"


def _unique(table: str, *columns: str, rows: str | None = None) -> Check:
    key = ", ".join(columns)
    shown = " || '/' || ".join(f"coalesce({c}::VARCHAR, 'NULL')" for c in columns)
    return Check(
        f"unique {table}({key})",
        f"SELECT any_value({shown}) || ' x' || count(*) FROM {rows or table} GROUP BY {key} HAVING count(*) > 1",
        tables=frozenset({table}),
    )


def _not_null(table: str, key: str, *columns: str, rows: str | None = None) -> list[Check]:
    return [
        Check(
            f"not null {table}.{c}",
            f"SELECT coalesce({key}::VARCHAR, 'NULL') FROM {rows or table} WHERE {c} IS NULL",
            tables=frozenset({table}),
        )
        for c in columns
    ]


def _accepted(
    table: str,
    key: str,
    column: str,
    values: Collection[str],
    *,
    nullable: bool = False,
    rows: str | None = None,
) -> Check:
    null_ok = f"{column} IS NOT NULL AND " if nullable else ""
    return Check(
        f"accepted values {table}.{column}",
        f"SELECT {key}::VARCHAR || ': ' || coalesce({column}::VARCHAR, 'NULL') FROM {rows or table} "
        f"WHERE {null_ok}({column} IS NULL OR NOT list_contains({_sql_list(values)}, {column}))",
        tables=frozenset({table}),
    )


def core_checks(
    topic_slugs: Collection[str] | None = None,
    *,
    fetch_log_run: str | None = None,
    items_of: str | None = None,
) -> list[Check]:
    """The checks over the core tables; topic slugs are accepted values when given.

    Earlier rows were checked by the runs that wrote them, so a run can check its own rows only:

    - ``fetch_log_run``: that run's fetch_log rows (a run adds a row per source: ~100k rows a day
      at 1,000 sources);
    - ``items_of``: a relation (table name) of item ids; only those items, every row holding one
      of those ids (so a second copy of an id is still found), and their topics are checked. The
      check that every topic row has its item needs the whole table and is left out.
    """
    run_rows = "fetch_log"
    if fetch_log_run is not None:
        run_rows = f"(SELECT * FROM fetch_log WHERE run_id = '{fetch_log_run.replace(chr(39), chr(39) * 2)}')"
    fetch_log = f"{run_rows} AS fetch_log"
    items = topics = None
    if items_of is not None:
        items = f"(SELECT * FROM items WHERE item_id IN (SELECT item_id FROM {items_of})) AS items"
        topics = (
            f"(SELECT * FROM item_topics WHERE item_id IN (SELECT item_id FROM {items_of})) AS item_topics"
        )
    checks = [
        _unique("sources", "name"),
        _unique("items", "item_id", rows=items),
        _unique("item_topics", "item_id", "topic", rows=topics),
        _unique("fetch_log", "run_id", "source", rows=fetch_log),
        _unique("runs", "run_id"),
        _unique("schema_migrations", "version"),
        *_not_null(
            "sources", "name", "name", "url", "kind", "official", "consecutive_failures", "updated_at"
        ),
        *_not_null(
            "items",
            "item_id",
            "item_id",
            "source",
            "title",
            "summary",
            "fetched_at",
            "item_time",
            "content_hash",
            "first_seen_at",
            "updated_at",
            "severity",
            "official_response",
            "reported_response",
            "response_kinds",
            "evidence",
            "classifier_version",
            rows=items,
        ),
        *_not_null(
            "item_topics",
            "item_id",
            "item_id",
            "topic",
            "score",
            "terms",
            "rule",
            "classifier_version",
            rows=topics,
        ),
        *_not_null(
            "fetch_log", "run_id || '/' || source", "run_id", "source", "as_of", "status", rows=fetch_log
        ),
        *_not_null("runs", "run_id", "run_id", "kind", "as_of", "started_at", "status"),
        _accepted("items", "item_id", "severity", SEVERITIES, rows=items),
        Check(
            "accepted values items.response_kinds",
            f"SELECT item_id || ': ' || k FROM (SELECT item_id, unnest(response_kinds) AS k FROM {items or 'items'}) "
            f"WHERE k IS NULL OR NOT list_contains({_sql_list(RESPONSE_KINDS)}, k)",
            tables=frozenset({"items"}),
        ),
        _accepted("fetch_log", "run_id || '/' || source", "status", FETCH_STATUSES, rows=fetch_log),
        _accepted(
            "fetch_log", "run_id || '/' || source", "disposition", DISPOSITIONS, nullable=True, rows=fetch_log
        ),
        _accepted("runs", "run_id", "status", RUN_STATUSES),
        Check(
            "items reference configured sources",
            f"SELECT items.item_id || ' (' || items.source || ')' FROM {items or 'items'} "
            "ANTI JOIN sources AS s ON s.name = items.source",
            tables=frozenset({"items"}),
        ),
        Check(
            "fetch_log references configured sources",
            f"SELECT f.run_id || '/' || f.source FROM {run_rows} AS f ANTI JOIN sources AS s ON s.name = f.source",
            tables=frozenset({"fetch_log"}),
        ),
        Check(
            "items first_seen_at <= updated_at",
            f"SELECT item_id FROM {items or 'items'} WHERE first_seen_at > updated_at",
            tables=frozenset({"items"}),
        ),
    ]
    if items_of is None:
        checks.append(
            Check(
                "item_topics reference existing items",
                "SELECT t.item_id || '/' || t.topic FROM item_topics AS t ANTI JOIN items AS i USING (item_id)",
                tables=frozenset({"item_topics"}),
            )
        )
    if topic_slugs is not None:
        checks.append(_accepted("item_topics", "item_id", "topic", topic_slugs, rows=topics))
    return checks


def run_checks(
    wh: Warehouse,
    *,
    topic_slugs: Collection[str] | None = None,
    extra: Sequence[Check] = (),
    written: Collection[str] | None = None,
    fetch_log_run: str | None = None,
    items_written_at: datetime | None = None,
) -> list[str]:
    """Run the checks; return one message per failed check (empty when all pass).

    ``written``: the tables a run wrote; only the checks verifying one of them run (a check of a
    table nobody wrote passed after the last write, and its query can be a full scan of millions of
    rows). None runs every check. ``fetch_log_run``: see :func:`core_checks`.
    ``items_written_at``: check only the items whose ``updated_at`` is this (the as_of of the run
    that inserted or updated them) and their topics, see ``items_of`` in :func:`core_checks`.
    """
    scoped = items_written_at is not None
    if scoped:
        wh.con.execute(
            f"CREATE OR REPLACE TEMP TABLE {_CHECKED_ITEMS} AS SELECT item_id FROM items WHERE updated_at = ?",
            [items_written_at],
        )
    try:
        checks = core_checks(
            topic_slugs, fetch_log_run=fetch_log_run, items_of=_CHECKED_ITEMS if scoped else None
        )
        failures = []
        for check in [*checks, *extra]:
            if written is not None and check.tables and check.tables.isdisjoint(written):
                continue
            ((count, sample),) = wh.con.execute(
                f"SELECT count(*), (list(v))[1:{_SAMPLE}] FROM ({check.sql}) AS q(v)", list(check.params)
            ).fetchall()
            if count:
                failures.append(f"{check.name}: {count} row(s), e.g. {', '.join(map(str, sample))}")
        return failures
    finally:
        if scoped:
            wh.con.execute(f"DROP TABLE IF EXISTS {_CHECKED_ITEMS}")


def assert_checks(
    wh: Warehouse, *, topic_slugs: Collection[str] | None = None, extra: Sequence[Check] = ()
) -> None:
    """Raise DataCheckError listing every failed check."""
    failures = run_checks(wh, topic_slugs=topic_slugs, extra=extra)
    if failures:
        listing = "\n".join(f"- {f}" for f in failures)
        raise DataCheckError(f"{len(failures)} data check(s) failed in {wh.path}:\n{listing}")
