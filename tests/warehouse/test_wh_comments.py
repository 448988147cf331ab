"""Every table, view and column of the warehouse says what it means (COMMENT ON, from warehouse/views/comments.toml).

A table, view or column added by a later migration or view file without a comment fails here; add it to
comments.toml (applied after every view file, so its comments are written after every view exists).
"""

from __future__ import annotations

from pathlib import Path

from warehouse.db import Warehouse

_RELATIONS = """
SELECT 'table' AS kind, table_name AS name, comment FROM duckdb_tables()
WHERE database_name = current_database() AND NOT internal AND NOT temporary
UNION ALL
SELECT 'view', view_name, comment FROM duckdb_views()
WHERE database_name = current_database() AND NOT internal AND NOT temporary
ORDER BY kind, name
"""

_COLUMNS = """
SELECT table_name, column_name, comment FROM duckdb_columns()
WHERE database_name = current_database() AND NOT internal
ORDER BY table_name, column_index
"""


def _blank(comment: str | None) -> bool:
    return comment is None or not comment.strip()


def test_every_table_view_and_column_has_a_comment(tmp_path: Path) -> None:
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        relations = wh.con.execute(_RELATIONS).fetchall()
        columns = wh.con.execute(_COLUMNS).fetchall()

    names = {name for _kind, name, _comment in relations}
    # not vacuous: the catalogue queries do see the warehouse (tables of early and late migrations, views)
    assert {"schema_migrations", "items", "alerts", "dim_regions", "v_items", "v_response_times"} <= names
    assert {table for table, _column, _comment in columns} == names

    missing = [f"{kind} {name}" for kind, name, comment in relations if _blank(comment)]
    missing += [f"column {table}.{column}" for table, column, comment in columns if _blank(comment)]
    assert not missing, (
        f"{len(missing)} without a comment; add them to warehouse/views/comments.toml:\n"
        + "\n".join(missing)
    )
