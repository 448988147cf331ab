"""SIGKILL in the middle of ingest, again and again: the next run ends with exactly a clean run's items.

The kills land at random points of a run: while fetching, inside a write transaction, while
publishing the snapshot. DuckDB must recover its WAL, the PRIMARY KEY must hold, and no ETag may be
saved whose items were lost (the store commits both in one transaction).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import duckdb

from tests.pipeline.conftest import AS_OF

ROUNDS = 4  # fresh databases; each gets two kills then a full run
ENV = {**os.environ, "YUQING_INGEST_GROUP_SIZE": "5"}  # many small commits: more places to die


def items(db: Path) -> set[tuple[str, str]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT item_id, content_hash FROM items").fetchall()
        (dupes,) = con.execute("SELECT count(*) - count(DISTINCT item_id) FROM items").fetchone()  # type: ignore[misc]
    finally:
        con.close()
    assert dupes == 0
    return {(str(a), str(b)) for a, b in rows}


def ingest(db: Path, sources: Path, as_of_minutes: int) -> subprocess.Popen[bytes]:
    as_of = (AS_OF + timedelta(minutes=as_of_minutes)).isoformat()
    cmd = [sys.executable, "-m", "yuqing.cli", "--db", str(db), "ingest", "--sources", str(sources), "--as-of", as_of]
    return subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_sigkill_mid_ingest_loses_and_duplicates_nothing(tmp_path: Path, sources_file: Path) -> None:
    clean_db = tmp_path / "clean.duckdb"
    started = time.monotonic()
    proc = ingest(clean_db, sources_file, 0)
    assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    duration = time.monotonic() - started
    clean = items(clean_db)
    assert len(clean) > 800

    rng = random.Random(20210613)
    for round_no in range(ROUNDS):
        db = tmp_path / f"killed-{round_no}.duckdb"
        for attempt in range(2):
            proc = ingest(db, sources_file, attempt)
            time.sleep(rng.uniform(0.05, duration))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            if db.exists():
                # Whatever made it is a subset of the clean run's items, never anything else.
                assert items(db) <= clean
        proc = ingest(db, sources_file, 60 * 24 * 2)  # two days on: a full fetch of every feed
        assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
        assert items(db) == clean, f"round {round_no}"
