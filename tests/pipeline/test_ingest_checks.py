"""Data checks after ingest: the tables a run wrote, everything after a run that did not finish."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from tests.pipeline.conftest import AS_OF
from warehouse.checks import core_checks, run_checks
from warehouse.db import Warehouse
from warehouse.runs import start_run
from yuqing import pipeline
from yuqing.errors import DataCheckError
from yuqing.timeutil import to_utc


def _duplicate_an_item(db: Path) -> str:
    """What a bad write would leave behind: one item stored twice (items has no PRIMARY KEY)."""
    con = duckdb.connect(str(db))
    try:
        [(item_id,)] = con.execute("SELECT min(item_id) FROM items").fetchall()
        con.execute("INSERT INTO items SELECT * FROM items WHERE item_id = ?", [item_id])
    finally:
        con.close()
    return str(item_id)


def _statuses(db: Path) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [s for (s,) in con.execute("SELECT status FROM runs ORDER BY started_at").fetchall()]
    finally:
        con.close()


def test_written_tables_select_the_checks(tmp_path: Path) -> None:
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        wh.con.execute(
            "INSERT INTO fetch_log (run_id, source, as_of, status, items_seen, items_new, items_updated) "
            "VALUES ('r', 'nowhere', now(), 'not_modified', 0, 0, 0)"
        )
        # A fetch_log row without its source fails whenever fetch_log was written, never otherwise.
        failures = ["fetch_log references configured sources: 1 row(s), e.g. r/nowhere"]
        assert run_checks(wh) == run_checks(wh, written={"fetch_log", "runs"}) == failures
        assert run_checks(wh, written={"items", "item_topics"}) == []
        # Scoped to a run, the fetch_log checks read that run's rows only.
        assert run_checks(wh, fetch_log_run="r") == failures
        assert run_checks(wh, fetch_log_run="another run") == []
        # Every core check names the tables it verifies.
        assert all(check.tables for check in core_checks(("a",)))


def test_a_repoll_checks_what_it_wrote_and_a_run_after_a_crash_checks_everything(
    tmp_path: Path, sources_file: Path
) -> None:
    db = tmp_path / "w.duckdb"
    assert pipeline.ingest(db, sources_file, as_of=AS_OF).status == "ok"
    duplicated = _duplicate_an_item(db)

    # Every feed answers 304: the run wrote no item, so the items checks are not run (they passed
    # after the last write of items, and at ten million items they are a scan each).
    repoll = pipeline.ingest(db, sources_file, as_of=AS_OF + timedelta(minutes=15))
    assert repoll.new == repoll.updated == 0 and repoll.status == "ok"

    # A run killed after its writes stays "running"; the run after it checks every table.
    with Warehouse.open(db) as wh:
        start_run(wh, "ingest-killed", "ingest", AS_OF + timedelta(minutes=20))
    with pytest.raises(DataCheckError, match=rf"unique items\(item_id\): 1 row\(s\), e.g. {duplicated}"):
        pipeline.ingest(db, sources_file, as_of=AS_OF + timedelta(minutes=30))
    assert _statuses(db)[-1] == "failed"

    # And after a failed run, the next one checks everything again: the failure keeps showing.
    with pytest.raises(DataCheckError, match=r"unique items\(item_id\)"):
        pipeline.ingest(db, sources_file, as_of=AS_OF + timedelta(minutes=45))


def test_scoped_item_checks_read_the_run_s_items_and_every_copy_of_their_ids(
    tmp_path: Path, sources_file: Path
) -> None:
    db = tmp_path / "w.duckdb"
    first = pipeline.ingest(db, sources_file, as_of=AS_OF)
    later = to_utc(AS_OF) + timedelta(hours=1)
    with Warehouse.open(db) as wh:
        assert run_checks(wh, items_written_at=first.as_of) == []
        # A later run writes a second row for an id stored by the first run, and an item with an
        # unknown severity: both are its own rows, so its scoped checks find both.
        [(item_id,)] = wh.con.execute("SELECT min(item_id) FROM items").fetchall()
        wh.con.execute(
            "INSERT INTO items SELECT * REPLACE ($later AS updated_at) FROM items WHERE item_id = $id",
            {"later": later, "id": item_id},
        )
        wh.con.execute(
            "INSERT INTO items SELECT * REPLACE ('x' || item_id AS item_id, 'unknown' AS severity, $later AS updated_at) "
            "FROM items WHERE item_id = $id LIMIT 1",
            {"later": later, "id": item_id},
        )
        failures = run_checks(wh, items_written_at=later)
        assert [f.split(":")[0] for f in failures] == ["unique items(item_id)", "accepted values items.severity"]
        assert f"e.g. {item_id} x2" in failures[0]
        # A run that wrote nothing at that time does not read them; a full check does.
        assert run_checks(wh, items_written_at=later + timedelta(minutes=15)) == []
        assert len(run_checks(wh)) == 2
