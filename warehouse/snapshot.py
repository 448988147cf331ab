"""The published read-only snapshot that analysts query while flows write.

DuckDB allows no other process to open a file held read-write, not even read-only. So after a run
the writer, still holding its connection, copies the whole database into a temporary file
(``ATTACH`` + ``COPY FROM DATABASE``), checkpoints it, and renames it over
``<db stem>.snapshot.duckdb``. The rename is atomic: a new reader opens either the old or the new
complete file, and a reader that already had the old one open keeps reading it. See
``docs/analyst-access.md``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from yuqing.errors import StorageError
from yuqing.timeutil import utcnow

from . import undo
from .db import Warehouse, snapshot_path_for

_ALIAS = "yq_snapshot"


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quote_ident(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


# The analysts' shell is the registry's DuckDB CLI (duckdb-cli 1.5.6, pinned in pyproject.toml), which reads storage
# versions up to v1.5.0; the snapshot is written in that version so it opens as it is (the live file stays in 2.0's).
SNAPSHOT_STORAGE_VERSION = "v1.5.0"


def publish_snapshot(wh: Warehouse, *, dest: str | os.PathLike[str] | None = None) -> Path:
    """Copy the warehouse into its snapshot file atomically; return the snapshot's path.

    Must be called on a read-write warehouse outside a transaction. The snapshot carries a
    one-row table ``snapshot_info(published_at, schema_version, items)`` saying how fresh it is.
    """
    if wh.read_only:
        raise StorageError("publish_snapshot needs the writer's connection (the warehouse is read-only)")
    if wh.in_transaction:
        raise StorageError("publish_snapshot must run after the run's transaction committed")
    final = Path(dest) if dest is not None else wh.snapshot_path
    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    undo.remove_database(tmp)
    con = wh.con
    try:
        main = str(con.execute("SELECT current_database()").fetchall()[0][0])
        con.execute(
            f"ATTACH {_quote_literal(str(tmp))} AS {_ALIAS} (STORAGE_VERSION '{SNAPSHOT_STORAGE_VERSION}')"
        )
        try:
            con.execute(f"COPY FROM DATABASE {_quote_ident(main)} TO {_ALIAS}")
            con.execute(
                f"CREATE TABLE {_ALIAS}.snapshot_info AS "
                "SELECT $published_at::TIMESTAMPTZ AS published_at, "
                f"(SELECT max(version) FROM {_quote_ident(main)}.schema_migrations) AS schema_version, "
                f"(SELECT count(*) FROM {_quote_ident(main)}.items) AS items",
                {"published_at": utcnow()},
            )
            # Leave a single self-contained file (no WAL) before it becomes visible.
            con.execute(f"CHECKPOINT {_ALIAS}")
        finally:
            con.execute(f"DETACH {_ALIAS}")
        os.replace(tmp, final)
    except duckdb.Error as e:
        undo.remove_database(tmp)
        raise StorageError(f"publishing the snapshot {final} failed: {e}") from e
    except BaseException:
        undo.remove_database(tmp)
        raise
    return final


def snapshot_published_at(
    wh: Warehouse | None = None, *, path: str | os.PathLike[str] | None = None
) -> datetime | None:
    """When the current snapshot of ``wh`` (or the snapshot file ``path``) was published; None if none.

    A snapshot file is complete when it appears (it is renamed into place after its last write), so
    its modification time is its publication time; ``snapshot_info.published_at`` inside it says
    the same to analysts.
    """
    if path is None:
        if wh is None:
            raise ValueError("snapshot_published_at needs a warehouse or a snapshot path")
        if wh.in_memory:
            return None
        path = wh.snapshot_path
    try:
        mtime = os.stat(path).st_mtime
    except FileNotFoundError:
        return None
    return datetime.fromtimestamp(mtime, UTC)


def connect_snapshot(db_path: str | os.PathLike[str]) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the snapshot of ``db_path`` (times shown in UTC).

    Reconnect to see a newer snapshot: within one process DuckDB reuses an already open database.
    """
    path = snapshot_path_for(db_path)
    if not path.exists():
        raise StorageError(f"no snapshot at {path} yet; it is published after each flow run")
    try:
        con = duckdb.connect(str(path), read_only=True)
        con.execute("SET TimeZone = 'UTC'")
    except duckdb.Error as e:
        raise StorageError(f"cannot open the snapshot {path}: {e}") from e
    return con
