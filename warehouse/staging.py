"""Arrow staging: items, their classification and their topics as the loads and the retag hand them to DuckDB.

A load stages items with their tags in one table (``STAGED_SCHEMA``) and topics in another; a retag stages the
classification alone. Evidence is assembled into JSON in SQL (``evidence_sql``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime

import duckdb
import pyarrow as pa

from yuqing.models import Item, SourceResult, Tags, TopicTag

TS = pa.timestamp("us", tz="UTC")
_STR_LIST = pa.list_(pa.string())

# Items and their classification as staged for a load (one table: STAGED_SCHEMA below), and the
# classification alone for a retag; evidence is assembled into JSON in SQL.
ITEM_SCHEMA = pa.schema(
    [
        ("item_id", pa.string()),
        ("source", pa.string()),
        ("guid", pa.string()),
        ("url", pa.string()),
        ("title", pa.string()),
        ("summary", pa.string()),
        ("published_at", TS),
        ("fetched_at", TS),
        ("item_time", TS),
        ("content_hash", pa.string()),
        ("author", pa.string()),
        ("batch_source", pa.string()),  # the SourceResult that carried it, for per-source counts
    ]
)
TAG_SCHEMA = pa.schema(
    [
        ("item_id", pa.string()),
        ("region_code", pa.string()),
        ("region_name", pa.string()),
        ("severity", pa.string()),
        ("official_response", pa.bool_()),
        ("reported_response", pa.bool_()),
        ("response_kinds", _STR_LIST),
        ("issue", pa.bool_()),
        ("region_evidence", pa.string()),
        ("severity_evidence", _STR_LIST),
        ("response_evidence", _STR_LIST),
        ("issue_evidence", _STR_LIST),
        ("extra", pa.string()),
        ("classifier_version", pa.string()),
    ]
)
STAGED_SCHEMA = pa.schema([*ITEM_SCHEMA, *(f for f in TAG_SCHEMA if f.name != "item_id")])
TOPIC_SCHEMA = pa.schema(
    [
        ("item_id", pa.string()),
        ("topic", pa.string()),
        ("score", pa.float64()),
        ("terms", _STR_LIST),
        ("rule", pa.string()),
        ("classifier_version", pa.string()),
    ]
)


def evidence_sql(alias: str) -> str:
    """The items.evidence JSON of the staged classification columns of ``alias``."""
    return (
        f"json_object('region', {alias}.region_evidence, 'severity', {alias}.severity_evidence, "
        f"'response', {alias}.response_evidence, 'issue', {alias}.issue_evidence, "
        f"'extra', coalesce({alias}.extra::JSON, '{{}}'::JSON))"
    )


CLASSIFICATION_COLUMNS = (
    "region_code",
    "region_name",
    "severity",
    "official_response",
    "reported_response",
    "response_kinds",
    "issue",
    "classifier_version",
)




def require_aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        # Item times are UTC by contract; a naive one here is a bug upstream, not a feed quirk.
        raise ValueError(f"naive datetime {value!r}: warehouse times must be timezone-aware")
    return value


def tags_columns(item_ids: Sequence[str], tags: Sequence[Tags]) -> pa.Table:
    return pa.table(
        {
            "item_id": item_ids,
            "region_code": [t.region_code for t in tags],
            "region_name": [t.region_name for t in tags],
            "severity": [t.severity for t in tags],
            "official_response": [t.official_response for t in tags],
            "reported_response": [t.reported_response for t in tags],
            "response_kinds": [list(t.response_kinds) for t in tags],
            "issue": [t.issue for t in tags],
            "region_evidence": [t.region_evidence for t in tags],
            "severity_evidence": [list(t.severity_evidence) for t in tags],
            "response_evidence": [list(t.response_evidence) for t in tags],
            "issue_evidence": [list(t.issue_evidence) for t in tags],
            "extra": [
                json.dumps(t.extra, ensure_ascii=False, sort_keys=True) if t.extra else None for t in tags
            ],
            "classifier_version": [t.classifier_version for t in tags],
        },
        schema=TAG_SCHEMA,
    )


def _best_topics(topics: Iterable[TopicTag]) -> list[TopicTag]:
    """One row per slug (the highest score) so (item_id, topic) stays a key."""
    best: dict[str, TopicTag] = {}
    for topic in topics:
        kept = best.get(topic.slug)
        if kept is None or topic.score > kept.score:
            best[topic.slug] = topic
    return list(best.values())


def topics_table(item_ids: Sequence[str], tags: Sequence[Tags]) -> pa.Table:
    rows: dict[str, list[object]] = {name: [] for name in TOPIC_SCHEMA.names}
    for item_id, tag in zip(item_ids, tags, strict=True):
        for topic in _best_topics(tag.topics):
            rows["item_id"].append(item_id)
            rows["topic"].append(topic.slug)
            rows["score"].append(float(topic.score))
            rows["terms"].append(list(topic.terms))
            rows["rule"].append(topic.rule)
            rows["classifier_version"].append(tag.classifier_version)
    return pa.table(rows, schema=TOPIC_SCHEMA)


def stage_batch(batch: Sequence[SourceResult]) -> tuple[pa.Table, pa.Table]:
    """Items with their tags (STAGED_SCHEMA), and topics, of the batch.

    An item_id seen twice keeps its last occurrence.
    """
    last: dict[str, tuple[Item, Tags, str]] = {}
    for result in batch:
        for item, tag in zip(result.items, result.tags, strict=True):
            last.pop(item.item_id, None)  # re-insert so the order is that of the last occurrence
            last[item.item_id] = (item, tag, result.source)
    entries = list(last.values())
    items = [e[0] for e in entries]
    tags = [e[1] for e in entries]
    ids = [i.item_id for i in items]
    items_table = pa.table(
        {
            "item_id": ids,
            "source": [i.source for i in items],
            "guid": [i.guid for i in items],
            "url": [i.url for i in items],
            "title": [i.title for i in items],
            "summary": [i.summary for i in items],
            "published_at": [require_aware(i.published_at) for i in items],
            "fetched_at": [require_aware(i.fetched_at) for i in items],
            "item_time": [require_aware(i.item_time) for i in items],
            "content_hash": [i.content_hash for i in items],
            "author": [i.author for i in items],
            "batch_source": [e[2] for e in entries],
        },
        schema=ITEM_SCHEMA,
    )
    # One table, so the load does not join items to their tags.
    tags_table = tags_columns(ids, tags)
    for name in TAG_SCHEMA.names[1:]:
        items_table = items_table.append_column(TAG_SCHEMA.field(name), tags_table.column(name))
    return items_table, topics_table(ids, tags)


def replace_topics(
    con: duckdb.DuckDBPyConnection, changed_ids_sql: str, stored_ids_sql: str | None = None
) -> None:
    """Replace item_topics of the items selected by ``changed_ids_sql`` with the staged ones.

    ``stored_ids_sql`` selects those of them that can have stored topics (default: all of them);
    only their rows are deleted, which spares a scan of item_topics when there are none.
    """
    con.execute(f"DELETE FROM item_topics WHERE item_id IN ({stored_ids_sql or changed_ids_sql})")
    con.execute(
        "INSERT INTO item_topics (item_id, topic, score, terms, rule, classifier_version) "
        "SELECT item_id, topic, score, terms, rule, classifier_version FROM _yq_topics "
        f"WHERE item_id IN ({changed_ids_sql})"
    )
