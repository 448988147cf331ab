from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from wh_builders import SOURCES, T0, make_item, make_result

from warehouse.db import Warehouse
from warehouse.snapshot import connect_snapshot, publish_snapshot, snapshot_published_at
from warehouse.store import commit_source_batch, sync_sources
from yuqing.errors import StorageError


def _count(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT count(*) FROM items").fetchall()[0][0])


def test_publish_and_query_read_only(wh: Warehouse, db_path: Path) -> None:
    commit_source_batch(wh, "run-1", T0, [make_result("src-a", [make_item(n) for n in range(3)])])
    path = publish_snapshot(wh)
    assert path == db_path.with_name("yuqing.snapshot.duckdb")
    assert not [p.name for p in path.parent.iterdir() if ".tmp" in p.name]  # no temporary file left
    con = connect_snapshot(db_path)
    try:
        assert _count(con) == 3
        assert con.execute("SELECT count(*) FROM v_items WHERE topics = ['wage_arrears']").fetchall() == [
            (3,)
        ]
        assert con.execute("SELECT count(*) FROM items_as_of(?)", [T0]).fetchall() == [(3,)]
        info = con.execute("SELECT schema_version, items FROM snapshot_info").fetchall()
        assert info == [(wh.schema_version, 3)]
        with pytest.raises(duckdb.Error):
            con.execute("DELETE FROM items")
    finally:
        con.close()


def test_a_reader_keeps_its_snapshot_across_a_publish(wh: Warehouse, db_path: Path) -> None:
    commit_source_batch(wh, "run-1", T0, [make_result("src-a", [make_item(1)])])
    publish_snapshot(wh)
    old = connect_snapshot(db_path)
    try:
        commit_source_batch(wh, "run-2", T0, [make_result("src-a", [make_item(2)])])
        publish_snapshot(wh)
        assert _count(old) == 1  # still the file it opened
    finally:
        old.close()
    new = connect_snapshot(db_path)
    try:
        assert _count(new) == 2
    finally:
        new.close()


def test_snapshot_opens_as_a_read_only_warehouse(wh: Warehouse, db_path: Path) -> None:
    publish_snapshot(wh)
    with Warehouse.open(wh.snapshot_path, read_only=True) as snap:
        assert snap.schema_version == wh.schema_version


def test_publish_needs_the_writer_outside_a_transaction(wh: Warehouse, db_path: Path) -> None:
    with wh.transaction(), pytest.raises(StorageError, match="after the run's transaction"):
        publish_snapshot(wh)
    with pytest.raises(StorageError, match="no snapshot"):
        connect_snapshot(db_path)


def test_published_at_is_that_of_the_current_snapshot(wh: Warehouse, db_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    assert snapshot_published_at(wh) is None
    before = datetime.now(UTC)
    path = publish_snapshot(wh)
    published = snapshot_published_at(wh)
    assert published is not None and before - timedelta(seconds=2) <= published <= datetime.now(UTC)
    assert snapshot_published_at(path=path) == published
    con = connect_snapshot(db_path)
    try:
        inside = con.execute("SELECT published_at FROM snapshot_info").fetchall()[0][0]
    finally:
        con.close()
    assert abs(inside - published) < timedelta(seconds=2)


def _damage(path: Path) -> None:
    """Flip bytes in every block of the file (256 KiB each, after its three 4 KiB headers), as the bad checksum DuckDB
    found in a block after a process was killed mid-run (docs/reliability.md): the blocks it reads on opening fail."""
    data = bytearray(path.read_bytes())
    for block in range(12_288, len(data), 262_144):
        for k in range(block + 100, min(block + 120, len(data))):
            data[k] ^= 0xFF
    path.write_bytes(bytes(data))


def _warehouse_with_items(db_path: Path, n: int, *, publish: bool) -> Path:
    with Warehouse.open(db_path) as wh:
        sync_sources(wh, SOURCES)
        commit_source_batch(wh, "run-1", T0, [make_result("src-a", [make_item(k) for k in range(n)])])
        return publish_snapshot(wh) if publish else db_path


def test_a_damaged_warehouse_says_how_to_restore_its_snapshot_and_the_restore_works(db_path: Path) -> None:
    snapshot = _warehouse_with_items(db_path, 3, publish=True)
    _damage(db_path)
    with pytest.raises(StorageError) as raised, Warehouse.open(db_path):
        pass
    advice = str(raised.value)
    assert f"the warehouse file {db_path} is damaged" in advice and "Corrupt database file" in advice
    assert f"mv {db_path} {db_path}.damaged && cp {snapshot} {db_path}" in advice
    # Following the advice gives a warehouse that opens, passes its checks and holds the last run's items.
    db_path.rename(f"{db_path}.damaged")
    db_path.write_bytes(snapshot.read_bytes())
    with Warehouse.open(db_path) as restored:
        assert _count(restored.con) == 3


def test_a_damaged_warehouse_without_a_snapshot_points_to_the_backups(db_path: Path) -> None:
    _warehouse_with_items(db_path, 1, publish=False)
    _damage(db_path)
    with (
        pytest.raises(StorageError, match="No snapshot was published beside it: restore it from a backup"),
        Warehouse.open(db_path),
    ):
        pass
