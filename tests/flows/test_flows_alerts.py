"""The ingest flow's track step raises urgent alerts and sends them in a task of its own, after the warehouse
slot is released; a channel that fails shows in the flow run (a failed ``alerts`` task, an artifact, an error
line) while the run's own work completes. A channel's URL can come from a Prefect Secret block."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_flows_harness import _run_records, the_artifact

from flows.ingest import ingest
from tests.alerts.robots import Robots
from tests.alerts.world import World, headings, scenario
from tests.digest.digest_smtp import SmtpServer
from tests.track.synthetic import sh
from warehouse.db import Warehouse
from yuqing.feedserver import FeedServer


def test_the_ingest_flow_alerts_and_shows_a_failed_channel(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "feeds").mkdir()
    smtp = SmtpServer()
    smtp.start()
    try:
        with Robots() as robots, FeedServer(tmp_path / "feeds") as feeds:
            world = World(tmp_path, scenario(False), smtp, robots, feeds)
            for key, value in world.env.items():
                monkeypatch.setenv(key, value)
            # The webhook's URL from a Prefect Secret block, as the SMTP password may be.
            from prefect.blocks.system import Secret

            Secret(value=world.env["YQ_TEST_HOOK_URL"]).save("yq-test-hook-url", overwrite=True)
            monkeypatch.delenv("YQ_TEST_HOOK_URL")
            routes = Path(world.env["YUQING_ROUTES"])
            routes.write_text(
                routes.read_text(encoding="utf-8").replace('url_env = "YQ_TEST_HOOK_URL"', 'url_block = "yq-test-hook-url"'),
                encoding="utf-8",
            )
            robots.modes["/wecom"] = "500"
            state: Any = ingest(
                str(world.sources),
                str(world.db),
                as_of=sh(6, 14, 9, 30).isoformat(),
                alerts=True,
                return_state=True,
            )
            assert state.is_completed(), state  # the ingest and its track step are done
            got = headings(world)
            assert got["email"] == got["dingtalk"] == ["新的重大突发事件"] and got["hook"] == ["new_major"]
            assert got["wecom"] == ["新的重大突发事件"]  # it was tried, and answered 500
    finally:
        smtp.stop()
    _run, artifacts, task_runs = _run_records(state.state_details.flow_run_id)
    (alerts_task,) = [t for t in task_runs if t.name.startswith("alerts")]
    assert alerts_task.state is not None and alerts_task.state.is_failed()
    report = the_artifact(artifacts, "alerts-report")
    assert "FAILED" in report.data and "duty-wecom" in report.data and "HTTP 500" in report.data
    with Warehouse.open(world.db) as wh:
        states = dict(wh.con.execute("SELECT channel, state FROM alerts").fetchall())
    assert states == {"email": "sent", "duty-dingtalk": "sent", "duty-hook": "sent", "duty-wecom": "failed"}
