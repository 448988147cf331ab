from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from wh_builders import SOURCES, T0, dump, make_item, make_result, make_tags

from warehouse.checks import run_checks
from warehouse.db import Warehouse, connect
from warehouse.migrate import MIGRATIONS_DIR, discover_migrations, migrate
from warehouse.runs import start_run
from warehouse.store import commit_source_batch, sync_sources
from yuqing.errors import SchemaError

CORE_TABLES = {"sources", "items", "item_topics", "fetch_log", "runs", "schema_migrations", "schema_views"}
CORE_VIEWS = {"v_items", "v_fetch_status", "v_source_health"}


def _names(con: duckdb.DuckDBPyConnection, kind: str) -> set[str]:
    fn = "duckdb_tables" if kind == "table" else "duckdb_views"
    return {r[0] for r in con.execute(f"SELECT {kind}_name FROM {fn}() WHERE NOT internal").fetchall()}


def test_open_creates_schema_and_records_migrations(db_path: Path) -> None:
    with Warehouse.open(db_path) as wh:
        assert _names(wh.con, "table") >= CORE_TABLES
        assert _names(wh.con, "view") >= CORE_VIEWS
        rows = wh.con.execute("SELECT version, name, checksum, applied_at FROM schema_migrations").fetchall()
        known = discover_migrations()
        assert [(r[0], r[1], r[2]) for r in rows] == [(m.version, m.name, m.checksum) for m in known]
        assert rows[0][:2] == (1, "001_core")
        assert wh.schema_version == known[-1].version
        # Keys are PRIMARY KEY constraints declared in CREATE TABLE, except items and item_topics
        # (004_items_unkeyed.sql: the store keeps them unique, checks.py verifies it).
        pks = {
            r[0]
            for r in wh.con.execute(
                "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
            ).fetchall()
        }
        assert {"sources", "fetch_log", "runs"} <= pks
        assert not pks & {"items", "item_topics"}


def test_reopen_is_a_no_op(db_path: Path) -> None:
    with Warehouse.open(db_path) as wh:
        before = wh.con.execute("SELECT * FROM schema_migrations ORDER BY version").fetchall()
        views_before = wh.con.execute("SELECT * FROM schema_views ORDER BY file").fetchall()
    con = connect(db_path)
    try:
        report = migrate(con)
        assert report.applied == ()
        assert report.views_applied is False
        assert con.execute("SELECT * FROM schema_migrations ORDER BY version").fetchall() == before
        assert con.execute("SELECT * FROM schema_views ORDER BY file").fetchall() == views_before
    finally:
        con.close()


def test_newer_schema_is_refused(db_path: Path) -> None:
    with Warehouse.open(db_path) as wh:
        wh.con.execute("INSERT INTO schema_migrations VALUES (999, '999_future', now(), 'x')")
    for read_only in (False, True):
        with (
            pytest.raises(SchemaError, match="newer than this code"),
            Warehouse.open(db_path, read_only=read_only),
        ):
            pass


def test_edited_migration_is_refused(db_path: Path) -> None:
    with Warehouse.open(db_path) as wh:
        wh.con.execute("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")
    with pytest.raises(SchemaError, match=r"001_core\.sql was modified"), Warehouse.open(db_path):
        pass


def _write(directory: Path, name: str, sql: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(sql, encoding="utf-8")


def test_custom_folder_edit_unknown_and_failure(tmp_path: Path) -> None:
    migrations, views = tmp_path / "migrations", tmp_path / "views"
    _write(migrations, "001_a.sql", "CREATE TABLE a (id INTEGER PRIMARY KEY);")
    _write(views, "v_a.sql", "CREATE OR REPLACE VIEW v_a AS SELECT * FROM a;")
    con = connect(tmp_path / "t.duckdb")
    try:
        assert migrate(con, migrations_dir=migrations, views_dir=views).applied == ("001_a",)

        # A failing migration is rolled back whole and not recorded.
        _write(migrations, "002_b.sql", "CREATE TABLE b (id INTEGER);\nSELEC broken;")
        with pytest.raises(SchemaError, match=r"002_b\.sql failed"):
            migrate(con, migrations_dir=migrations, views_dir=views)
        assert "b" not in _names(con, "table")
        assert [r[0] for r in con.execute("SELECT version FROM schema_migrations").fetchall()] == [1]

        # Fixed, it applies; a changed view file is re-applied.
        _write(migrations, "002_b.sql", "CREATE TABLE b (id INTEGER);")
        _write(views, "v_a.sql", "CREATE OR REPLACE VIEW v_a AS SELECT id, 1 AS one FROM a;")
        report = migrate(con, migrations_dir=migrations, views_dir=views)
        assert report.applied == ("002_b",) and report.views_applied
        assert [d[0] for d in con.execute("SELECT * FROM v_a").description] == ["id", "one"]

        # Editing an applied migration is refused before anything is written.
        _write(migrations, "001_a.sql", "CREATE TABLE a (id BIGINT PRIMARY KEY);")
        with pytest.raises(SchemaError, match="modified after it was applied"):
            migrate(con, migrations_dir=migrations, views_dir=views)
        _write(migrations, "001_a.sql", "CREATE TABLE a (id INTEGER PRIMARY KEY);")

        # A recorded version the files lack (another branch) is refused.
        (migrations / "002_b.sql").rename(migrations / "003_b.sql")
        with pytest.raises(SchemaError, match=r"does not know|renamed"):
            migrate(con, migrations_dir=migrations, views_dir=views)
        (migrations / "003_b.sql").rename(migrations / "002_b.sql")

        # A broken view file is named.
        _write(views, "v_bad.sql", "CREATE OR REPLACE VIEW v_bad AS SELECT * FROM missing_table;")
        with pytest.raises(SchemaError, match=r"view file v_bad\.sql failed"):
            migrate(con, migrations_dir=migrations, views_dir=views)
    finally:
        con.close()


def test_duplicate_version_and_bad_names_are_refused(tmp_path: Path) -> None:
    _write(tmp_path / "m", "001_a.sql", "SELECT 1;")
    _write(tmp_path / "m", "001_b.sql", "SELECT 1;")
    with pytest.raises(SchemaError, match="share version 001"):
        discover_migrations(tmp_path / "m")
    _write(tmp_path / "n", "1_a.sql", "SELECT 1;")
    with pytest.raises(SchemaError, match="NNN_name"):
        discover_migrations(tmp_path / "n")


def test_shipped_migrations_are_well_formed() -> None:
    migrations = discover_migrations(MIGRATIONS_DIR)
    assert migrations[0].name == "001_core"
    for m in migrations:
        assert "BEGIN" not in m.sql.upper().split("--")[0]  # applied inside our own transaction


def test_read_only_open_verifies_without_writing(db_path: Path) -> None:
    with pytest.raises(Exception, match="no warehouse"), Warehouse.open(db_path, read_only=True):
        pass
    with Warehouse.open(db_path):
        pass
    with Warehouse.open(db_path, read_only=True) as wh:
        assert wh.read_only
        assert wh.con.execute("SELECT count(*) FROM v_items").fetchone() == (0,)


def test_read_only_open_refuses_views_older_than_the_code(db_path: Path) -> None:
    """After an upgrade that changed only the views, a reader of a file (or a snapshot) no writer has opened since would
    fail on a view's missing column; it is told to open the file read-write once instead."""
    with Warehouse.open(db_path) as wh:
        wh.con.execute("UPDATE schema_views SET checksum = 'old' WHERE file = 'v_overdue.sql'")
    with (
        pytest.raises(SchemaError, match=r"views are older than this code \(v_overdue.sql\)"),
        Warehouse.open(db_path, read_only=True),
    ):
        pass
    with Warehouse.open(db_path) as wh:  # a writer applies them
        assert wh.con.execute("SELECT checksum != 'old' FROM schema_views WHERE file = 'v_overdue.sql'").fetchone() == (True,)
    with Warehouse.open(db_path, read_only=True) as wh:
        assert wh.con.execute("SELECT count(*) FROM v_overdue").fetchone() == (0,)


def test_timestamps_round_trip_as_aware_utc(db_path: Path) -> None:
    moment = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
    with Warehouse.open(db_path) as wh:
        value = wh.con.execute("SELECT ?::TIMESTAMPTZ", [moment]).fetchone()
        assert value is not None
        assert value[0] == moment and value[0].utcoffset().total_seconds() == 0
        # A naive literal in SQL means UTC on a warehouse connection.
        literal = wh.con.execute("SELECT TIMESTAMPTZ '2024-05-01 08:30:00'").fetchone()
        assert literal is not None and literal[0] == moment


def test_in_memory_warehouse_is_migrated() -> None:
    with Warehouse.open(":memory:") as wh:
        assert wh.in_memory and wh.schema_version >= 1
        assert wh.con.execute("SELECT count(*) FROM v_items").fetchall() == [(0,)]


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[object, ...]]:
    return con.execute(
        "SELECT column_name, data_type, is_nullable, column_default FROM duckdb_columns() "
        "WHERE table_name = ? ORDER BY column_index",
        [table],
    ).fetchall()


def test_unkeyed_items_migration_keeps_every_row(tmp_path: Path) -> None:
    # The data, written by today's store into a database of today's schema ...
    current = tmp_path / "current.duckdb"
    with Warehouse.open(current) as wh:
        sync_sources(wh, SOURCES)
        items = [make_item(n) for n in range(40)] + [make_item(n, "src-b") for n in range(10)]
        tags = [make_tags(("wage_arrears", "epidemic")[: n % 3]) for n in range(50)]
        commit_source_batch(wh, "run-1", T0, [make_result("src-a", items[:40], tags=tags[:40]),
                                              make_result("src-b", items[40:], tags=tags[40:])])  # fmt: skip
        changed = make_item(3, title="更正：工地欠薪已解决", fetched_at=T0 + timedelta(hours=1))
        commit_source_batch(wh, "run-2", T0 + timedelta(hours=1),
                            [make_result("src-a", [changed], tags=[make_tags(("work_safety",))])])  # fmt: skip
        start_run(wh, "run-2", "ingest", T0)
    # ... copied into a database made by migrations 001-003 (items and item_topics keyed, no issue column).
    old = tmp_path / "old-migrations"
    for m in discover_migrations():
        if m.version <= 3:
            _write(old, f"{m.name}.sql", m.sql)
    no_views = tmp_path / "no-views"
    no_views.mkdir()
    path = tmp_path / "t.duckdb"
    con = connect(path)
    try:
        assert migrate(con, migrations_dir=old, views_dir=no_views).schema_version == 3
        con.execute(f"ATTACH '{current}' AS cur (READ_ONLY)")
        for table in ("sources", "items", "item_topics", "fetch_log", "runs"):
            exclude = {"items": " EXCLUDE (issue, author)", "runs": " EXCLUDE (host, pid)"}.get(table, "")
            con.execute(f"INSERT INTO {table} SELECT *{exclude} FROM cur.main.{table}")
        con.execute("DETACH cur")
        wh = Warehouse(con, str(path), read_only=False, schema_version=3)
        before = dump(wh, "sources", "items", "item_topics", "fetch_log", "runs")
        columns = {t: _columns(con, t) for t in ("items", "item_topics")}
    finally:
        con.close()
    assert len(before["items"]) == 50 and len(before["item_topics"]) == 50

    with Warehouse.open(path) as wh:
        assert wh.schema_version >= 5
        after = dump(wh, "sources", "item_topics", "fetch_log", "runs")
        after["runs"] = [r[:8] for r in after["runs"]]  # 008 adds host and pid (unknown for old runs)
        assert after == {k: v for k, v in before.items() if k != "items"}
        names = [c[0] for c in columns["items"]]
        assert wh.con.execute(f"SELECT {', '.join(names)} FROM items ORDER BY ALL").fetchall() == sorted(
            before["items"]
        )
        # 005 adds `issue`, set for stored items by the rule events were opened by before it: on a topic
        # and neither an official nor a reported response
        issue = dict(wh.con.execute("SELECT item_id, issue FROM items").fetchall())
        topical = {r[0] for r in wh.con.execute("SELECT DISTINCT item_id FROM item_topics").fetchall()}
        assert issue == {iid: iid in topical for iid in issue} and any(issue.values())
        # 011 adds `author`, empty for what was stored before it (feeds were read without it)
        assert wh.con.execute("SELECT DISTINCT author FROM items").fetchall() == [("",)]
        columns["items"] = [*columns["items"], ("issue", "BOOLEAN", True, "false"), ("author", "VARCHAR", True, "''")]
        # Same columns, order, types and NOT NULL constraints; no PRIMARY KEY left on either table.
        assert {t: _columns(wh.con, t) for t in ("items", "item_topics")} == columns
        keyed = wh.con.execute(
            "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' "
            "AND table_name IN ('items', 'item_topics')"
        ).fetchall()
        assert keyed == []
        assert run_checks(wh) == []
        # The store keeps writing to the rebuilt tables.
        counts = commit_source_batch(wh, "run-3", T0, [make_result("src-a", [make_item(3), make_item(99)])])
        assert (counts.new, counts.updated) == (1, 1)
        assert run_checks(wh) == []


def test_dimensions_roll_up_and_the_daily_spine_has_zero_days(tmp_path: Path) -> None:
    from yuqing import pipeline

    with Warehouse.open(tmp_path / "d.duckdb") as wh:
        pipeline.dimensions(wh)
        topics = wh.con.execute("SELECT slug, name_zh FROM dim_topics ORDER BY ord").fetchall()
        assert topics[0] == ("epidemic", "疫情防控") and len(topics) == 8
        assert wh.con.execute(
            "SELECT province_name, city_name, full_name FROM dim_regions WHERE code = '420303'"
        ).fetchone() == ("湖北省", "十堰市", "湖北省十堰市张湾区")
        sync_sources(wh, SOURCES)
        items = [make_item(0), make_item(1, fetched_at=T0 + timedelta(days=3))]
        commit_source_batch(wh, "run-1", T0, [make_result("src-a", items, tags=[make_tags(("epidemic",))] * 2)])
        daily = wh.con.execute("SELECT day, topic, items FROM v_topic_daily WHERE topic = 'epidemic' ORDER BY day").fetchall()
        assert [n for _day, _topic, n in daily] == [1, 0, 0, 1]  # the days between are there, with zeros
        assert wh.con.execute("SELECT count(DISTINCT topic) FROM v_topic_daily").fetchone() == (8,)
