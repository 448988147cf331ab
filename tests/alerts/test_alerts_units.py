"""Alert settings in the routes file, the conditions as a pure function of T, and what reaches a chat robot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from warehouse.alerts import CandidateRow
from yuqing.alerts.conditions import DUE_SOON, MET, NEW_MAJOR, OVERDUE, describe, holds
from yuqing.alerts.render import md, render
from yuqing.digest.routes import parse_routes
from yuqing.errors import ConfigError

BASE = """
[[channel]]
name = "duty"
kind = "dingtalk"
url_env = "DING_URL"
secret_env = "DING_SECRET"

[[route]]
name = "safety"
recipients = ["duty@example.gov.cn"]
topics = ["work_safety"]
alert_channels = ["email", "duty"]
"""


def test_alert_settings_parse_with_defaults() -> None:
    (route,) = parse_routes(BASE)
    assert route.alerts is not None
    assert [c.name for c in route.alerts.channels] == ["email", "duty"]
    assert route.alerts.lead_hours == {
        "first_information": 2.0,
        "press_conference": 6.0,
        "first_response": 0.0,
    }
    assert route.alerts.min_severity == "major_emergency" and route.alerts.interval_minutes == 10


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace('alert_channels = ["email", "duty"]', 'alert_channels = ["email", "wecom"]'),
         ":12: route #1: alert_channels: no channel named 'wecom'"),
        (lambda t: t.replace('kind = "dingtalk"', 'kind = "slack"'), ":4: channel #1: kind: must be one of"),
        (lambda t: t.replace('secret_env = "DING_SECRET"', 'secret = "SEC123"'),
         ":6: channel #1: secret: a signing secret is never written in the file"),
        (lambda t: t.replace('url_env = "DING_URL"', 'url_env = "DING URL"'), ":5: channel #1: url_env: not an environment"),
        (lambda t: t.replace('alert_channels = ["email", "duty"]', 'alert_lead_hours = { first_information = 3 }'),
         ":12: route #1: alert_lead_hours: alert settings need alert_channels"),
        (lambda t: t + 'alert_min_severity = "minor"\n', ":13: route #1: alert_min_severity: must be one of"),
        (lambda t: t + "alert_lead_hours = { deadline = 1 }\n", "unknown milestone 'deadline'"),
        (lambda t: t.replace('name = "duty"', 'name = "email"'), "channel #1: name: needs a name"),
        (lambda t: t + 'alert_colour = "red"\n', ":13: route #1: alert_colour: unknown key"),
    ],
)  # fmt: skip
def test_bad_alert_settings_name_the_line(edit: object, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse_routes(edit(BASE), where="routes.toml")  # type: ignore[operator]
    assert message in str(e.value)
    assert str(e.value).startswith("routes.toml:")


def _row(**kw: object) -> CandidateRow:
    t0 = datetime(2021, 6, 14, 1, 0, tzinfo=UTC)  # 09:00 in Beijing
    base: dict[str, object] = dict(
        event_id="ev-1", title="某煤矿瓦斯爆炸 11人死亡", topics=("work_safety",), region_code="140000",
        region_name="山西省", severity="major_emergency", started_at=t0, first_detected_at=t0 + timedelta(minutes=20),
        clock_basis="earliest report", milestone="first_information", deadline_at=t0 + timedelta(hours=5),
        deadline_hours=5.0, met_at=None, met_by_item_id=None, reported=False, source_document="国办发〔2016〕80号",
        rule_id="national.major.first_information", met_by_url=None, met_by_title=None,
    )  # fmt: skip
    base.update(kw)
    return CandidateRow(**base)  # type: ignore[arg-type]


def test_conditions_follow_the_clock() -> None:
    (route,) = parse_routes(
        BASE.replace('alert_channels = ["email", "duty"]', 'alert_channels = ["email"]\nalert_on_met = true')
    )
    row = _row()
    t0 = row.started_at

    def at(hours: float, r: CandidateRow = row) -> list[str]:
        return [h.condition for h in holds([r], route, t0 + timedelta(hours=hours))]

    assert at(0.5) == [NEW_MAJOR]
    assert at(2.9) == [NEW_MAJOR]
    assert at(3.0) == [NEW_MAJOR, DUE_SOON]  # 2 h before the deadline
    assert at(5.5) == [NEW_MAJOR, OVERDUE]  # a condition holds for a while; the ledger sends it once
    assert at(13) == [OVERDUE]  # detected more than 12 h ago: no longer new
    assert at(17.5) == []  # overdue for more than 12 h: the digest's business
    met = _row(met_at=t0 + timedelta(hours=4))
    assert at(4.5, met) == [NEW_MAJOR, MET] and at(13, met) == [MET]
    general = _row(severity="general", milestone="first_response", deadline_at=t0 + timedelta(hours=48))
    assert at(47.5, general) == []  # general events alert only where a route asks for them
    other = _row(topics=("environment",))
    assert at(0.5, other) == []


def test_a_hostile_title_cannot_mark_up_a_robot_message() -> None:
    row = _row(
        title="[点此](http://evil.example/x) **紧急** <font color=red>假</font> #标题 \x1b[2J\u202e",
        region_name="`x`",
    )
    content = describe(holds([row], parse_routes(BASE)[0], row.started_at + timedelta(hours=1))[0], row.started_at, [
        ("媒体", "标题](http://evil.example/)", "javascript:alert(1)"), ("媒体", "正常", "https://news.example.com/a(b)"),
    ])  # fmt: skip
    msg = render([content], route_label="值班 *群*")
    assert "](http://evil.example" not in msg.markdown and "**紧急**" not in msg.markdown
    assert "<font" not in msg.markdown and "\x1b" not in msg.markdown and "\u202e" not in msg.markdown
    assert "javascript:" not in msg.markdown + msg.html + msg.text
    assert "(https://news.example.com/a%28b%29)" in msg.markdown
    assert "&lt;" not in msg.text and "<font" not in msg.html
    assert md("a*b_[c]") == "a＊b＿［c］"
