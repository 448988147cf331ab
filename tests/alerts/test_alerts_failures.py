"""A channel that fails (HTTP 500) or hangs is recorded and tried again later, and never holds the warehouse:
ingest and track go on while it hangs. Through the real CLI, as in the replay tests."""

from __future__ import annotations

import time

import pytest

from tests.track.synthetic import sh
from warehouse.db import Warehouse

from .world import World, headings


def ledger(world: World) -> dict[str, tuple[str, int, str | None]]:
    with Warehouse.open(world.db) as wh:
        rows = wh.con.execute(
            "SELECT channel, state, attempts, error FROM alerts WHERE condition = 'new_major'"
        ).fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


@pytest.mark.parametrize("world", [False], indirect=True)
def test_a_failing_or_hanging_channel_is_retried_recorded_and_holds_nothing(world: World) -> None:
    world.robots.modes.update({"/wecom": "500", "/hook": "hang"})
    world.env["YUQING_ALERT_TIMEOUT"] = "15"  # long enough for the checks below, on a loaded machine too
    at = sh(6, 14, 9, 30)
    world.ingest(at)
    track = world.start_track(at)
    try:
        assert world.robots.arrived.wait(60), "the webhook was never called"
        # The track run is waiting on the hanging webhook; the warehouse is free meanwhile.
        assert track.poll() is None
        started = time.monotonic()
        with Warehouse.open(world.db, lock_timeout=2) as wh:
            assert wh.con.execute("SELECT count(*) FROM events").fetchone() == (1,)
        world.ingest(at)  # a whole ingest run meanwhile
        assert track.poll() is None, "the hang should outlast this check"
        assert time.monotonic() - started < 15
        out, err = track.communicate(timeout=60)
    finally:
        if track.poll() is None:
            track.kill()
    assert track.returncode == 1, out + err  # failed alerts make the run's exit status say so ...
    assert "FAILED" in out and "duty-wecom" in out and "duty-hook" in out
    state = ledger(world)  # ... and the ledger keeps each attempt
    assert state["email"][:2] == ("sent", 1) and state["duty-dingtalk"][:2] == ("sent", 1)
    assert state["duty-wecom"][:2] == ("failed", 1) and "HTTP 500" in (state["duty-wecom"][2] or "")
    assert state["duty-hook"][:2] == ("failed", 1) and "Timeout" in (state["duty-hook"][2] or "")
    with Warehouse.open(world.db) as wh:
        attempts = wh.con.execute("SELECT channel, ok FROM alert_attempts ORDER BY channel").fetchall()
    assert attempts == [("duty-dingtalk", True), ("duty-hook", False), ("duty-wecom", False), ("email", True)]

    # The channels come back. The retry waits for its backoff (2 min), then goes out once; the channels that
    # took the alert the first time get nothing more.
    world.robots.modes.clear()
    world.track(sh(6, 14, 9, 31))
    assert ledger(world)["duty-wecom"][:2] == ("failed", 1)
    world.track(sh(6, 14, 9, 33))
    state = ledger(world)
    assert {k: v[:2] for k, v in state.items()} == {
        "email": ("sent", 1), "duty-dingtalk": ("sent", 1), "duty-wecom": ("sent", 2), "duty-hook": ("sent", 2),
    }  # fmt: skip
    got = headings(world)
    assert got["email"] == got["dingtalk"] == ["新的重大突发事件"]
    assert len(world.robots.to("/wecom")) == 2 and len(world.robots.to("/hook")) == 2


@pytest.mark.parametrize("world", [False], indirect=True)
def test_a_missing_secret_fails_that_channel_only_and_says_which(world: World) -> None:
    world.env["YQ_TEST_DING_SECRET"] = ""
    out = world.cycle(sh(6, 14, 9, 30), expect=1)
    assert "duty-dingtalk" in out and "$YQ_TEST_DING_SECRET is not set" in out
    assert headings(world)["email"] == ["新的重大突发事件"] and world.robots.to("/ding") == []
