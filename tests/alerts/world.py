"""A replay world for the alert tests: a scenario's feeds on 127.0.0.1, a routes file with every kind of
channel, a real SMTP server (aiosmtpd) and a real HTTP server standing in for the robots and the webhook."""

from __future__ import annotations

import email
import os
import subprocess
import sys
from datetime import datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

from tests.digest.digest_smtp import SmtpServer
from tests.track.synthetic import Scenario, Source, sh
from warehouse.db import Warehouse
from yuqing.feedserver import FeedServer

from .robots import Robots

MEDIA = Source("新京报")
OFFICIAL = Source("山西省应急管理厅", official=True, region="140000")
EXPLOSION_AT = sh(6, 14, 9)
DING_SECRET = "SEC-test-secret"

ROUTES = """
[[channel]]
name = "duty-wecom"
kind = "wecom"
url_env = "YQ_TEST_WECOM_URL"

[[channel]]
name = "duty-dingtalk"
kind = "dingtalk"
url_env = "YQ_TEST_DING_URL"
secret_env = "YQ_TEST_DING_SECRET"

[[channel]]
name = "duty-hook"
kind = "webhook"
url_env = "YQ_TEST_HOOK_URL"

[[route]]
name = "safety"
label = "安全生产值班"
recipients = ["safety-duty@example.gov.cn"]
topics = ["work_safety"]
alert_channels = ["email", "duty-wecom", "duty-dingtalk", "duty-hook"]
"""


def yq(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "yuqing.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
    )


class World:
    """A database, its feeds on 127.0.0.1, the routes file, and the servers the alerts go to."""

    def __init__(
        self, root: Path, scenario: Scenario, smtp: SmtpServer, robots: Robots, feeds: FeedServer
    ) -> None:
        self.db = root / "y.duckdb"
        self.sources = scenario._write(root / "feeds", feeds)
        routes = root / "routes.toml"
        routes.write_text(ROUTES, encoding="utf-8")
        self.smtp = smtp
        self.robots = robots
        self.env = {
            "YUQING_ROUTES": str(routes),
            "YUQING_SMTP_HOST": "127.0.0.1",
            "YUQING_SMTP_PORT": str(smtp.port),
            "YUQING_SMTP_SECURITY": "none",
            "YUQING_MAIL_FROM": "yuqing@example.gov.cn",
            "YQ_TEST_WECOM_URL": robots.url("/wecom?key=k1"),
            "YQ_TEST_DING_URL": robots.url("/ding?access_token=t1"),
            "YQ_TEST_DING_SECRET": DING_SECRET,
            "YQ_TEST_HOOK_URL": robots.url("/hook"),
            "YUQING_ALERT_TIMEOUT": "2",
        }

    def cycle(self, at: datetime, expect: int = 0) -> str:
        """One ingest cycle as ops run it, then the track run that raises and sends alerts."""
        self.ingest(at)
        return self.track(at, expect)

    def ingest(self, at: datetime) -> None:
        proc = yq("--db", str(self.db), "ingest", "--sources", str(self.sources), "--as-of", at.isoformat(), env=self.env)
        assert proc.returncode == 0, proc.stderr

    def track(self, at: datetime, expect: int = 0) -> str:
        track = yq("--db", str(self.db), "track", "--as-of", at.isoformat(), "--alerts", env=self.env)
        assert track.returncode == expect, track.stdout + track.stderr
        return track.stdout

    def start_track(self, at: datetime) -> subprocess.Popen[str]:
        """``yuqing track --alerts`` started in the background."""
        return subprocess.Popen(
            [sys.executable, "-m", "yuqing.cli", "--db", str(self.db), "track", "--as-of", at.isoformat(), "--alerts"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **self.env},
        )  # fmt: skip

    def deliveries(self) -> dict[str, list[Any]]:
        return {
            "email": [email.message_from_bytes(m.data) for m in self.smtp.mailbox.messages],
            "wecom": [p.body for p in self.robots.to("/wecom")],
            "dingtalk": [p for p in self.robots.to("/ding")],
            "hook": [p.body for p in self.robots.to("/hook")],
        }

    def conditions(self) -> list[tuple[str, str, str, str]]:
        with Warehouse.open(self.db) as wh:
            rows = wh.con.execute(
                "SELECT condition, milestone, channel, state FROM alerts ORDER BY raised_as_of, condition, milestone, channel"
            ).fetchall()
        return [tuple(r) for r in rows]


def text_of(msg: Message) -> str:
    part = msg.get_body(preferencelist=("plain",)) if hasattr(msg, "get_body") else None
    if part is None:
        for p in msg.walk():
            if p.get_content_type() == "text/plain":
                part = p
                break
    assert part is not None
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(part.get_content_charset() or "utf-8")


def headings(world: World) -> dict[str, list[str]]:
    """What each channel was told, reduced to the alerts' headings, in order."""
    got = world.deliveries()
    return {
        "email": [text_of(m).split("【", 1)[1].split("】", 1)[0] for m in got["email"]],
        "wecom": [b["markdown"]["content"].split("【", 1)[1].split("】", 1)[0] for b in got["wecom"]],
        "dingtalk": [p.body["markdown"]["text"].split("【", 1)[1].split("】", 1)[0] for p in got["dingtalk"]],
        "hook": [b["alerts"][0]["condition"] for b in got["hook"]],
    }


def scenario(with_notice: bool | str) -> Scenario:
    """The coal-mine explosion; with the official notice at 13:00 (True); or with two more major emergencies
    elsewhere within the next quarter hour ("burst")."""
    s = Scenario([MEDIA, OFFICIAL])
    if with_notice == "burst":
        s.post("新京报", "贵州六盘水一煤矿发生透水事故 已造成12人死亡", EXPLOSION_AT + timedelta(minutes=25))
        s.post("新京报", "河南郑州一商场发生火灾 已造成15人死亡", EXPLOSION_AT + timedelta(minutes=33))
    s.post("新京报", "山西某煤矿发生瓦斯爆炸事故 已造成11人死亡", EXPLOSION_AT + timedelta(minutes=20),
           "6月14日9时许，山西某煤矿井下发生瓦斯爆炸事故，目前已造成11人死亡，救援正在进行。")  # fmt: skip
    if with_notice is True:
        s.post("山西省应急管理厅", "关于某煤矿瓦斯爆炸事故的情况通报", EXPLOSION_AT + timedelta(hours=4),
               "6月14日9时许，某煤矿井下发生瓦斯爆炸事故，造成11人死亡。事故原因正在调查，善后工作有序开展。")  # fmt: skip
    return s
