from __future__ import annotations

import pytest
from wh_builders import T0, make_item, make_result, make_tags

from warehouse.checks import Check, assert_checks, run_checks
from warehouse.db import Warehouse
from warehouse.runs import start_run
from warehouse.store import commit_source_batch
from yuqing.errors import DataCheckError

SLUGS = {"epidemic", "wage_arrears", "work_safety"}


def _load(wh: Warehouse) -> None:
    commit_source_batch(wh, "run-1", T0, [make_result("src-a", [make_item(n) for n in range(3)])])
    start_run(wh, "run-1", "ingest", T0)


def test_a_clean_load_passes(wh: Warehouse) -> None:
    _load(wh)
    assert run_checks(wh, topic_slugs=SLUGS) == []
    assert_checks(wh, topic_slugs=SLUGS)


def test_violations_are_reported(wh: Warehouse) -> None:
    _load(wh)
    con = wh.con
    con.execute("UPDATE items SET severity = 'apocalyptic' WHERE item_id = 'src-a:000000'")
    con.execute("UPDATE items SET response_kinds = ['first_lunch'] WHERE item_id = 'src-a:000001'")
    con.execute("INSERT INTO item_topics VALUES ('ghost', 'epidemic', 1.0, [], 'title', 'v')")
    con.execute("INSERT INTO item_topics VALUES ('src-a:000002', 'astrology', 1.0, [], 'title', 'v')")
    con.execute(
        "INSERT INTO fetch_log (run_id, source, as_of, status, items_seen, items_new, items_updated) "
        "VALUES ('run-x', 'src-a', now(), 'exploded', 0, 0, 0)"
    )
    con.execute("UPDATE runs SET status = 'meh'")
    failures = run_checks(wh, topic_slugs=SLUGS)
    joined = "\n".join(failures)
    for expected in (
        "accepted values items.severity: 1 row(s), e.g. src-a:000000: apocalyptic",
        "accepted values items.response_kinds: 1 row(s), e.g. src-a:000001: first_lunch",
        "item_topics reference existing items: 1 row(s), e.g. ghost/epidemic",
        "accepted values item_topics.topic: 1 row(s), e.g. src-a:000002: astrology",
        "accepted values fetch_log.status: 1 row(s), e.g. run-x/src-a: exploded",
        "accepted values runs.status",
    ):
        assert expected in joined
    assert len(failures) == 6
    # Without a topic list, topics are not judged.
    assert not any("item_topics.topic" in f for f in run_checks(wh))
    with pytest.raises(DataCheckError, match="6 data check"):
        assert_checks(wh, topic_slugs=SLUGS)


def test_unique_and_not_null_checks_catch_what_constraints_would(wh: Warehouse) -> None:
    # The constraints make these impossible in the core tables, so exercise the same checks on a
    # table without them (as a damaged index or a later table without keys would look).
    wh.con.execute("CREATE TABLE loose (k VARCHAR, v VARCHAR)")
    wh.con.execute("INSERT INTO loose VALUES ('a', 'x'), ('a', 'y'), (NULL, 'z')")
    extra = [
        Check("unique loose(k)", "SELECT k FROM loose WHERE k IS NOT NULL GROUP BY k HAVING count(*) > 1"),
        Check("not null loose.k", "SELECT v FROM loose WHERE k IS NULL"),
    ]
    assert run_checks(wh, extra=extra) == [
        "unique loose(k): 1 row(s), e.g. a",
        "not null loose.k: 1 row(s), e.g. z",
    ]


def test_a_duplicate_item_or_topic_inserted_by_hand_is_caught(wh: Warehouse) -> None:
    # items and item_topics have no PRIMARY KEY (004_items_unkeyed.sql): the store keeps them
    # unique, and these checks are what notices a row that got in some other way.
    _load(wh)
    assert run_checks(wh) == []
    wh.con.execute("INSERT INTO items SELECT * FROM items WHERE item_id = 'src-a:000001'")
    wh.con.execute("INSERT INTO item_topics SELECT * FROM item_topics WHERE item_id = 'src-a:000002'")
    assert run_checks(wh) == [
        "unique items(item_id): 1 row(s), e.g. src-a:000001 x2",
        "unique item_topics(item_id, topic): 1 row(s), e.g. src-a:000002/wage_arrears x2",
    ]
    with pytest.raises(DataCheckError, match=r"unique items\(item_id\)"):
        assert_checks(wh)


def test_items_must_reference_sources(wh: Warehouse) -> None:
    commit_source_batch(wh, "run-1", T0, [make_result("src-a", [make_item(1)], tags=[make_tags(())])])
    wh.con.execute("UPDATE items SET source = 'nowhere'")
    assert run_checks(wh) == ["items reference configured sources: 1 row(s), e.g. src-a:000001 (nowhere)"]
