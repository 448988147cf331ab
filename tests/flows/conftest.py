"""Fixtures of the flow tests: the bundled feed snapshots on a loopback server, and one Prefect test harness."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from yuqing.feedserver import FeedServer

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
# The snapshots are of 17 June 2021; the runs look at them the next morning (Asia/Shanghai).
INGEST_AS_OF = "2021-06-18T07:45:00+08:00"
TRACK_AS_OF = "2021-06-18T08:00:00+08:00"

# The test machines are offline: no telemetry from the Prefect servers the tests start.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def write_sources(path: Path, base_url: str) -> Path:
    """samples/sources.toml pointed at ``base_url``."""
    text = (SAMPLES / "sources.toml").read_text(encoding="utf-8")
    path.write_text(re.sub(r"http://127\.0\.0\.1:\d+/", base_url + "/", text), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def feeds_server() -> Iterator[FeedServer]:
    with FeedServer(SAMPLES / "feeds") as server:
        yield server


@pytest.fixture(scope="session")
def flow_sources(tmp_path_factory: pytest.TempPathFactory, feeds_server: FeedServer) -> Path:
    return write_sources(tmp_path_factory.mktemp("sources") / "sources.toml", feeds_server.base_url)


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One ephemeral Prefect API for the session (it takes 10-30 s to start), with the warehouse limit.

    Flow results are persisted (to a temporary folder): a test reads a flow's return value from its final state,
    and when the API's SQLite database is locked under load the engine may hand back the state as the API stored it,
    without the value in memory (``MissingResult``); persisted, the value is read back from storage instead."""
    from prefect.settings import (
        PREFECT_LOCAL_STORAGE_PATH,
        PREFECT_RESULTS_PERSIST_BY_DEFAULT,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    from flows.common import ensure_warehouse_limit

    results = tmp_path_factory.mktemp("prefect-results")
    with prefect_test_harness(server_startup_timeout=180), temporary_settings(
        {PREFECT_RESULTS_PERSIST_BY_DEFAULT: True, PREFECT_LOCAL_STORAGE_PATH: results}
    ):
        ensure_warehouse_limit()
        yield
