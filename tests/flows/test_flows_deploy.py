"""prefect.yaml for real: a Prefect server, the process work pool, ``prefect deploy --all``, a worker, a run.

Everything here is started by the test and ended by it, as one session of processes each.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import INGEST_AS_OF, ROOT
from flows_support import (
    end_session,
    free_port,
    item_counts,
    session_members,
    start_session,
    tool,
    wait_healthy,
)

pytestmark = pytest.mark.slow

POOL = "yuqing-process"
EXPECTED = {"ingest": "*/15 * * * *", "track": "0 * * * *", "digest": "0 8 * * *"}


def _env(home: Path, api_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_UI_ENABLED="false")
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def _cli(args: list[str], env: dict[str, str], timeout: float = 120) -> str:
    done = subprocess.run(
        [tool("prefect"), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture
def prefect_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    home = tmp_path / "prefect-home"
    home.mkdir()
    api_url = f"http://127.0.0.1:{free_port()}/api"
    port = api_url.rsplit(":", 1)[1].split("/")[0]
    log = tmp_path / "server.log"
    server = start_session(
        [tool("prefect"), "server", "start", "--host", "127.0.0.1", "--port", port], env=_env(home), cwd=tmp_path, log=log
    )  # fmt: skip
    try:
        wait_healthy(api_url, server, timeout=150, log=log)
        yield api_url, home
    finally:
        end_session(server)
        assert session_members(server.pid) == []


def _wait_final(api: httpx.Client, flow_run_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    state = "unknown"
    while time.monotonic() < deadline:
        try:
            run: dict[str, Any] = api.get(f"/flow_runs/{flow_run_id}").json()
        except httpx.TransportError:
            # On 2 busy cores the server's SQLite can stall a poll while the run writes; poll again.
            time.sleep(1)
            continue
        state = run["state_type"]
        if state in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}:
            return run
        time.sleep(1)
    raise AssertionError(f"flow run {flow_run_id} not finished after {timeout} s: {state}")


def test_deploy_all_then_a_worker_runs_ingest(
    prefect_server: tuple[str, Path], tmp_path: Path, flow_sources: Path
) -> None:
    api_url, home = prefect_server
    env = _env(home, api_url)
    _cli(["work-pool", "create", POOL, "--type", "process"], env)
    _cli(["--no-prompt", "deploy", "--all"], env, timeout=180)

    with httpx.Client(base_url=api_url, timeout=30) as api:
        deployments = {d["name"]: d for d in api.post("/deployments/filter", json={}).json()}
        assert set(deployments) == set(EXPECTED)
        for name, cron in EXPECTED.items():
            (schedule,) = deployments[name]["schedules"]
            assert schedule["schedule"]["cron"] == cron
            assert schedule["schedule"]["timezone"] == "Asia/Shanghai"
            assert deployments[name]["work_pool_name"] == POOL
        limits = api.post("/v2/concurrency_limits/filter", json={}).json()
        assert {"name": "yuqing-warehouse", "limit": 1} in [
            {"name": x["name"], "limit": x["limit"]} for x in limits
        ]

        worker_log = tmp_path / "worker.log"
        worker = start_session(
            [tool("prefect"), "worker", "start", "--pool", POOL, "--type", "process"], env=env, cwd=tmp_path, log=worker_log
        )  # fmt: skip
        try:
            db = tmp_path / "deployed.duckdb"
            out = _cli(
                ["deployment", "run", "ingest/ingest", "--param", f"sources_path={flow_sources}",
                 "--param", f"db_path={db}", "--param", f"as_of={INGEST_AS_OF}"],
                env,
            )  # fmt: skip
            match = re.search(r"UUID:\s*([0-9a-f-]{36})", out)
            assert match, out
            run = _wait_final(api, match.group(1), timeout=240)
            assert run["state_type"] == "COMPLETED", worker_log.read_text(errors="replace")[-4000:]
            assert run["name"] == "ingest-2021-06-18T07:45"

            total, distinct = item_counts(db)
            assert total == distinct > 800
            artifacts = api.post(
                "/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [run["id"]]}}}
            ).json()
            assert [(a["key"], a["type"]) for a in artifacts] == [("ingest-report", "table")]
        finally:
            end_session(worker)
        assert session_members(worker.pid) == []
