"""A mistyped --db gives an error, not a false all-clear, and no command writes into another application's DuckDB
file. Through the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest


def yq(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "yuqing.cli", *args], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ))  # fmt: skip


@pytest.mark.parametrize(
    "args", [("overdue",), ("overdue", "--json"), ("event", "ev-1"), ("alerts",), ("digest", "--out", "d.eml")]
)
def test_commands_that_only_read_refuse_a_database_that_does_not_exist(tmp_path: Path, args: tuple[str, ...]) -> None:
    typo = tmp_path / "typo" / "yuqnig.duckdb"
    proc = yq("--db", str(typo), *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"no warehouse at {typo}" in proc.stderr and "no overdue" not in proc.stdout
    assert not typo.exists() and not typo.parent.exists()


def test_no_command_writes_into_another_applications_duckdb_file(tmp_path: Path) -> None:
    other = tmp_path / "sales.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE orders (id INTEGER, amount DOUBLE)")
    con.execute("INSERT INTO orders VALUES (1, 9.5)")
    con.close()
    for args in (("overdue",), ("track",), ("retag",)):
        proc = yq("--db", str(other), *args)
        assert proc.returncode == 2 and "a DuckDB database of something else" in proc.stderr, (args, proc.stderr)
    con = duckdb.connect(str(other), read_only=True)
    try:
        tables = sorted(name for (name,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall())
        views = con.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchone()
    finally:
        con.close()
    assert tables == ["orders"] and views == (0,)
