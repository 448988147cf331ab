"""A writer killed inside its checkpoint, at the one write DuckDB makes in place (warehouse/undo.py).

The torn file is made as SIGKILL makes it: a real writer process commits items and dies in its closing checkpoint
once the undo file is written; the metadata blocks DuckDB was rewriting are then left half new (the bytes a real
checkpoint of the same files writes) and half old, as when the kill lands between two pages of that write.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from wh_builders import SOURCES, T0, AtCheckpoint, make_item, make_result

from classifiers import Classifier
from warehouse.checks import run_checks
from warehouse.db import Warehouse
from warehouse.snapshot import publish_snapshot
from warehouse.store import commit_source_batch, sync_sources
from warehouse.undo import _read_undo, checkpoint, repair, undo_path_for, wal_path_for
from yuqing.errors import StorageError

WRITER = Path(__file__).with_name("wh_writer.py")
BEFORE = 40  # items committed and checkpointed by an earlier, clean run
DYING = 25  # items the killed writer committed (in the log) before its checkpoint


def _count(db: Path) -> int:
    with Warehouse.open(db) as wh:
        assert run_checks(wh, topic_slugs=Classifier.default().topic_slugs) == []
        return int(wh.con.execute("SELECT count(*) FROM items").fetchall()[0][0])


def _killed_in_checkpoint(db: Path, when: str) -> None:
    with Warehouse.open(db) as wh:
        sync_sources(wh, SOURCES)
        commit_source_batch(wh, "clean", T0, [make_result("src-a", [make_item(n) for n in range(BEFORE)])])
        publish_snapshot(wh)
    done = subprocess.run(
        [sys.executable, str(WRITER), str(db), "--die-in-checkpoint", when, "--first", str(BEFORE), "--batch", str(DYING)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert undo_path_for(db).exists()


def _tear(db: Path, scratch: Path) -> None:
    """Leave every block the undo file saved half rewritten: its first half as the checkpoint writes it."""
    scratch.mkdir()
    shutil.copy(db, scratch / db.name)
    shutil.copy(wal_path_for(db), wal_path_for(scratch / db.name))
    con = duckdb.connect(str(scratch / db.name))
    con.execute("CHECKPOINT")
    con.close()
    after = (scratch / db.name).read_bytes()
    saved = _read_undo(undo_path_for(db))
    assert saved  # the file had metadata blocks on disk, rewritten by the checkpoint
    with open(db, "r+b") as f:
        for offset, old in saved:
            new = after[offset : offset + len(old)]
            assert new != old  # the checkpoint does rewrite this block
            f.seek(offset)
            f.write(new[: len(old) // 2])


def test_a_writer_killed_mid_checkpoint_is_repaired_by_the_next_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "yuqing.duckdb"
    _killed_in_checkpoint(db, "before")
    assert wal_path_for(db).exists()  # the killed writer's items are in the log
    _tear(db, tmp_path / "scratch")

    # Without the undo file the tear is what DuckDB refused after a kill: the file is damaged.
    control = tmp_path / "control"
    control.mkdir()
    for path in (db, wal_path_for(db)):
        shutil.copy(path, control / path.name)
    with pytest.raises(StorageError, match="is damaged and DuckDB cannot read it"), Warehouse.open(control / db.name):
        pass

    # A reader only says what will mend it; the next writer does.
    with pytest.raises(StorageError, match="the next command that writes") as refused, Warehouse.open(db, read_only=True):
        pass
    assert str(undo_path_for(db)) in str(refused.value)
    assert _count(db) == BEFORE + DYING  # nothing committed is lost
    assert f"{db}: a process was killed inside a checkpoint" in caplog.text  # said where ops look
    assert not undo_path_for(db).exists() and not wal_path_for(db).exists()  # repaired, then checkpointed whole
    assert _count(db) == BEFORE + DYING


def test_an_undo_file_left_after_a_finished_checkpoint_is_not_applied(tmp_path: Path) -> None:
    db = tmp_path / "yuqing.duckdb"
    _killed_in_checkpoint(db, "after")  # the checkpoint finished; the process died before deleting the undo file
    saved = _read_undo(undo_path_for(db))
    whole = db.read_bytes()
    # A writer refused before another repaired and checkpointed the file looks again under the lock, and does not
    # put back blocks the new header no longer reads.
    assert repair(str(db)) is True
    assert db.read_bytes() == whole and not undo_path_for(db).exists()
    undo_path_for(db).write_bytes(b"left over")  # and one left by a process killed after its checkpoint
    half_written = db.with_name(f".{undo_path_for(db).name}.4242.tmp")  # or while writing one
    half_written.write_bytes(b"half")
    assert _count(db) == BEFORE + DYING
    assert not undo_path_for(db).exists() and not half_written.exists()
    with open(db, "rb") as f:  # the blocks as the finished checkpoint left them, not the saved ones
        assert any(f.seek(offset) is not None and f.read(len(old)) != old for offset, old in saved)


def test_a_damaged_undo_file_is_refused_and_the_file_left_as_it_is(tmp_path: Path) -> None:
    db = tmp_path / "yuqing.duckdb"
    _killed_in_checkpoint(db, "before")
    _tear(db, tmp_path / "scratch")
    undo = undo_path_for(db)
    undo.write_bytes(undo.read_bytes()[:-1] + b"\0")
    torn = db.read_bytes()
    with pytest.raises(StorageError, match="does not match its checksum"), Warehouse.open(db):
        pass
    assert db.read_bytes() == torn and undo.exists()


def test_a_clean_close_leaves_one_whole_file(tmp_path: Path) -> None:
    db = tmp_path / "yuqing.duckdb"
    with Warehouse.open(db) as wh:
        sync_sources(wh, SOURCES)
        commit_source_batch(wh, "clean", T0, [make_result("src-a", [make_item(n) for n in range(3)])])
        assert wal_path_for(db).exists()  # DuckDB did not checkpoint on its own
    assert not wal_path_for(db).exists() and not undo_path_for(db).exists()
    shutil.copy(db, tmp_path / "copy.duckdb")  # the file alone holds everything
    assert _count(tmp_path / "copy.duckdb") == 3


def test_saving_the_blocks_keeps_the_file_locked_against_other_processes(tmp_path: Path) -> None:
    """The blocks are read through DuckDB's own descriptor: opening and closing the file again would release
    DuckDB's lock (POSIX drops a process's locks on a file when any of its descriptors is closed)."""
    db = tmp_path / "yuqing.duckdb"
    probe = [sys.executable, "-c", f"import duckdb; duckdb.connect({str(db)!r}, read_only=True).close()"]
    answers: list[subprocess.CompletedProcess[str]] = []

    def look() -> None:  # the undo file is written: another process tries to open the file now
        assert _read_undo(undo_path_for(db))  # blocks were read from the file
        answers.append(subprocess.run(probe, capture_output=True, text=True, timeout=60))

    with Warehouse.open(db) as wh:
        sync_sources(wh, SOURCES)
        commit_source_batch(wh, "first", T0, [make_result("src-a", [make_item(1)])])
    with Warehouse.open(db) as wh:
        commit_source_batch(wh, "second", T0, [make_result("src-a", [make_item(2)])])
        checkpoint(AtCheckpoint(wh.con, before=look), str(db))  # type: ignore[arg-type]
        assert not wal_path_for(db).exists()
    assert len(answers) == 1 and answers[0].returncode != 0
    assert "Could not set lock on file" in answers[0].stderr
    assert subprocess.run(probe, capture_output=True, text=True, timeout=60).returncode == 0


def test_a_commit_past_the_log_threshold_checkpoints_mid_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """DuckDB's own checkpoint after a commit that took the log past 16 MiB is off; yuqing's takes its place."""
    db = tmp_path / "yuqing.duckdb"
    with Warehouse.open(db) as wh:
        sync_sources(wh, SOURCES)
        commit_source_batch(wh, "small", T0, [make_result("src-a", [make_item(1)])])
        assert wal_path_for(db).exists()  # under the threshold: left for the close
        monkeypatch.setattr("warehouse.undo.CHECKPOINT_AFTER_WAL_BYTES", 0)
        commit_source_batch(wh, "past", T0, [make_result("src-a", [make_item(2)])])
        assert not wal_path_for(db).exists() and not undo_path_for(db).exists()
