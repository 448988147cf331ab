"""An ingest as of a past time sees the world as it was then (docs/ops.md "Backfills and replays")."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.track.synthetic import Scenario, Source, sh
from warehouse.db import Warehouse
from yuqing.pipeline import is_backfill


def test_entries_published_after_as_of_wait_for_a_later_run(tmp_path: Path) -> None:
    s = Scenario([Source("南方都市报")])
    s.post("南方都市报", "早一条", sh(6, 14, 9))
    s.post("南方都市报", "晚一条", sh(6, 14, 15))
    db = tmp_path / "y.duckdb"
    s.run(db, sh(6, 14, 12), sh(6, 14, 12))
    with Warehouse.open(db) as wh:
        assert [r[0] for r in wh.con.execute("SELECT title FROM items").fetchall()] == ["早一条"]
        # the feed's validators were not kept: the next run fetches it in full
        assert wh.con.execute("SELECT etag, last_modified FROM sources").fetchall() == [(None, None)]
    s.run(db, sh(6, 14, 18), sh(6, 14, 18))
    with Warehouse.open(db) as wh:
        rows = wh.con.execute("SELECT title, item_time FROM items ORDER BY item_time").fetchall()
    assert rows == [("早一条", sh(6, 14, 9)), ("晚一条", sh(6, 14, 15))]


def test_a_live_poll_is_not_a_backfill() -> None:
    now = sh(6, 14, 12)
    assert not is_backfill(now - timedelta(minutes=5), now)
    assert is_backfill(now - timedelta(hours=2), now)
