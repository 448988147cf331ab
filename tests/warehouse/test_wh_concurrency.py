"""Two processes: a writer holding the file only per run, readers on the published snapshot."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from wh_builders import T0, make_item, make_result

from warehouse.db import Warehouse, snapshot_path_for
from warehouse.snapshot import publish_snapshot
from warehouse.store import commit_source_batch
from yuqing.errors import StorageError

WRITER = Path(__file__).with_name("wh_writer.py")


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WRITER), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_line(proc: subprocess.Popen[str], expected: str) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if line != expected:
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"writer said {line!r}, expected {expected!r}; stderr:\n{err}")


def test_second_writer_waits_for_the_lock_then_succeeds(db_path: Path) -> None:
    holder = _start(str(db_path), "--hold", "1.5")
    try:
        _wait_line(holder, "locked")
        started = time.monotonic()
        with pytest.raises(StorageError) as refused, Warehouse.open(db_path, lock_timeout=0.3):
            pass
        message = str(refused.value)
        assert "held by another yuqing process" in message
        assert str(snapshot_path_for(db_path)) in message and "-readonly" in message
        assert time.monotonic() - started >= 0.3

        with Warehouse.open(db_path, lock_timeout=20) as wh:
            waited = time.monotonic() - started
            commit_source_batch(wh, "second", T0, [make_result("src-b", [make_item(1, "src-b")])])
        assert waited > 0.5  # it really waited for the holder to let go
        assert holder.wait(timeout=10) == 0
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.communicate()


def test_analysts_query_the_snapshot_while_a_writer_runs(db_path: Path) -> None:
    writer = _start(str(db_path), "--seconds", "3", "--batch", "100")
    snapshot = snapshot_path_for(db_path)
    counts: list[int] = []
    failures: list[str] = []
    ours = 0
    try:
        _wait_line(writer, "first")
        while writer.poll() is None:
            try:
                con = duckdb.connect(str(snapshot), read_only=True)
                try:
                    counts.append(int(con.execute("SELECT count(*) FROM v_items").fetchall()[0][0]))
                finally:
                    con.close()
            except duckdb.Error as e:
                failures.append(str(e))
            if len(counts) == 20 and not ours:
                # A second writer in this process takes its turn between the writer's runs.
                with Warehouse.open(db_path, lock_timeout=20) as wh:
                    batch = [make_result("src-b", [make_item(n, "src-b") for n in range(50)])]
                    ours = commit_source_batch(wh, "reader-side", T0, batch).new
                    publish_snapshot(wh)
            time.sleep(0.01)
        out, err = writer.communicate(timeout=30)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.communicate()
    assert writer.returncode == 0, err
    totals = json.loads(out.strip().splitlines()[-1])
    assert failures == []
    assert len(counts) >= 20 and ours == 50
    assert counts == sorted(counts), "snapshot counts went backwards"
    assert len(set(counts)) > 2, "the snapshot never advanced while the writer ran"
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM items").fetchall()[0][0] == totals["items"] + ours
    finally:
        con.close()
