"""prefect.yaml for real: a Prefect server, the process work pool, ``prefect deploy --all``, a worker, a run.

Everything here is started by the test and ended by it, as one session of processes each.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
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

from tests.feedserver import HostileFeedServer

pytestmark = pytest.mark.slow

POOL = "yuqing-process"
EXPECTED = {"ingest": "*/15 * * * *", "track": "0 * * * *", "digest": "0 8 * * *"}


def _cli(args: list[str], env: dict[str, str], timeout: float = 120) -> str:
    done = subprocess.run(
        [tool("prefect"), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


RUNBOOK = ROOT / "docs" / "ops.md"
_BLOCK = re.compile(r"<!-- runbook(?P<service>: service)? -->\n```sh\n(?P<body>.*?)```", re.DOTALL)


def runbook_blocks() -> list[tuple[bool, str]]:
    """(is a service, commands) of every block of docs/ops.md marked for the runbook, in order."""
    return [(bool(m["service"]), m["body"]) for m in _BLOCK.finditer(RUNBOOK.read_text(encoding="utf-8"))]


@dataclass
class Runbook:
    api_url: str
    env: dict[str, str]  # the environment the runbook's exports built
    site: Path
    log: Path
    services: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def run(self, commands: str, timeout: float = 300) -> None:
        """One block, in bash with -e, in the environment so far; the block's exports carry on."""
        dump = self.log.parent / "env.json"
        script = f"set -euo pipefail\n{commands}\n" + f"python3 -c 'import json, os; print(json.dumps(dict(os.environ)))' > {dump}\n"
        done = subprocess.run(
            ["bash", "-c", script], env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert done.returncode == 0, f"runbook block failed:\n{commands}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        self.env = json.loads(dump.read_text())

    def start(self, command: str, name: str) -> subprocess.Popen[bytes]:
        proc = start_session(["bash", "-c", "exec " + command.strip()], env=self.env, cwd=ROOT,
                             log=self.log.parent / f"{name}.log")  # fmt: skip
        self.services.append(proc)
        return proc


@pytest.fixture(scope="module")
def runbook(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runbook]:
    """docs/ops.md's deployments runbook, block by block as written, with a free port for the Prefect server
    and the feed server and a temporary site directory: up to the worker, which is stopped once the runbook's
    first run is over (the tests below start their own)."""
    tmp = tmp_path_factory.mktemp("runbook")
    site = tmp / "site"
    api_port, feed_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "YUQING_"))}
    env["PATH"] = f"{Path(tool('python')).parent}{os.pathsep}{env.get('PATH', '')}"
    # The tests start every run themselves. The server's scheduler would also start the schedules' runs by the wall
    # clock (ingest */15), and ingest's concurrency limit of 1 (CANCEL_NEW) then cancels the runbook's run when it
    # starts while a scheduled one runs: a full run at 08:29:53 had it cancelled by the 08:30 run.
    env["PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED"] = "false"
    book = Runbook(f"http://127.0.0.1:{api_port}/api", env, site, tmp / "runbook.log")
    try:
        for service, body in runbook_blocks():
            body = body.replace("/srv/yuqing", str(site)).replace(":4200", f":{api_port}")
            body = body.replace("--port 4200", f"--port {api_port}").replace("--port 8787", f"--port {feed_port}")
            if not service:
                book.run(body)
                sources = site / "sources.toml"
                if sources.exists() and ":8787/" in sources.read_text(encoding="utf-8"):
                    sources.write_text(sources.read_text(encoding="utf-8").replace(":8787/", f":{feed_port}/"), "utf-8")
                continue
            proc = book.start(body, body.split()[0].rsplit("/", 1)[-1] + str(len(book.services)))
            if "prefect server start" in body:
                wait_healthy(book.api_url, proc, timeout=150, log=tmp / f"prefect{len(book.services) - 1}.log")
        yield book
    finally:
        for proc in reversed(book.services):
            end_session(proc)
        for proc in book.services:
            assert session_members(proc.pid) == []


@pytest.fixture(scope="module")
def deployed(runbook: Runbook) -> tuple[str, dict[str, str]]:
    """The server the runbook set up, with prefect.yaml deployed: (API URL, environment for the CLI)."""
    worker = next(p for p in runbook.services if "flows.worker" in str(p.args))
    end_session(worker)
    env = dict(runbook.env)
    env["PREFECT_WORKER_QUERY_SECONDS"] = "2"
    return runbook.api_url, env


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """The project's worker (``python -m flows.worker``), as the systemd unit of docs/ops.md starts it."""
    return start_session(
        [tool("python"), "-m", "flows.worker", "--pool", POOL], env=env, cwd=ROOT, log=log
    )  # fmt: skip


def _run_ingest(env: dict[str, str], sources: Path, db: Path, *extra: str) -> str:
    out = _cli(
        ["deployment", "run", "ingest/ingest", "--param", f"sources_path={sources}",
         "--param", f"db_path={db}", "--param", f"as_of={INGEST_AS_OF}", *extra],
        env,
    )  # fmt: skip
    match = re.search(r"UUID:\s*([0-9a-f-]{36})", out)
    assert match, out
    return match.group(1)


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


def test_the_runbook_deploys_and_its_worker_runs_ingest(runbook: Runbook, deployed: tuple[str, dict[str, str]]) -> None:
    api_url, env = deployed
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
        (run,) = api.post("/flow_runs/filter", json={"flow_runs": {"name": {"any_": ["ingest-2021-06-18T07:45"]}}}).json()
        assert run["state_type"] == "COMPLETED"
        assert run["labels"]["yuqing.host"] and int(run["labels"]["yuqing.pid"]) > 0

    # The run read the site's sources and wrote the site's database (YUQING_SITE), not the checkout's.
    total, distinct = item_counts(runbook.site / "yuqing.duckdb")
    assert total == distinct > 800
    # Its report reads as Chinese in a terminal.
    shown = subprocess.run(
        [tool("python"), "-m", "flows.artifacts", "ingest-report"], env=env, cwd=ROOT, capture_output=True,
        text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    assert "中国政府网" in shown and "\\u" not in shown and "not_modified" not in shown
    assert shown.startswith("== ingest-report · ingest-2021-06-18T07:45 · ")


@pytest.fixture
def stalling_sources(tmp_path: Path) -> Iterator[Path]:
    """Three sample feeds, one of them served a byte every half second: a run stays in its fetch ~30 s."""
    with HostileFeedServer(ROOT / "samples" / "feeds") as server:
        lines = []
        for name, feed in (("中国政府网", "latest/MzA4MDA0MzcwMA.xml"), ("国务院公报", "latest/MjM5MDM3NzY3NQ.xml"),
                           ("应急管理部", "drip/latest/MjM5OTI3MjI1MQ.xml")):  # fmt: skip
            lines += ["[[source]]", f'name = "{name}"', f'url = "{server.base_url}/{feed}"', 'kind = "feed"', ""]
        path = tmp_path / "stalling.toml"
        path.write_text("\n".join(lines), encoding="utf-8")
        yield path


def _wait_running(api: httpx.Client, flow_run_id: str, timeout: float = 120) -> dict[str, Any]:
    """The run once it is RUNNING and has labelled itself with its process."""
    deadline = time.monotonic() + timeout
    run: dict[str, Any] = {}
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            run = api.get(f"/flow_runs/{flow_run_id}").json()
            if run["state_type"] == "RUNNING" and "yuqing.pid" in (run.get("labels") or {}):
                return run
        time.sleep(0.5)
    raise AssertionError(f"flow run {flow_run_id} not running after {timeout} s: {run.get('state_type')}")


def _wait_fetching(api: httpx.Client, flow_run_id: str, timeout: float = 60) -> None:
    """Until the run is in its stalling fetch (a ``fetch-group`` task RUNNING). A signal that lands while a task run is
    being created, before the engine holds it, makes Prefect's own crash handler fail («Task run is not set») and the
    run end FAILED instead of CRASHED: a race inside the engine, not the behaviour under test."""
    deadline = time.monotonic() + timeout
    body = {"flow_runs": {"id": {"any_": [flow_run_id]}}}
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            runs = api.post("/task_runs/filter", json=body).json()
            if any(t["name"].startswith("fetch-group") and t["state_type"] == "RUNNING" for t in runs):
                return
        time.sleep(0.5)
    raise AssertionError(f"flow run {flow_run_id} not fetching after {timeout} s")


def test_kill_9_mid_run_then_the_next_scheduled_run_completes(
    deployed: tuple[str, dict[str, str]], tmp_path: Path, flow_sources: Path, stalling_sources: Path
) -> None:
    api_url, env = deployed
    db = tmp_path / "crash.duckdb"
    log = tmp_path / "worker.log"
    with httpx.Client(base_url=api_url, timeout=30) as api:
        worker = _worker(env, log)
        try:
            killed = _wait_running(api, _run_ingest(env, stalling_sources, db))
            # The worker and its flow process (which Prefect starts in a session of its own) die together, as
            # on an OOM kill or a power cut.
            flow_pid = int(killed["labels"]["yuqing.pid"])
            os.killpg(worker.pid, signal.SIGKILL)
            os.kill(flow_pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while (session_members(worker.pid) or session_members(flow_pid)) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert session_members(worker.pid) == [] and session_members(flow_pid) == []
            assert api.get(f"/flow_runs/{killed['id']}").json()["state_type"] == "RUNNING"
            killed_at = time.monotonic()

            # The next scheduled run (due in 10 s, as the schedule would make it), and the worker started again
            # by its supervisor (systemd's Restart=always).
            nxt = _run_ingest(env, flow_sources, db, "--start-in", "10 seconds")
            worker = _worker(env, log)
            run = _wait_final(api, nxt, timeout=240)
            assert run["state_type"] == "COMPLETED", log.read_text(errors="replace")[-4000:]
            assert time.monotonic() - killed_at < 15 * 60  # within one ingest cycle (*/15)
            stuck = api.get(f"/flow_runs/{killed['id']}").json()
            assert stuck["state_type"] == "CRASHED"
            assert "Marked crashed by" in stuck["state"]["message"] and "is gone" in stuck["state"]["message"]
            total, distinct = item_counts(db)
            assert total == distinct > 800
        finally:
            end_session(worker)
        assert session_members(worker.pid) == []


def test_sigterm_stops_the_worker_and_its_run_within_30_s(
    deployed: tuple[str, dict[str, str]], tmp_path: Path, stalling_sources: Path
) -> None:
    api_url, env = deployed
    log = tmp_path / "worker.log"
    with httpx.Client(base_url=api_url, timeout=30) as api:
        worker = _worker(env, log)
        try:
            running = _wait_running(api, _run_ingest(env, stalling_sources, tmp_path / "term.duckdb"))
            _wait_fetching(api, running["id"])
            started = time.monotonic()
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
            stopped = time.monotonic() - started
            assert worker.returncode == 0, log.read_text(errors="replace")[-4000:]
            assert stopped < 30
            flow_pid = int(running["labels"]["yuqing.pid"])
            deadline = time.monotonic() + 10
            while (session_members(worker.pid) or session_members(flow_pid)) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert session_members(worker.pid) == [] and session_members(flow_pid) == []
            # The run it was running is not left RUNNING: it reported itself crashed, releasing its slots.
            state = _wait_final(api, running["id"], timeout=30)["state_type"]
            assert state == "CRASHED", log.read_text(errors="replace")[-4000:]
        finally:
            end_session(worker)
