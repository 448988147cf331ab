"""Numbered schema migrations and the analyst views.

``warehouse/migrations/NNN_name.sql`` are applied in version order, each in its own transaction
together with its row in ``schema_migrations(version, name, applied_at, checksum)``. A migration file
must not contain BEGIN/COMMIT. A database is refused (SchemaError) when it holds a migration this code
does not know, one whose file changed after it was applied, or a version newer than the newest file:
running old code on a newer schema would silently write rows the newer code does not expect.

``warehouse/views/*.sql`` (CREATE OR REPLACE VIEW / MACRO) are applied in sorted file order after all
migrations, so a view may use any table, and then ``warehouse/views/comments.toml``, what every table, view and
column means, as COMMENT ON statements (CREATE OR REPLACE VIEW drops a view's comments). Their checksums are kept in
``schema_views``; they are re-applied only when a file changed or a migration ran, so re-opening an up-to-date
database writes nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
from pydantic import Field

from yuqing import tomlschema
from yuqing.errors import SchemaError
from yuqing.tomlschema import Table

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VIEWS_DIR = Path(__file__).parent / "views"
COMMENTS_FILE = "comments.toml"

_MIGRATION_FILE = re.compile(r"^(?P<version>\d{3})_(?P<name>[a-z0-9_]+)\.sql$")

_BOOKKEEPING_SQL = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       VARCHAR NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL,
    checksum   VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS schema_views (
    file       VARCHAR PRIMARY KEY,
    checksum   VARCHAR NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str  # file name without the .sql suffix, e.g. "001_core"
    sql: str
    checksum: str


@dataclass(frozen=True, slots=True)
class ViewFile:
    path: Path
    text: str
    checksum: str  # of the text: comparing it to the recorded one needs no rendering

    @property
    def file(self) -> str:
        return self.path.name

    def statements(self) -> str:
        """The SQL to apply: a view file as written; the comments file rendered (only when the views are applied)."""
        if self.file == COMMENTS_FILE:
            return comment_statements(self.text, where=str(self.path))
        return self.text


@dataclass(frozen=True, slots=True)
class MigrationReport:
    applied: tuple[str, ...]  # names of the migrations applied by this call
    views_applied: bool
    schema_version: int


def _checksum(text: str) -> str:
    # Line endings are normalised so a checkout on another OS does not look "modified".
    return hashlib.sha256(text.replace("\r\n", "\n").encode("utf-8")).hexdigest()


def discover_migrations(directory: Path | None = None) -> list[Migration]:
    """The migration files, in version order. Two files with one version are refused."""
    found: dict[int, Migration] = {}
    for path in sorted((directory or MIGRATIONS_DIR).glob("*.sql")):
        match = _MIGRATION_FILE.match(path.name)
        if match is None:
            raise SchemaError(
                f"migration file {path.name!r} is not named NNN_name.sql (three digits, lower-case name)"
            )
        version = int(match["version"])
        if version in found:
            raise SchemaError(
                f"two migrations share version {version:03d}: {found[version].name}.sql and {path.name}; "
                "renumber the newer one"
            )
        text = path.read_text(encoding="utf-8")
        found[version] = Migration(version, path.stem, text, _checksum(text))
    return [found[v] for v in sorted(found)]


def discover_views(directory: Path | None = None) -> list[ViewFile]:
    """The view files in the order they are applied: the SQL files by name, then the comments."""
    directory = directory or VIEWS_DIR
    paths = sorted(directory.glob("*.sql"))
    if (directory / COMMENTS_FILE).is_file():
        paths.append(directory / COMMENTS_FILE)
    views = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        views.append(ViewFile(path, text, _checksum(text)))
    return views


class _Described(Table):
    comment: str
    columns: dict[str, str] = Field(default_factory=dict)


class _Comments(Table):
    table: dict[str, _Described] = Field(default_factory=dict)
    view: dict[str, _Described] = Field(default_factory=dict)


def comment_statements(text: str, *, where: str = COMMENTS_FILE) -> str:
    """The COMMENT ON statements of a comments file (``[table.NAME]`` or ``[view.NAME]``: ``comment`` and
    ``columns``)."""
    checked = tomlschema.parse(text, _Comments, where=where)
    statements = []
    for kind, described in (("TABLE", checked.table), ("VIEW", checked.view)):
        for name, entry in described.items():
            statements.append(f'COMMENT ON {kind} "{name}" IS {_sql_string(entry.comment)};')
            statements += [
                f'COMMENT ON COLUMN "{name}"."{column}" IS {_sql_string(comment)};'
                for column, comment in entry.columns.items()
            ]
    return "\n".join(statements)


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return _has_tables(con, name)


def _has_tables(con: duckdb.DuckDBPyConnection, *names: str) -> bool:
    """True when every one of ``names`` is a table of the main schema (one catalog query)."""
    # fetchall, not fetchone: a DuckDB 2.0 result left open owns the connection.
    rows = con.execute(
        "SELECT count(DISTINCT table_name) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND list_contains(?, table_name)",
        [list(names)],
    ).fetchall()
    return rows[0][0] == len(set(names))


def applied_migrations(con: duckdb.DuckDBPyConnection) -> dict[int, tuple[str, str]]:
    """version -> (name, checksum) recorded in the database; empty for a fresh database."""
    if not _has_table(con, "schema_migrations"):
        return {}
    rows = con.execute("SELECT version, name, checksum FROM schema_migrations ORDER BY version").fetchall()
    return {int(v): (str(n), str(c)) for v, n, c in rows}


def pending_migrations(
    con: duckdb.DuckDBPyConnection, migrations: Sequence[Migration] | None = None
) -> list[Migration]:
    """Check the recorded migrations against the files; return those still to apply.

    Raises SchemaError for a newer schema or an unknown, renamed or modified migration.
    """
    known = list(discover_migrations() if migrations is None else migrations)
    by_version = {m.version: m for m in known}
    newest_known = max(by_version, default=0)
    applied = applied_migrations(con)
    for version, (name, checksum) in applied.items():
        migration = by_version.get(version)
        if migration is None:
            if version > newest_known:
                raise SchemaError(
                    f"the database schema is newer than this code: it has migration {name} "
                    f"(version {version}) but this code knows versions up to {newest_known:03d}. "
                    "Upgrade yuqing, or use a database made by this version."
                )
            raise SchemaError(
                f"the database has migration {name} (version {version}) that this code does not know; "
                "it was made by another branch of yuqing"
            )
        if migration.name != name:
            raise SchemaError(
                f"migration version {version:03d} is {name} in the database but {migration.name}.sql "
                "in the code; migrations must not be renamed or renumbered once applied"
            )
        if migration.checksum != checksum:
            raise SchemaError(
                f"migration {name}.sql was modified after it was applied to this database "
                f"(recorded checksum {checksum[:12]}…, file {migration.checksum[:12]}…); "
                "never edit an applied migration, add a new numbered one instead"
            )
    # A pending migration numbered below an applied one (folders land in parallel: 003 before 002)
    # is applied too; pending ones still run in version order.
    return [m for m in known if m.version not in applied]


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    return max(applied_migrations(con), default=0)


_Statement = tuple[str, str, list[object]]  # (what it is, for the error message; sql; parameters)


def _run_in_transaction(con: duckdb.DuckDBPyConnection, statements: Sequence[_Statement]) -> None:
    con.execute("BEGIN TRANSACTION")
    failing = ""
    try:
        for what, sql, params in statements:
            failing = what
            con.execute(sql, params)
    except duckdb.Error as e:
        con.execute("ROLLBACK")
        raise SchemaError(f"{failing} failed: {e}") from e
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def migrate(
    con: duckdb.DuckDBPyConnection,
    *,
    migrations_dir: Path | None = None,
    views_dir: Path | None = None,
) -> MigrationReport:
    """Bring the database up to date: pending migrations, then the views if anything changed."""
    migrations = discover_migrations(migrations_dir)
    pending = pending_migrations(con, migrations)  # refuses before writing anything
    if not _has_tables(con, "schema_migrations", "schema_views"):
        _run_in_transaction(con, [("creating the schema bookkeeping tables", _BOOKKEEPING_SQL, [])])
    for migration in pending:
        what = f"migration {migration.name}.sql"
        _run_in_transaction(
            con,
            [
                (what, migration.sql, []),
                (
                    what,
                    "INSERT INTO schema_migrations (version, name, applied_at, checksum) "
                    "VALUES (?, ?, now(), ?)",
                    [migration.version, migration.name, migration.checksum],
                ),
            ],
        )
    views = discover_views(views_dir)
    recorded = dict(con.execute("SELECT file, checksum FROM schema_views").fetchall())
    wanted = {v.file: v.checksum for v in views}
    views_applied = bool(pending) or recorded != wanted
    if views_applied:
        statements: list[_Statement] = [(f"view file {v.file}", v.statements(), []) for v in views]
        statements.append(("recording the views", "DELETE FROM schema_views", []))
        statements.extend(
            (
                "recording the views",
                "INSERT INTO schema_views (file, checksum, applied_at) VALUES (?, ?, now())",
                [v.file, v.checksum],
            )
            for v in views
        )
        _run_in_transaction(con, statements)
    return MigrationReport(
        applied=tuple(m.name for m in pending),
        views_applied=views_applied,
        # every applied migration is a known one (pending_migrations refuses others) and the rest
        # were applied above: the version is the newest known
        schema_version=max((m.version for m in migrations), default=0),
    )


def verify(
    con: duckdb.DuckDBPyConnection, *, migrations_dir: Path | None = None, views_dir: Path | None = None
) -> int:
    """Read-only check: the schema, and the views and macros, must be exactly what this code knows (after an upgrade a
    reader would otherwise fail on a view's missing column). Returns the version."""
    pending = pending_migrations(con, discover_migrations(migrations_dir))
    if pending:
        names = ", ".join(m.name for m in pending)
        raise SchemaError(
            f"the database needs migrations {names}; open it once read-write (any yuqing command) to apply them"
        )
    recorded = dict(con.execute("SELECT file, checksum FROM schema_views").fetchall())
    wanted = {v.file: v.checksum for v in discover_views(views_dir)}
    stale = sorted(f for f in wanted.keys() | recorded.keys() if recorded.get(f) != wanted.get(f))
    if stale:
        raise SchemaError(
            f"the database's views are older than this code ({', '.join(stale)}); open it once read-write (any yuqing "
            "command that writes, such as yuqing track) to apply them and publish its snapshot again"
        )
    return schema_version(con)
