"""The warehouse connection: one DuckDB file, opened for the length of a run.

DuckDB lets one process hold a file read-write and then no other process may open it at all, not
even read-only. Writers therefore hold the file only for a run and wait for it (with backoff) when
another yuqing process has it; analysts read the published snapshot instead
(``warehouse/snapshot.py``, ``docs/analyst-access.md``).
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import tenacity

from yuqing.errors import StorageError

from . import undo
from .migrate import migrate, verify

DEFAULT_LOCK_TIMEOUT = 60.0  # seconds a command waits for a running flow to release the file
MEMORY = ":memory:"
SNAPSHOT_SUFFIX = ".snapshot.duckdb"

_LOCK_CONFLICT = "Could not set lock on file"
_FIRST_WAIT = 0.05
_MAX_WAIT = 1.0


def snapshot_path_for(db_path: str | os.PathLike[str]) -> Path:
    """``yuqing.duckdb`` -> ``yuqing.snapshot.duckdb`` beside it."""
    path = Path(db_path)
    return path.with_name(path.stem + SNAPSHOT_SUFFIX)


def _is_lock_conflict(error: duckdb.Error) -> bool:
    return _LOCK_CONFLICT in str(error)


def damaged_file_advice(target: str, error: duckdb.Error | str, *, read_only: bool = False) -> str:
    """What ops do when DuckDB finds the warehouse file damaged ("Corrupt database file: computed checksum …").

    A writer killed inside its checkpoint leaves that, with an undo file beside it that the next writer applies
    (warehouse/undo.py): a reader only says so. Otherwise (no undo file, or a damaged one) restore the snapshot
    published beside it at the end of the last run (docs/ops.md, "The database")."""
    head = f"the warehouse file {target} is damaged and DuckDB cannot read it ({error}); nothing was changed. "
    saved = undo.undo_path_for(target)
    if read_only and saved.is_file():
        return head + (
            f"A process was killed inside a checkpoint and saved what it was overwriting in {saved}: the next command "
            "that writes (yuqing ingest, track or digest) puts it back and loses nothing (docs/reliability.md)."
        )
    snapshot = snapshot_path_for(target)
    if not snapshot.is_file():
        return head + "No snapshot was published beside it: restore it from a backup (docs/ops.md, \"The database\")."
    written = datetime.fromtimestamp(snapshot.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return head + (
        f"The snapshot {snapshot} (written {written}) is a whole copy as at the end of the last ingest or track run. "
        f"With the worker and `yuqing serve` stopped: `mv {target} {target}.damaged && cp {snapshot} {target}`; the "
        "next ingest fetches again what came after it (docs/ops.md, \"The database\")."
    )


def _create(target: Path) -> None:
    """Create an empty database file that appears whole: written under a temporary name and linked into place,
    so a second process opening the same new path at that moment never reads a half-written file (DuckDB then
    says "exists, but it is not a valid DuckDB database file")."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{random.getrandbits(32):08x}.new")
    try:
        duckdb.connect(str(tmp)).close()
        with contextlib.suppress(FileExistsError):
            os.link(tmp, target)
    except duckdb.Error as e:
        raise StorageError(f"cannot create the warehouse {target}: {e}") from e
    finally:
        undo.remove_database(tmp)


def _open_repairing(retrying: tenacity.Retrying, target: str, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """duckdb.connect through ``retrying``; a writer refused because a checkpoint was killed half-way
    (warehouse/undo.py) puts back what it overwrote and opens again."""
    try:
        return retrying(duckdb.connect, target, read_only=read_only)
    except duckdb.Error as e:
        if read_only or target == MEMORY or undo.CORRUPT not in str(e):
            raise
        try:
            again = undo.repair(target)
        except ValueError as bad:
            raise StorageError(damaged_file_advice(target, f"{e}; {bad}")) from e
        if not again:
            raise
        return retrying(duckdb.connect, target, read_only=read_only)


def connect(
    path: str | os.PathLike[str], *, read_only: bool = False, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
) -> duckdb.DuckDBPyConnection:
    """A raw connection with TimeZone=UTC, retrying DuckDB's file-lock conflict until lock_timeout."""
    target = str(path)
    if target != MEMORY:
        if read_only and not Path(target).exists():
            raise StorageError(f"no warehouse at {target}")
        if not read_only:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            if not Path(target).exists():
                _create(Path(target))
    # Waits grow from _FIRST_WAIT up to _MAX_WAIT, with jitter so two waiting writers do not retry in
    # lock-step; the last wait ends at the deadline, where one more attempt is made.
    backoff = tenacity.wait_random_exponential(multiplier=_FIRST_WAIT, max=_MAX_WAIT)

    def wait(state: tenacity.RetryCallState) -> float:
        return min(backoff(state), max(lock_timeout - (state.seconds_since_start or 0.0), 0.0))

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(lambda e: isinstance(e, duckdb.Error) and _is_lock_conflict(e)),
        wait=wait,
        stop=tenacity.stop_after_delay(lock_timeout),
        reraise=True,
    )
    try:
        con = _open_repairing(retrying, target, read_only=read_only)
    except duckdb.Error as e:
        if undo.CORRUPT in str(e):
            raise StorageError(damaged_file_advice(target, e, read_only=read_only)) from e
        if not _is_lock_conflict(e):
            raise StorageError(f"cannot open the warehouse {target}: {e}") from e
        snapshot = snapshot_path_for(target)
        raise StorageError(
            f"the warehouse {target} is held by another yuqing process (a flow or command is "
            f"writing to it); waited {lock_timeout:g} s for it. Only one process can open the file "
            f"at a time. To query while flows run, open the published snapshot read-only: "
            f"`duckdb -readonly {snapshot}` or duckdb.connect({str(snapshot)!r}, read_only=True) "
            "(see docs/analyst-access.md)."
        ) from e
    try:
        # Stored times are TIMESTAMPTZ in UTC; with the session zone at UTC, Python datetimes
        # come back aware in UTC and naive literals in SQL mean UTC.
        con.execute("SET TimeZone = 'UTC'")
        if not read_only and target != MEMORY:
            undo.prepare(con)
            undo.discard_stale(target)
    except duckdb.Error as e:
        con.close()
        raise StorageError(f"cannot set up the session on {target}: {e}") from e
    return con


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, **tables: Any) -> Iterator[None]:
    """Arrow tables (or data frames) registered as views under their keyword names for the block, unregistered
    after it whatever happens: ``with registered(con, new_ids=table): con.execute("… FROM new_ids")``."""
    con.complete()  # a result left open by a caller would own the connection (DuckDB 2.0)
    for name, table in tables.items():
        con.register(name, table)
    try:
        yield
    finally:
        for name in tables:
            con.unregister(name)


def attributes(objects: Sequence[Any], *names: str) -> dict[str, list[Any]]:
    """Columns of an Arrow table for ``objects``: per name, that attribute of each object, in order."""
    return {name: [getattr(o, name) for o in objects] for name in names}


def _refuse_foreign(con: duckdb.DuckDBPyConnection, path: str) -> None:
    """A DuckDB file with tables but no ``schema_migrations`` belongs to another application: migrating it would
    write yuqing's tables into it. An empty file (a new warehouse) is fine."""
    if path == MEMORY:
        return
    tables = {
        name
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "UNION ALL SELECT view_name FROM duckdb_views() WHERE database_name = current_database() AND NOT internal"
        ).fetchall()
    }
    if tables and "schema_migrations" not in tables:
        raise StorageError(
            f"{path} is a DuckDB database of something else ({len(tables)} tables or views, no yuqing schema): "
            "yuqing writes nothing into it. Check --db / YUQING_DB."
        )


def _checkpoint(con: duckdb.DuckDBPyConnection, path: str, *, log_over: int = 0) -> None:
    """``undo.checkpoint``; what was committed is in the write-ahead log either way, so a checkpoint that fails is
    logged and left to the next writer."""
    try:
        undo.checkpoint(con, path, log_over=log_over)
    except (duckdb.Error, OSError) as e:
        undo.log.warning("%s: checkpoint failed (%s); the committed changes stay in its log for the next writer", path, e)


class Warehouse:
    """An open warehouse: ``.con`` is the DuckDB connection, ``.transaction()`` groups writes.

    Use ``Warehouse.open(path)`` as a context manager; it creates or migrates the database as needed.
    """

    def __init__(
        self, con: duckdb.DuckDBPyConnection, path: str, *, read_only: bool, schema_version: int
    ) -> None:
        self.con = con
        self.path = path
        self.read_only = read_only
        self.schema_version = schema_version
        self._depth = 0

    @classmethod
    @contextmanager
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        read_only: bool = False,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> Iterator[Warehouse]:
        """Open (creating and migrating as needed) for the length of the ``with`` block.

        Read-only opens only verify the schema. Waits up to lock_timeout seconds for another
        process to release the file, then raises StorageError.
        """
        con = connect(path, read_only=read_only, lock_timeout=lock_timeout)
        try:
            _refuse_foreign(con, str(path))
            version = verify(con) if read_only else migrate(con).schema_version
            yield cls(con, str(path), read_only=read_only, schema_version=version)
            # Only after a block that ended well: a failed run (a full disk, say) leaves what it committed in the
            # write-ahead log, for the next writer to fold in, and its error stays the one thing it says.
            if not read_only and str(path) != MEMORY:
                _checkpoint(con, str(path))
        finally:
            con.close()

    @property
    def in_memory(self) -> bool:
        return self.path == MEMORY

    @property
    def snapshot_path(self) -> Path:
        if self.in_memory:
            raise StorageError("an in-memory warehouse has no snapshot")
        return snapshot_path_for(self.path)

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """BEGIN … COMMIT, or ROLLBACK on any exception. A nested call joins the outer transaction.

        DuckDB errors are re-raised as StorageError; other exceptions (including bugs) propagate
        unchanged after the rollback.
        """
        if self._depth > 0:
            self._depth += 1
            try:
                yield self.con
            finally:
                self._depth -= 1
            return
        try:
            # A result a caller left open (fetchone) would own the connection in DuckDB 2.0.
            self.con.complete()
            self.con.execute("BEGIN TRANSACTION")
        except duckdb.Error as e:
            raise StorageError(f"cannot begin a transaction on {self.path}: {e}") from e
        self._depth = 1
        try:
            yield self.con
        except duckdb.Error as e:
            self._rollback()
            raise StorageError(f"warehouse write failed and was rolled back: {e}") from e
        except BaseException:
            self._rollback()
            raise
        else:
            try:
                self.con.execute("COMMIT")
            except duckdb.Error as e:
                self._rollback()
                raise StorageError(f"commit failed and was rolled back: {e}") from e
            if not self.in_memory and not self.read_only:
                _checkpoint(self.con, self.path, log_over=undo.CHECKPOINT_AFTER_WAL_BYTES)
        finally:
            self._depth = 0

    def _rollback(self) -> None:
        # The transaction may already be aborted (e.g. after a failed COMMIT): nothing to undo then.
        with contextlib.suppress(duckdb.Error):
            self.con.execute("ROLLBACK")
