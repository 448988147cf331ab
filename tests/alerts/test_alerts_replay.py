"""Urgent alerts through the real CLI, as ops run it: feeds on 127.0.0.1, ``yuqing ingest --as-of T`` then
``yuqing track --as-of T --alerts`` (a replay is a backfill, which sends nothing unless asked), a real SMTP
server (aiosmtpd) and a real HTTP server standing in for the 企业微信 and 钉钉 robots and a JSON webhook.

The scenario follows the rules (国办发〔2016〕80号): a coal-mine gas explosion with 11 dead is a major
emergency; first authoritative information is due 5 h after the explosion, a press conference 24 h after.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from tests.track.synthetic import sh
from warehouse.db import Warehouse

from .world import DING_SECRET, World, headings, text_of, yq


@pytest.mark.parametrize("world", [False], indirect=True)
def test_a_major_emergency_alerts_once_per_channel_then_due_then_overdue(world: World) -> None:
    first = world.cycle(sh(6, 14, 9, 30))  # the first ingest cycle after the report
    assert "alerts: 4 raised" in first
    assert headings(world) == {k: ["新的重大突发事件"] for k in ("email", "wecom", "dingtalk")} | {
        "hook": ["new_major"]
    }
    world.cycle(sh(6, 14, 11, 0))  # nothing new holds
    world.cycle(sh(6, 14, 12, 30))  # within 2 h of the 14:00 deadline (09:00 + 5 h)
    world.cycle(sh(6, 14, 14, 30))  # past it, no official information
    expected = ["新的重大突发事件", "即将到期：首次权威信息发布", "已逾期：首次权威信息发布"]
    assert headings(world) == {k: expected for k in ("email", "wecom", "dingtalk")} | {
        "hook": ["new_major", "due_soon", "overdue"]
    }
    got = world.deliveries()
    # What the duty officer reads: where, when the clock started, the deadline in Beijing time, the rule, links.
    text = text_of(got["email"][2])
    assert "山西" in text and "2021-06-14 14:00" in text and "国办发〔2016〕80号" in text
    assert "https://news.example.com/" in text
    assert got["email"][0]["To"] == "safety-duty@example.gov.cn"
    # 钉钉's signed mode: timestamp and sign = base64(HMAC-SHA256(secret, "{timestamp}\n{secret}")).
    for post in got["dingtalk"]:
        ts = post.query["timestamp"][0]
        want = base64.b64encode(
            hmac.new(DING_SECRET.encode(), f"{ts}\n{DING_SECRET}".encode(), hashlib.sha256).digest()
        )
        assert post.query["sign"] == [want.decode()]
        assert post.query["access_token"] == ["t1"]
        assert post.body["msgtype"] == "markdown"
    assert all(b["msgtype"] == "markdown" for b in got["wecom"])
    hook = got["hook"][2]["alerts"][0]
    assert hook["milestone"] == "first_information" and hook["deadline_iso"].startswith("2021-06-14T06:00")

    # Re-running every step, in any order, sends nothing more.
    for at in (sh(6, 14, 9, 30), sh(6, 14, 12, 30), sh(6, 14, 14, 30), sh(6, 14, 14, 30), sh(6, 14, 11)):
        world.cycle(at)
    assert headings(world)["email"] == expected
    assert len(world.robots.posts) == 9
    assert {state for *_rest, state in world.conditions()} == {"sent"}


@pytest.mark.parametrize("world", [True], indirect=True)
def test_an_official_notice_in_time_means_no_overdue_alert(world: World) -> None:
    world.cycle(sh(6, 14, 9, 30))
    world.cycle(sh(6, 14, 12, 30))  # due soon: the notice comes at 13:00
    world.cycle(sh(6, 14, 13, 30))
    world.cycle(sh(6, 14, 14, 30))
    world.cycle(sh(6, 14, 17, 0))
    titles = headings(world)
    assert titles["email"] == ["新的重大突发事件", "即将到期：首次权威信息发布"]
    assert titles["hook"] == ["new_major", "due_soon"]


@pytest.mark.parametrize("world", [False], indirect=True)
def test_concurrent_track_runs_send_each_alert_once(world: World) -> None:
    at = sh(6, 14, 9, 30)
    world.ingest(at)
    runs = [world.start_track(at) for _ in range(3)]
    outputs = [run.communicate(timeout=180) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    assert headings(world) == {k: ["新的重大突发事件"] for k in ("email", "wecom", "dingtalk")} | {"hook": ["new_major"]}


@pytest.mark.parametrize("world", [False], indirect=True)
def test_a_route_can_be_tested_on_every_channel(world: World) -> None:
    proc = yq("--db", str(world.db), "alerts", "--test", "safety", env=world.env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[:4] == [f"safety/{c}: ok" for c in ("email", "duty-wecom", "duty-dingtalk", "duty-hook")]
    got = world.deliveries()
    assert "测试消息" in text_of(got["email"][0]) and "测试消息" in got["wecom"][0]["markdown"]["content"]
    assert got["hook"][0]["alerts"][0]["condition"] == "test"
    with Warehouse.open(world.db) as wh:
        assert wh.con.execute("SELECT count(*) FROM alerts").fetchone() == (0,)
        assert wh.con.execute("SELECT count(*), sum(alerts) FROM alert_attempts WHERE ok").fetchone() == (4, 0)
    world.robots.modes["/ding"] = "refuse"
    proc = yq("--db", str(world.db), "alerts", "--test", "safety", env=world.env)
    assert proc.returncode == 1 and "safety/duty-dingtalk: FAILED" in proc.stdout and "errcode 310000" in proc.stdout


@pytest.mark.parametrize("world", ["burst"], indirect=True)
def test_alerts_close_together_travel_in_one_message_and_a_burst_waits_for_the_window(world: World) -> None:
    world.cycle(sh(6, 14, 9, 30))  # two major emergencies by now: one message per channel
    (first,) = world.deliveries()["hook"]
    assert first["count"] == 2 and {a["condition"] for a in first["alerts"]} == {"new_major"}
    assert "1. 【新的重大突发事件】" in text_of(world.deliveries()["email"][0])
    assert "2. 【新的重大突发事件】" in text_of(world.deliveries()["email"][0])
    out = world.cycle(sh(6, 14, 9, 36))  # a third, 6 minutes after the last message: within the 10-minute window
    assert "alerts: 4 raised; sent nothing; 4 waiting for the rate-limit window" in out
    assert len(world.deliveries()["hook"]) == 1
    world.cycle(sh(6, 14, 9, 41))  # the window has passed: it goes out
    hooks = world.deliveries()["hook"]
    assert len(hooks) == 2 and [a["title"] for a in hooks[1]["alerts"]] == ["河南郑州一商场发生火灾 已造成15人死亡"]


@pytest.mark.parametrize("world", [False], indirect=True)
def test_a_backfill_sends_nothing_unless_asked(world: World) -> None:
    world.ingest(sh(6, 14, 9, 30))
    proc = yq("--db", str(world.db), "track", "--as-of", sh(6, 14, 9, 30).isoformat(), env=world.env)
    assert proc.returncode == 0, proc.stderr
    assert "alerts: not evaluated (a backfill" in proc.stdout
    assert world.robots.posts == [] and world.smtp.mailbox.messages == []
    with Warehouse.open(world.db) as wh:
        assert wh.con.execute("SELECT count(*) FROM alerts").fetchone() == (0,)
    world.track(sh(6, 14, 9, 30))  # asked: --alerts
    assert headings(world)["email"] == ["新的重大突发事件"]


@pytest.mark.parametrize("world", [False], indirect=True)
def test_an_event_an_analyst_dismissed_raises_no_more_alerts(world: World) -> None:
    world.cycle(sh(6, 14, 9, 30))
    with Warehouse.open(world.db) as wh:
        (event_id,) = wh.con.execute("SELECT event_id FROM events").fetchone() or ()
    proc = yq("--db", str(world.db), "dismiss", event_id, "--analyst", "值班员", "--reason", "演练，非真实事故",
              "--at", sh(6, 14, 10).isoformat(), env=world.env)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    world.cycle(sh(6, 14, 12, 30))  # would be due soon
    world.cycle(sh(6, 14, 14, 30))  # would be overdue
    assert headings(world) == {k: ["新的重大突发事件"] for k in ("email", "wecom", "dingtalk")} | {"hook": ["new_major"]}
