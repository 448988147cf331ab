"""Reading stored items as of a time, and re-tagging them after a classifier change."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import duckdb

from yuqing.models import Item, Tags

from .db import Warehouse, registered
from .staging import (
    CLASSIFICATION_COLUMNS,
    evidence_sql,
    replace_topics,
    require_aware,
    tags_columns,
    topics_table,
)

DEFAULT_RETAG_BATCH = 5000

_ITEM_COLUMNS = (
    "item_id, source, guid, url, title, summary, published_at, fetched_at, item_time, content_hash, author"
)


def _row_to_item(row: tuple[object, ...]) -> Item:
    return Item(*row)  # type: ignore[arg-type]  # columns are _ITEM_COLUMNS, in Item's field order


def items_as_of(wh: Warehouse, as_of: datetime, *, since: datetime | None = None) -> duckdb.DuckDBPyRelation:
    """The items rows that exist for a step run at ``as_of`` (docs/design.md "Time").

    Backed by the SQL table macro ``items_as_of(ts)``; ``since`` also drops items older than it.
    Returns a lazy relation: ``.fetchall()``, ``.to_arrow_table()``, or compose it further.
    """
    return wh.con.sql(
        "SELECT * FROM items_as_of($as_of) WHERE $since IS NULL OR item_time >= $since",
        params={"as_of": require_aware(as_of), "since": require_aware(since)},
    )


def load_items(wh: Warehouse, as_of: datetime, *, since: datetime | None = None) -> list[Item]:
    """``items_as_of`` as Item objects, in item_time order."""
    rows = wh.con.execute(
        f"SELECT {_ITEM_COLUMNS} FROM items_as_of($as_of) WHERE $since IS NULL OR item_time >= $since "
        "ORDER BY item_time, item_id",
        {"as_of": require_aware(as_of), "since": require_aware(since)},
    ).fetchall()
    return [_row_to_item(r) for r in rows]


def retag(
    wh: Warehouse,
    classify_fn: Callable[[Sequence[Item]], list[Tags]],
    batch_size: int = DEFAULT_RETAG_BATCH,
    progress: Callable[[int, int], None] | None = None,
    *,
    skip_version: str | None = None,
) -> int:
    """Re-classify stored items (after a lexicon or model change), one transaction per batch.

    ``classify_fn`` classifies a batch of items (the model scores a batch at once).

    Replaces the classification columns and item_topics; content and times are untouched.
    ``skip_version`` leaves items already at that classifier version (to resume an interrupted
    retag). ``progress(done, total)`` is called after each batch. Returns the number re-tagged.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    filter_sql = "($skip IS NULL OR classifier_version IS DISTINCT FROM $skip)"
    total = int(
        wh.con.execute(f"SELECT count(*) FROM items WHERE {filter_sql}", {"skip": skip_version}).fetchall()[
            0
        ][0]
    )
    done = 0
    after = ""
    while True:
        rows = wh.con.execute(
            f"SELECT {_ITEM_COLUMNS} FROM items WHERE item_id > $after AND {filter_sql} "
            "ORDER BY item_id LIMIT $limit",
            {"after": after, "skip": skip_version, "limit": batch_size},
        ).fetchall()
        if not rows:
            break
        items = [_row_to_item(r) for r in rows]
        tags = classify_fn(items)
        _write_tags(wh, [i.item_id for i in items], tags)
        done += len(items)
        after = items[-1].item_id
        if progress is not None:
            progress(done, total)
    return done


def _write_tags(wh: Warehouse, item_ids: Sequence[str], tags: Sequence[Tags]) -> None:
    with registered(wh.con, _yq_tags=tags_columns(item_ids, tags), _yq_topics=topics_table(item_ids, tags)):
        assignments = ", ".join(f"{c} = t.{c}" for c in CLASSIFICATION_COLUMNS)
        with wh.transaction() as con:
            con.execute(
                f"UPDATE items SET {assignments}, evidence = {evidence_sql('t')} "
                "FROM _yq_tags AS t WHERE items.item_id = t.item_id"
            )
            replace_topics(con, "SELECT item_id FROM _yq_tags")
