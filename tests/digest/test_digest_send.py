"""send_digests() against a real SMTP server (aiosmtpd on 127.0.0.1): delivery, ledger, retries, once-only."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from digest_smtp import SmtpServer
from digest_world import AS_OF, World, sh

from warehouse import digests as sql
from warehouse.db import Warehouse
from yuqing.digest import Outcome, Route, Security, SmtpSettings, send_digests, write_digest
from yuqing.digest.collect import digest_date

SENDER = "舆情监测 <yuqing@example.gov.cn>"
GZ_WAGE = Route(
    name="gz-wage",
    label="广州·工资拖欠",
    recipients=("wage-a@example.gov.cn", "wage-b@example.gov.cn"),
    topics=frozenset({"wage_arrears"}),
    regions=("4401",),
)
SAFETY = Route(name="work-safety", recipients=("safety@example.gov.cn",), topics=frozenset({"work_safety"}))
ALL = Route(name="all", recipients=("duty@example.gov.cn",), all=True)
QUIET = Route(
    name="quiet", recipients=("hardship@example.gov.cn",), topics=frozenset({"hardship_livelihood"})
)


def settings(server: SmtpServer, **kw: object) -> SmtpSettings:
    base: dict[str, object] = {
        "host": "127.0.0.1",
        "port": server.port,
        "security": Security.NONE,
        "sender": SENDER,
        "timeout_s": 5.0,
        "max_attempts": 3,
        "backoff_s": 0.01,
    }
    base.update(kw)
    return SmtpSettings(**base)  # type: ignore[arg-type]


def parse(data: bytes) -> EmailMessage:
    msg = message_from_bytes(data, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def row(wh: Warehouse, route: str) -> sql.LedgerRow:
    found = sql.get_digest(wh.con, digest_date(AS_OF), route)
    assert found is not None
    return found


def test_routes_delivered_once_each_without_exposing_recipients(
    wh: Warehouse, world: World, smtp_server: SmtpServer
) -> None:
    results = send_digests(wh, AS_OF, [GZ_WAGE, SAFETY, QUIET], settings(smtp_server))
    assert [r.outcome for r in results] == [Outcome.SENT, Outcome.SENT, Outcome.EMPTY]
    got = smtp_server.mailbox.messages
    assert len(got) == 2
    by_rcpt = {tuple(m.rcpt_tos): m for m in got}
    wage = by_rcpt[("wage-a@example.gov.cn", "wage-b@example.gov.cn")]
    assert wage.mail_from == "yuqing@example.gov.cn"
    msg = parse(wage.data)
    assert msg["Subject"] == "【舆情回应提醒】2021-06-15 逾期 1 · 24小时内到期 0 · 新事件 0 ｜ 广州·工资拖欠"
    assert "=?utf-8?" in wage.data.decode("ascii").split("\r\n\r\n")[0].lower()  # RFC 2047 on the wire
    assert str(msg["To"]) == "undisclosed-recipients:;"
    assert "Bcc" not in msg and b"wage-a@" not in wage.data and b"wage-b@" not in wage.data
    assert msg["Message-ID"] == results[0].message_id
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    assert "天河区某工地拖欠农民工工资" in text.get_content()
    assert "天河区某工地拖欠农民工工资" in html.get_content()
    assert "深圳" not in text.get_content()  # not this route's
    safety = parse(by_rcpt[("safety@example.gov.cn",)].data)
    assert str(safety["To"]) == "safety@example.gov.cn"
    assert "广州某化工厂发生爆炸" in safety.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    # The ledger: one row per sent route, none for the empty one.
    r = row(wh, "gz-wage")
    assert (r.state, r.attempts, r.recipients_count, r.message_id) == ("sent", 1, 2, results[0].message_id)
    assert r.subject == msg["Subject"] and r.as_of == AS_OF and r.sent_at is not None
    assert sql.get_digest(wh.con, digest_date(AS_OF), "quiet") is None


def test_second_run_same_day_sends_nothing_and_force_sends_again(
    wh: Warehouse, world: World, smtp_server: SmtpServer
) -> None:
    first = send_digests(wh, AS_OF, [ALL], settings(smtp_server))
    assert first[0].outcome is Outcome.SENT
    later = sh(15, 9, 30)  # same Asia/Shanghai day
    again = send_digests(wh, later, [ALL], settings(smtp_server))
    assert again[0].outcome is Outcome.ALREADY_SENT
    assert len(smtp_server.mailbox.messages) == 1
    forced = send_digests(wh, AS_OF, [ALL], settings(smtp_server), force=True)
    assert forced[0].outcome is Outcome.SENT
    assert len(smtp_server.mailbox.messages) == 2
    ids = [parse(m.data)["Message-ID"] for m in smtp_server.mailbox.messages]
    assert ids[0] != ids[1]  # same content, but a forced re-send must not be collapsed as a duplicate
    assert row(wh, "all").attempts == 2
    # The next day is a new digest, and its "since" is the last one sent.
    next_day = sh(16, 8)
    nxt = send_digests(wh, next_day, [ALL], settings(smtp_server))
    assert nxt[0].outcome is Outcome.SENT and len(smtp_server.mailbox.messages) == 3


def test_smtp_down_then_up_delivers_exactly_once(wh: Warehouse, world: World, smtp_down: SmtpServer) -> None:
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:  # the server comes back after the second failure
            smtp_down.start()

    results = send_digests(wh, AS_OF, [ALL], settings(smtp_down, max_attempts=4), sleep=sleep)
    assert results[0].outcome is Outcome.SENT
    assert results[0].attempts == 3
    assert waits == [0.01, 0.02]  # exponential backoff
    assert len(smtp_down.mailbox.messages) == 1
    r = row(wh, "all")
    assert (r.state, r.attempts, r.error) == ("sent", 3, None)


def test_retries_exhausted_are_recorded_then_next_run_sends(
    wh: Warehouse, world: World, smtp_down: SmtpServer
) -> None:
    results = send_digests(wh, AS_OF, [ALL], settings(smtp_down, max_attempts=2), sleep=lambda s: None)
    assert results[0].outcome is Outcome.FAILED
    r = row(wh, "all")
    assert r.state == "failed" and r.attempts == 2
    assert r.error is not None and "connect to 127.0.0.1" in r.error
    smtp_down.start()
    results = send_digests(wh, AS_OF, [ALL], settings(smtp_down), sleep=lambda s: None)
    assert results[0].outcome is Outcome.SENT and results[0].attempts == 3
    assert len(smtp_down.mailbox.messages) == 1
    assert row(wh, "all").state == "sent"


def test_4xx_at_rcpt_is_retried_5xx_is_not(wh: Warehouse, world: World, smtp_server: SmtpServer) -> None:
    box = smtp_server.mailbox
    box.rcpt_reply = "451 4.3.0 try again later"

    def sleep(seconds: float) -> None:
        box.rcpt_reply = None

    results = send_digests(wh, AS_OF, [ALL], settings(smtp_server), sleep=sleep)
    assert results[0].outcome is Outcome.SENT and results[0].attempts == 2
    assert len(box.messages) == 1

    box.data_reply = "554 5.7.1 rejected as spam"
    results = send_digests(wh, AS_OF, [SAFETY], settings(smtp_server), sleep=lambda s: None)
    assert results[0].outcome is Outcome.FAILED and results[0].attempts == 1
    r = row(wh, "work-safety")
    assert r.state == "failed" and r.error is not None and "554" in r.error


def test_left_sending_is_in_doubt_not_resent(wh: Warehouse, world: World, smtp_server: SmtpServer) -> None:
    # A run that crashed after committing 'sending' (it may or may not have reached the server).
    first = send_digests(wh, AS_OF, [ALL], settings(smtp_server))
    wh.con.execute("UPDATE digests SET state = 'sending', sent_at = NULL WHERE route = 'all'")
    results = send_digests(wh, AS_OF, [ALL], settings(smtp_server))
    assert results[0].outcome is Outcome.IN_DOUBT and not results[0].ok
    assert len(smtp_server.mailbox.messages) == 1
    # force re-sends with the SAME Message-ID (same content): clients that already have it show one.
    forced = send_digests(wh, AS_OF, [ALL], settings(smtp_server), force=True)
    assert forced[0].outcome is Outcome.SENT
    assert forced[0].message_id == first[0].message_id
    assert [parse(m.data)["Message-ID"] for m in smtp_server.mailbox.messages] == [first[0].message_id] * 2


def test_send_empty_route(wh: Warehouse, smtp_server: SmtpServer) -> None:
    quiet_all = Route(name="all", recipients=("duty@example.gov.cn",), all=True, send_empty=True)
    results = send_digests(wh, AS_OF, [QUIET, quiet_all], settings(smtp_server))
    assert [r.outcome for r in results] == [Outcome.EMPTY, Outcome.SENT]
    msg = parse(smtp_server.mailbox.messages[0].data)
    assert msg["Subject"] == "【舆情回应提醒】2021-06-15 逾期 0 · 24小时内到期 0 · 新事件 0"
    assert "本期无逾期" in msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_out_dir_and_write_digest_write_files_and_send_nothing(
    wh: Warehouse, world: World, tmp_path: Path
) -> None:
    results = send_digests(wh, AS_OF, [GZ_WAGE, ALL], None, out_dir=tmp_path / "out")
    assert [r.outcome for r in results] == [Outcome.WRITTEN, Outcome.WRITTEN]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "2021-06-15-all.eml",
        "2021-06-15-all.html",
        "2021-06-15-gz-wage.eml",
        "2021-06-15-gz-wage.html",
    ]
    assert list(sql.ledger(wh.con)) == []
    result = write_digest(wh, AS_OF, tmp_path / "digest.eml")
    eml, html = result.paths
    assert html == tmp_path / "digest.html"
    msg = parse(eml.read_bytes())
    assert msg["Subject"] == "【舆情回应提醒】2021-06-15 逾期 2 · 24小时内到期 0 · 新事件 4"
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert list(sql.ledger(wh.con)) == []


def test_hostile_item_reaches_the_mail_inert(wh: Warehouse, world: World, smtp_server: SmtpServer) -> None:
    send_digests(wh, AS_OF, [SAFETY], settings(smtp_server))
    msg = parse(smtp_server.mailbox.messages[0].data)
    html_part = msg.get_body(("html",))
    assert html_part is not None
    html = html_part.get_content()
    lowered = html.lower()
    assert "<script" not in lowered
    assert "onerror=" not in lowered
    assert "<img" not in lowered
    assert 'href="javascript:' not in lowered and "href=javascript:" not in lowered
    assert "javascript:alert(document.cookie)" in html  # shown, as text
    assert "Bcc" not in msg
