"""``yuqing serve`` for real: it starts its own Prefect server, a scheduled run fires, Ctrl-C ends it all."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import ROOT
from flows_support import end_session, item_counts, session_members, start_session

pytestmark = pytest.mark.slow


def _wait_for(log: Path, pattern: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if re.search(pattern, log.read_text(errors="replace")):
            return
        time.sleep(1)
    raise AssertionError(
        f"{pattern!r} not in the log after {timeout} s:\n{log.read_text(errors='replace')[-4000:]}"
    )


def documented_command(site: Path) -> str:
    """The ``yuqing serve`` command of docs/ops.md, with ``site`` for /srv/yuqing."""
    text = (ROOT / "docs" / "ops.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- runbook: serve -->\n```sh\n(.*?)\n```", text, re.DOTALL)
    assert match, "docs/ops.md has no serve block for the runbook"
    return match[1].replace("/srv/yuqing", str(site))


def test_serve_runs_a_scheduled_ingest_and_stops_on_sigint(tmp_path: Path, flow_sources: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(flow_sources, site / "sources.toml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.pop("YUQING_SOURCES", None)
    env.update(
        YUQING_SERVE_UI="0",
        # ingest every 15 s instead of every 15 min; the server looks for due schedules every 5 s
        YUQING_SERVE_SCHEDULE_OVERRIDE=json.dumps({"ingest": 15}),
        PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="5",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
    )
    db = site / "yuqing.duckdb"
    log = tmp_path / "serve.log"
    # The documented command, run from the checkout as written (bash -c execs a lone command: signals reach serve).
    serve = start_session(["bash", "-c", documented_command(site)], env=env, cwd=ROOT, log=log)
    try:
        _wait_for(log, r"Flow run 'ingest-[^']+' - Finished in state Completed\(\)", serve, timeout=240)
        # its Prefect server lives beside the database
        assert (site / ".yuqing-prefect" / "prefect.db").is_file()

        serve.send_signal(signal.SIGINT)
        assert serve.wait(timeout=90) == 0, log.read_text(errors="replace")[-4000:]
        assert "Prefect server stopped" in log.read_text(errors="replace")
        deadline = time.monotonic() + 20
        while session_members(serve.pid) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert session_members(serve.pid) == [], "processes left behind by yuqing serve"
    finally:
        end_session(serve)

    total, distinct = item_counts(db)
    assert total == distinct > 800
