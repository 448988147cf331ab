"""Disk full and a read-only warehouse: the CLI exits non-zero with one readable line (no traceback),
and once space or write access is back the database opens, passes its data checks, and a re-run
completes with every item.

The database lives on a small tmpfs mounted for the test (needs root; skipped otherwise).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from classifiers import Classifier
from tests.conftest import ROOT
from tests.reliability.conftest import real_feeds_dir
from warehouse.checks import run_checks
from warehouse.db import Warehouse
from yuqing.feedserver import FeedServer
from yuqing.timeutil import SHANGHAI

AS_OF = datetime(2021, 6, 18, 8, 0, tzinfo=SHANGHAI)


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if os.geteuid() != 0 or _mount("-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)).returncode != 0:
        pytest.skip("needs root and permission to mount a tmpfs")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with FeedServer(real_feeds_dir()) as server:
        path = tmp_path_factory.mktemp("disk") / "sources.toml"
        path.write_text(
            "".join(
                f'[[source]]\nname = "{p.stem}"\nurl = "{server.url(p.name)}"\n\n'
                for p in sorted(real_feeds_dir().glob("*.xml"))
            ),
            encoding="utf-8",
        )
        yield path


def cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "yuqing.cli", "--db", str(db), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_clean_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines and lines[0].startswith("yuqing "), proc.stderr
    assert len(lines) <= 3, proc.stderr
    return proc.stderr


def items_and_checks(db: Path) -> int:
    with Warehouse.open(db) as wh:
        assert run_checks(wh, topic_slugs=Classifier.default().topic_slugs) == []
        return int(wh.con.execute("SELECT count(*) FROM items").fetchone()[0])  # type: ignore[index]


def test_disk_full_during_ingest(small_fs: Path, sources: Path, tmp_path: Path) -> None:
    db = small_fs / "y.duckdb"
    proc = cli(db, "ingest", "--sources", str(sources), "--as-of", AS_OF.isoformat())
    message = assert_clean_error(proc)
    assert "space" in message.lower() or "write" in message.lower() or "i/o" in message.lower(), message
    # Ops free space: the database opens, passes its checks, and a re-run completes.
    assert _mount("-o", "remount,size=64m", str(small_fs)).returncode == 0
    items_and_checks(db)
    proc = cli(db, "ingest", "--sources", str(sources), "--as-of", AS_OF.isoformat())
    assert proc.returncode == 0, proc.stderr
    reference = tmp_path / "ref.duckdb"
    assert cli(reference, "ingest", "--sources", str(sources), "--as-of", AS_OF.isoformat()).returncode == 0
    assert items_and_checks(db) == items_and_checks(reference) > 800


def test_read_only_warehouse(small_fs: Path, sources: Path) -> None:
    assert _mount("-o", "remount,size=64m", str(small_fs)).returncode == 0
    db = small_fs / "y.duckdb"
    assert cli(db, "ingest", "--sources", str(sources), "--as-of", AS_OF.isoformat()).returncode == 0
    before = items_and_checks(db)
    assert _mount("-o", "remount,ro", str(small_fs)).returncode == 0
    for args in (
        ("ingest", "--sources", str(sources), "--as-of", AS_OF.isoformat()),
        ("track", "--as-of", AS_OF.isoformat()),
    ):
        assert_clean_error(cli(db, *args))
    assert _mount("-o", "remount,rw", str(small_fs)).returncode == 0
    assert items_and_checks(db) == before
    assert cli(db, "track", "--as-of", AS_OF.isoformat()).returncode == 0
