"""Addresses are checked once, when the configuration is read: an internationalised domain is IDNA-encoded, a
local part that is not ASCII and a From: with a line break are refused with a clear error. One bad route never
blocks the others, and no message a server never accepted is left "in doubt". Against aiosmtpd on 127.0.0.1."""

from __future__ import annotations

import pytest
from digest_smtp import SmtpServer
from digest_world import AS_OF, World
from test_digest_send import SAFETY, row, settings

from warehouse.db import Warehouse
from yuqing.digest import Outcome, Route, SmtpSettings, parse_routes, send_digests
from yuqing.errors import ConfigError

ROUTES = """
[[route]]
name = "safety"
topics = ["work_safety"]
recipients = ["ops@例子.中国", "duty@exаmple.cn"]
"""


def test_internationalised_domains_are_idna_encoded_and_delivered(
    wh: Warehouse, world: World, smtp_server: SmtpServer
) -> None:
    (route,) = parse_routes(ROUTES)
    assert route.recipients == ("ops@xn--fsqu00a.xn--fiqs8s", "duty@xn--exmple-4nf.cn")  # the second: a Cyrillic а
    (result,) = send_digests(wh, AS_OF, [route], settings(smtp_server))
    assert result.outcome is Outcome.SENT
    assert smtp_server.mailbox.messages[0].rcpt_tos == list(route.recipients)
    assert row(wh, "safety").state == "sent"


def test_a_local_part_that_is_not_ascii_is_a_config_error_with_its_line() -> None:
    with pytest.raises(ConfigError, match=r"routes.toml:5: .*'张三@example.cn'.*must be ASCII"):
        parse_routes(ROUTES.replace("ops@例子.中国", "张三@example.cn"), where="routes.toml")


def test_a_bad_route_fails_alone_and_nothing_unaccepted_is_in_doubt(
    wh: Warehouse, world: World, smtp_server: SmtpServer
) -> None:
    bad = Route(name="bad", recipients=("张三@example.cn",), topics=frozenset({"work_safety"}))  # built in code
    results = send_digests(wh, AS_OF, [bad, SAFETY], settings(smtp_server))
    assert [r.outcome for r in results] == [Outcome.FAILED, Outcome.SENT]
    assert "must be ASCII" in (results[0].error or "")
    assert [m.rcpt_tos for m in smtp_server.mailbox.messages] == [["safety@example.gov.cn"]]
    states = dict(wh.con.execute("SELECT route, state FROM digests").fetchall())
    assert "sending" not in states.values() and states["work-safety"] == "sent"


@pytest.mark.parametrize("sender", ["yuqing@example.gov.cn\r\nBcc: spy@evil.example", "a@example.cn, b@evil.example"])
def test_a_mail_from_with_a_second_address_is_refused(sender: str) -> None:
    env = {"YUQING_SMTP_HOST": "127.0.0.1", "YUQING_MAIL_FROM": sender}
    with pytest.raises(ConfigError, match="YUQING_MAIL_FROM"):
        SmtpSettings.from_env(env)
