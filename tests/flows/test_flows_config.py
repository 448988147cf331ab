"""prefect.yaml, the schedules ``yuqing serve`` reads from it, run names and the embedded server's settings."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import ROOT

from flows.common import run_name_for
from yuqing.errors import ConfigError
from yuqing.serve import (
    ScheduleSpec,
    apply_schedule_override,
    load_deployments,
    serve_parameters,
    server_env,
)

EXPECTED = {"ingest": "*/15 * * * *", "track": "0 * * * *", "digest": "0 8 * * *"}


def test_prefect_yaml_has_the_three_scheduled_deployments() -> None:
    specs = {s.name: s for s in load_deployments(ROOT / "prefect.yaml")}
    assert set(specs) == set(EXPECTED)
    for name, cron in EXPECTED.items():
        assert specs[name].schedules == (ScheduleSpec(cron=cron, timezone="Asia/Shanghai"),)
        assert specs[name].entrypoint == f"flows/{name}.py:{name}"
        assert specs[name].parameters["db_path"] == "yuqing.duckdb"
    assert specs["ingest"].parameters["sources_path"] == "sources.toml"
    assert specs["ingest"].collision_strategy == "CANCEL_NEW"


def test_schedule_override_for_tests_and_slow_machines() -> None:
    specs = load_deployments(ROOT / "prefect.yaml")
    changed = {s.name: s for s in apply_schedule_override(specs, '{"ingest": 20, "track": "5 * * * *"}')}
    assert changed["ingest"].schedules == (ScheduleSpec(interval_seconds=20.0, timezone="Asia/Shanghai"),)
    assert changed["track"].schedules[0].cron == "5 * * * *"
    assert changed["digest"].schedules[0].cron == "0 8 * * *"
    assert apply_schedule_override(specs, None) == specs
    for bad in ('{"nope": 1}', "[1]", '{"ingest": 0}', "not json"):
        with pytest.raises(ConfigError):
            apply_schedule_override(specs, bad)


def test_serve_parameters_are_absolute_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    specs = {s.name: s for s in load_deployments(ROOT / "prefect.yaml")}
    params = serve_parameters(specs["ingest"], Path("data/y.duckdb"), {"YUQING_SOURCES": "feeds.toml"})
    assert params == {
        "db_path": str(tmp_path / "data/y.duckdb"),
        "sources_path": str(tmp_path / "feeds.toml"),
    }
    digest = serve_parameters(specs["digest"], Path("y.duckdb"), {"YUQING_ROUTES": "routes.toml"})
    assert digest["routes_path"] == str(tmp_path / "routes.toml")


def test_embedded_server_keeps_its_database_small(tmp_path: Path) -> None:
    env = server_env(tmp_path, {"PREFECT_API_URL": "http://elsewhere/api", "PATH": "/bin"})
    assert env["PREFECT_HOME"] == str(tmp_path) and "PREFECT_API_URL" not in env
    assert env["PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED"] == "events,flow_runs"
    assert int(env["PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD"]) == 14 * 86400
    # ops' own settings win
    mine = server_env(tmp_path, {"PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD": "7200"})
    assert mine["PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD"] == "7200"


def test_run_names_say_when_in_shanghai_time() -> None:
    slot = datetime(2021, 6, 14, 0, 0, tzinfo=UTC)
    assert run_name_for("ingest", None, slot) == "ingest-2021-06-14T08:00"
    assert run_name_for("track", "2021-06-14T09:30:00+08:00", slot) == "track-2021-06-14T09:30"
    assert run_name_for("ingest", None, slot, "-shard1of4") == "ingest-2021-06-14T08:00-shard1of4"
