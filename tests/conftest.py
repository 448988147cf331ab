from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The tests serve their feeds, robots and SMTP servers on 127.0.0.1, which the fetcher refuses by default
# (docs/sources.md "Address policy"): they opt in here, and their subprocesses inherit it.
os.environ["YUQING_ALLOW_LOOPBACK"] = "1"


def shared_path() -> Path:
    """The team's shared data folder: ``../shared`` beside the checkout (CI lays it there too). Without it, the
    tests that need its corpora or the development set are skipped, saying why; the rest run on ``samples/``."""
    configured = os.environ.get("YUQING_SHARED")
    path = Path(configured) if configured else ROOT.parent / "shared"
    if not (path / "data").is_dir():
        pytest.skip(f"needs the shared data folder, not found at {path} (set YUQING_SHARED)", allow_module_level=True)
    return path


# Tests that run the product the long way (real servers, processes, replays of days of feeds) are marked
# ``slow``; the rest, unit tests and the pure deciders, are the fast loop: ``make test-fast`` (under 90 s).
# ``make test`` runs everything.
SLOW_PATHS = (
    "reliability/",
    "flows/",
    "pipeline/",
    "alerts/test_alerts_replay.py",
    "alerts/test_alerts_failures.py",
    "track/test_traps.py",
    "track/test_demo_replay.py",
    "track/test_replay_",
    "digest/test_digest_outage.py",
    "digest/test_digest_smtp_bounds.py",
    "digest/test_digest_collect_same.py",
    "sources/test_src_parse_fast.py",
    "sources/test_src_http.py",
    "warehouse/test_wh_concurrency.py",
    "test_cli.py",
    "test_cli_db_guard.py",
    "test_tag_cli.py",
    "test_analyst_shell.py",
    "test_hostile_feeds.py",
    "test_bench_runs.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests = ROOT / "tests"
    for item in items:
        where = item.path.relative_to(tests).as_posix() if item.path.is_relative_to(tests) else ""
        if where.startswith(SLOW_PATHS):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return shared_path()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT
