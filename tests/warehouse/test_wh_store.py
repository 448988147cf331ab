from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import timedelta

import pytest
from wh_builders import SOURCES, T0, dump, make_item, make_result, make_tags

from warehouse import store
from warehouse.checks import run_checks
from warehouse.db import Warehouse
from warehouse.items import items_as_of, load_items, retag
from warehouse.runs import finish_run, start_run
from warehouse.store import SourceResult, commit_source_batch, load_source_states, sync_sources
from yuqing.errors import StorageError
from yuqing.models import Item, SourceConfig, SourceState, Tags, TopicTag

T1 = T0 + timedelta(hours=1)


def _count(wh: Warehouse, sql: str) -> int:
    row = wh.con.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def test_commit_writes_items_topics_state_and_fetch_log(wh: Warehouse) -> None:
    items = [dataclasses.replace(make_item(0), author="网友UU008913"), make_item(1), make_item(2)]
    tags = [
        make_tags(("wage_arrears", "work_safety")),
        make_tags(()),
        make_tags(("epidemic",), official=True),
    ]
    counts = commit_source_batch(
        wh, "run-1", T0, [make_result("src-a", items, etag='"v1"', tags=tags), make_result("src-b", [])]
    )
    assert (counts.new, counts.updated, counts.unchanged) == (3, 0, 0)
    assert counts.by_source["src-a"] == store.SourceCounts(seen=3, new=3, updated=0, status="new")
    assert counts.by_source["src-b"] == store.SourceCounts(seen=0, new=0, updated=0, status="unchanged")

    assert _count(wh, "SELECT count(*) FROM items") == 3
    assert wh.con.execute("SELECT item_id, topic FROM item_topics ORDER BY ALL").fetchall() == [
        ("src-a:000000", "wage_arrears"),
        ("src-a:000000", "work_safety"),
        ("src-a:000002", "epidemic"),
    ]
    row = wh.con.execute(
        "SELECT first_seen_at, updated_at, response_kinds, evidence, official_response FROM items "
        "WHERE item_id = 'src-a:000002'"
    ).fetchone()
    assert row is not None
    assert row[0] == T0 and row[1] == T0
    assert row[2] == ["first_response"] and row[4] is True
    assert json.loads(row[3]) == {"region": "杭州", "severity": [], "response": ["通报"], "issue": [], "extra": {}}
    states = load_source_states(wh)
    assert states["src-a"].etag == '"v1"' and states["src-a"].last_full_fetch_at == T0
    log = wh.con.execute(
        "SELECT source, status, items_seen, items_new, items_updated, charset_used, bytes FROM fetch_log ORDER BY 1"
    ).fetchall()
    assert log == [("src-a", "new", 3, 3, 0, "utf-8", 1000), ("src-b", "unchanged", 0, 0, 0, "utf-8", 1000)]
    # The stored item reads back equal to what was written, its author too.
    assert load_items(wh, T0)[0] == items[0] and items[0].author == "网友UU008913"
    assert wh.con.execute("SELECT author FROM v_items ORDER BY item_id").fetchall() == [("网友UU008913",), ("",), ("",)]


def test_same_batch_twice_changes_nothing(wh: Warehouse) -> None:
    batch = [make_result("src-a", [make_item(n) for n in range(5)], etag='"e"')]
    commit_source_batch(wh, "run-1", T0, batch)
    before = dump(wh)
    again = commit_source_batch(wh, "run-1", T0, batch)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 5)
    assert dump(wh) == before


def test_next_run_with_same_items_counts_unchanged(wh: Warehouse) -> None:
    items = [make_item(n) for n in range(4)]
    commit_source_batch(wh, "run-1", T0, [make_result("src-a", items)])
    items_before = dump(wh, "items", "item_topics")
    counts = commit_source_batch(wh, "run-2", T1, [make_result("src-a", items, status="unchanged")])
    assert counts.unchanged == 4 and counts.new == 0
    assert dump(wh, "items", "item_topics") == items_before
    assert wh.con.execute("SELECT items_new FROM fetch_log WHERE run_id = 'run-2'").fetchone() == (0,)


def test_content_change_updates_and_keeps_first_seen(wh: Warehouse) -> None:
    commit_source_batch(wh, "run-1", T0, [make_result("src-a", [make_item(1), make_item(2)])])
    changed = dataclasses.replace(make_item(1, title="更正：工地欠薪已解决", fetched_at=T1), author="某记者")
    counts = commit_source_batch(
        wh,
        "run-2",
        T1,
        [make_result("src-a", [changed, make_item(2)], tags=[make_tags(("epidemic",)), make_tags()])],
    )
    assert (counts.new, counts.updated, counts.unchanged) == (0, 1, 1)
    row = wh.con.execute(
        "SELECT title, content_hash, first_seen_at, updated_at, fetched_at, item_time, author FROM items "
        "WHERE item_id = 'src-a:000001'"
    ).fetchone()
    original = make_item(1)
    assert row == (changed.title, changed.content_hash, T0, T1, original.fetched_at, original.item_time, "某记者")
    assert wh.con.execute("SELECT topic FROM item_topics WHERE item_id = 'src-a:000001'").fetchall() == [
        ("epidemic",)
    ]
    assert wh.con.execute("SELECT items_updated FROM fetch_log WHERE run_id = 'run-2'").fetchone() == (1,)


def test_duplicates_within_a_batch_are_stored_once(wh: Warehouse) -> None:
    first = make_item(7)
    last = make_item(7, title="同一条目的新标题")
    batch = [
        make_result("src-a", [first, make_item(8), last]),
    ]
    counts = commit_source_batch(wh, "run-1", T0, batch)
    assert (counts.new, counts.updated) == (2, 0)
    assert counts.by_source["src-a"].seen == 3
    assert wh.con.execute("SELECT title FROM items WHERE item_id = 'src-a:000007'").fetchone() == (
        last.title,
    )
    # An item carried by two sources' results is stored once too.
    shared = make_item(9)
    counts = commit_source_batch(
        wh, "run-2", T0, [make_result("src-a", [shared]), make_result("src-b", [shared])]
    )
    assert counts.new == 1
    assert _count(wh, "SELECT count(*) FROM items") == 3


def test_an_item_id_is_stored_once_whatever_the_store_is_given(wh: Warehouse) -> None:
    # items has no PRIMARY KEY (004_items_unkeyed.sql): the store alone keeps item_id unique.
    items = [make_item(n) for n in range(6)]
    commit_source_batch(wh, "run-1", T0, [make_result("src-a", items)])
    retitled = [make_item(n, title=f"更新 {n}", fetched_at=T1) for n in range(3)]
    # Again in the same run, in a later run with changed content, twice in one batch, via two sources.
    commit_source_batch(wh, "run-1", T0, [make_result("src-a", items)])
    commit_source_batch(wh, "run-2", T1, [make_result("src-a", [*retitled, *items[3:], make_item(6)])])
    commit_source_batch(
        wh,
        "run-3",
        T1,
        [make_result("src-a", items + items), make_result("src-b", [*items[:2], make_item(7)])],
    )
    assert _count(wh, "SELECT count(*) FROM items") == 8
    assert _count(wh, "SELECT count(DISTINCT item_id) FROM items") == 8
    assert _count(wh, "SELECT count(*) FROM (SELECT DISTINCT item_id, topic FROM item_topics)") == _count(
        wh, "SELECT count(*) FROM item_topics"
    )
    assert run_checks(wh) == []


def test_a_retried_group_reports_the_status_fetch_log_holds(wh: Warehouse) -> None:
    """A group committed again in the same run (a retried flow task) finds its items stored by the first attempt:
    fetch_log keeps that attempt's "new", and the status the store returns, which ingest reports, says the same."""
    from yuqing.ingest import store_group

    items = [make_item(n) for n in range(3)]
    first = commit_source_batch(wh, "run-1", T0, [make_result("src-a", items)])
    assert first.by_source["src-a"].status == "new"
    rows = store_group(wh.path, "run-1", T0, [make_result("src-a", items)], warehouse=wh)
    logged = wh.con.execute("SELECT status FROM fetch_log WHERE run_id = 'run-1' AND source = 'src-a'").fetchall()
    assert logged == [("new",)]
    assert [r.status for r in rows] == ["new"]
    # In a later run the same items are nothing new.
    later = commit_source_batch(wh, "run-2", T0, [make_result("src-a", items)])
    assert later.by_source["src-a"].status == "unchanged"


def test_exception_inside_the_transaction_leaves_no_items_and_no_etag(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = dump(wh)

    def boom(*args: object) -> None:
        raise RuntimeError("crash after the items were written")

    # Fails after items, topics and source states were written, before the fetch_log rows.
    monkeypatch.setattr(store, "_upsert_fetch_logs", boom)
    with pytest.raises(RuntimeError, match="crash"):
        commit_source_batch(wh, "run-1", T0, [make_result("src-a", [make_item(1), make_item(2)], etag='"x"')])
    assert dump(wh) == before
    assert load_source_states(wh)["src-a"].etag is None
    monkeypatch.undo()
    # The same batch then commits normally: nothing was half-written.
    counts = commit_source_batch(
        wh, "run-1", T0, [make_result("src-a", [make_item(1), make_item(2)], etag='"x"')]
    )
    assert counts.new == 2 and load_source_states(wh)["src-a"].etag == '"x"'


def test_database_error_rolls_back_and_is_a_storage_error(wh: Warehouse) -> None:
    bad = dataclasses.replace(make_tags(), severity=None)  # type: ignore[arg-type]  # violates NOT NULL
    before = dump(wh)
    with pytest.raises(StorageError, match="rolled back"):
        commit_source_batch(wh, "run-1", T0, [make_result("src-a", [make_item(1)], etag='"x"', tags=[bad])])
    assert dump(wh) == before


def test_unknown_source_is_refused(wh: Warehouse) -> None:
    with pytest.raises(StorageError, match="sync_sources"):
        commit_source_batch(wh, "run-1", T0, [make_result("nowhere", [make_item(1, "nowhere")])])
    assert _count(wh, "SELECT count(*) FROM items") == 0


def test_source_result_validation() -> None:
    with pytest.raises(ValueError, match="tags must align"):
        SourceResult("src-a", SourceState("src-a"), "new", items=[make_item(1)], tags=[])
    with pytest.raises(ValueError):
        SourceResult("src-a", SourceState("src-a"), "exploded")
    with pytest.raises(ValueError, match="state is for"):
        SourceResult("src-a", SourceState("src-b"), "new")


def test_naive_datetimes_are_refused(wh: Warehouse) -> None:
    naive = dataclasses.replace(make_item(1), fetched_at=T0.replace(tzinfo=None))
    with pytest.raises(ValueError, match="naive"):
        commit_source_batch(wh, "run-1", T0, [make_result("src-a", [naive])])


def test_sync_sources_keeps_state_and_is_idempotent(wh: Warehouse) -> None:
    commit_source_batch(wh, "run-1", T0, [make_result("src-a", [], etag='"keep"')])
    before = dump(wh, "sources")
    sync_sources(wh, SOURCES, as_of=T1)
    assert dump(wh, "sources") == before
    moved = [dataclasses.replace(SOURCES[0], url="https://a.example.cn/new.xml"), SOURCES[1]]
    sync_sources(wh, moved, as_of=T1)
    row = wh.con.execute("SELECT url, etag, updated_at FROM sources WHERE name = 'src-a'").fetchone()
    assert row == ("https://a.example.cn/new.xml", '"keep"', T1)
    with pytest.raises(ValueError, match="duplicate"):
        sync_sources(wh, [SOURCES[0], SOURCES[0]])
    sync_sources(wh, [SourceConfig(name="src-c", url="https://c.example.cn/")])
    assert set(load_source_states(wh)) == {"src-a", "src-b", "src-c"}


def test_source_state_round_trips(wh: Warehouse) -> None:
    state = SourceState(
        name="src-b",
        etag='W/"abc"',
        last_modified="Wed, 01 May 2024 00:00:00 GMT",
        last_full_fetch_at=T0,
        consecutive_failures=2,
        backoff_until=T1,
        last_status="timeout",
        last_error="read timeout",
    )
    result = dataclasses.replace(
        make_result("src-b", [], status="timeout"), state=state, disposition="temporary"
    )
    commit_source_batch(wh, "run-1", T0, [result])
    assert load_source_states(wh)["src-b"] == state


def test_runs(wh: Warehouse) -> None:
    start_run(wh, "run-1", "ingest", T0, started_at=T0)
    finish_run(wh, "run-1", "ok", counts={"new": 3}, finished_at=T1)
    row = wh.con.execute("SELECT kind, as_of, started_at, finished_at, status, counts FROM runs").fetchone()
    assert row == ("ingest", T0, T0, T1, "ok", '{"new": 3}')
    start_run(wh, "run-1", "ingest", T0, started_at=T1)  # a retry keeps the first start
    assert wh.con.execute("SELECT started_at, status, finished_at FROM runs").fetchone() == (
        T0,
        "running",
        None,
    )
    with pytest.raises(StorageError, match="no run"):
        finish_run(wh, "run-9", "failed", error="x")
    with pytest.raises(ValueError):
        finish_run(wh, "run-1", "done")


def test_items_as_of_hides_the_future(wh: Warehouse) -> None:
    early = make_item(1, fetched_at=T0)
    late_fetch = make_item(2, fetched_at=T1)
    commit_source_batch(wh, "run-1", T1, [make_result("src-a", [early, late_fetch])])
    assert [r[0] for r in items_as_of(wh, T0).fetchall()] == [early.item_id]
    assert sorted(r[0] for r in items_as_of(wh, T1).fetchall()) == [early.item_id, late_fetch.item_id]
    assert [i.item_id for i in load_items(wh, T1, since=T0)] == [late_fetch.item_id]
    # The same filter is a SQL table macro for analysts.
    assert wh.con.execute("SELECT count(*) FROM items_as_of(?)", [T0]).fetchone() == (1,)


def test_retag_replaces_classification(wh: Warehouse) -> None:
    items = [make_item(n) for n in range(7)]
    commit_source_batch(wh, "run-1", T0, [make_result("src-a", items)])
    content_before = dump(wh, "items")

    def classify(batch: Sequence[Item]) -> list[Tags]:
        topic = TopicTag(slug="work_safety", score=2.0, terms=("火灾",), rule="body")
        tags = dataclasses.replace(make_tags(version="test-2", severity="major_emergency"), topics=(topic, topic))
        return [tags for _ in batch]

    seen: list[tuple[int, int]] = []
    assert retag(wh, classify, batch_size=3, progress=lambda done, total: seen.append((done, total))) == 7
    assert seen == [(3, 7), (6, 7), (7, 7)]
    assert wh.con.execute("SELECT DISTINCT topic, classifier_version FROM item_topics").fetchall() == [
        ("work_safety", "test-2")
    ]
    assert _count(wh, "SELECT count(*) FROM item_topics") == 7
    assert wh.con.execute("SELECT DISTINCT severity, classifier_version FROM items").fetchall() == [
        ("major_emergency", "test-2")
    ]
    after = dump(wh, "items")["items"]
    assert [r[:12] for r in after] == [r[:12] for r in content_before["items"]]  # content and times kept
    assert retag(wh, classify, skip_version="test-2") == 0


def test_views(wh: Warehouse) -> None:
    commit_source_batch(
        wh,
        "run-1",
        T0,
        [make_result("src-a", [make_item(1)], tags=[make_tags(("wage_arrears", "epidemic"))])],
    )
    commit_source_batch(wh, "run-2", T1, [make_result("src-a", [], status="timeout")])
    row = wh.con.execute("SELECT topics, item_time, item_time_local FROM v_items").fetchone()
    assert row is not None
    assert row[0] == ["epidemic", "wage_arrears"]
    assert row[2] == (row[1] + timedelta(hours=8)).replace(tzinfo=None)  # Asia/Shanghai, no DST
    status = wh.con.execute(
        "SELECT source, run_id, status, items_stored FROM v_fetch_status ORDER BY source"
    ).fetchall()
    assert status == [("src-a", "run-2", "timeout", 1), ("src-b", None, None, 0)]
    health = dict(wh.con.execute("SELECT source, health FROM v_source_health").fetchall())
    assert health == {"src-a": "ok", "src-b": "never_fetched"}
