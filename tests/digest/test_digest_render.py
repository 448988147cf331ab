"""render() and build_message(): content, order, and that feed text reaches the mail only as inert text."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from html.parser import HTMLParser

import pytest
from digest_world import AS_OF, World

from warehouse.db import Warehouse
from yuqing.digest import Route, build_message, collect, render
from yuqing.digest.model import opening_basis
from yuqing.digest.render import fmt_duration
from yuqing.digest.safety import header_text, plain_text, safe_url

SUBJECT = "【舆情回应提醒】2021-06-15 逾期 2 · 24小时内到期 0 · 新事件 4"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    p = _Tags()
    p.feed(html)
    return p.tags


def test_subject_and_section_order(wh: Warehouse, world: World) -> None:
    rendered = render(collect(wh, AS_OF, Route.catch_all()))
    assert rendered.subject == SUBJECT
    for part in (rendered.text, rendered.html):
        positions = [
            part.index(h)
            for h in ("一、已逾期", "二、24小时内到期", "三、新事件", "四、已收到回应", "五、近7日话题趋势")
        ]
        assert positions == sorted(positions)
    text = rendered.text
    assert "逾期 7小时：首次权威信息发布（first_information）" in text
    assert "national.major.first_information（国办发〔2016〕80号）" in text
    assert "剩余 12小时：新闻发布会（press_conference）" in text
    assert "逾期回应（超时 6小时）" in text and "按时回应" in text
    assert "工资拖欠：1 · 2 · 3 · 4 · 8 · 9 · 7（合计 34）" in text
    assert "2021-06-15 08:00" in text  # as_of in Asia/Shanghai


def test_trend_bars_are_table_cells_with_widths(wh: Warehouse, world: World) -> None:
    html = render(collect(wh, AS_OF, Route.catch_all())).html
    widths = [
        a["width"]
        for t, a in _tags(html)
        if t == "table" and (a.get("width") or "").endswith("%") and a.get("width") != "100%"
    ]
    assert "100%" not in widths and len(widths) >= 7
    assert all(4 <= int(w.rstrip("%")) <= 100 for w in widths if w)


def test_hostile_item_is_inert(wh: Warehouse, world: World) -> None:
    rendered = render(collect(wh, AS_OF, Route.catch_all()))
    html = rendered.html
    tags = _tags(html)
    assert "<script" not in html.lower()
    assert not any(t in ("script", "img", "iframe", "object", "embed", "link", "form") for t, _ in tags)
    assert not any(k.startswith("on") for _, attrs in tags for k in attrs)
    assert "onerror=" not in html.lower()
    hrefs = [a.get("href") or "" for t, a in tags if t == "a"]
    assert hrefs and all(h.startswith(("http://", "https://")) for h in hrefs)
    assert not re.search(r"href\s*=\s*[\"']?\s*javascript:", html, re.I)
    # No remote content at all: the only URLs in attributes are the links.
    assert not any(k in ("src", "background", "srcset") for _, attrs in tags for k in attrs)
    # The title survives as text, on one line (in text, the serializer leaves quotes bare: they end nothing there).
    assert '某厂 爆燃 "引号" Bcc: victim@example.com' in html
    assert '某厂 爆燃 "引号" Bcc: victim@example.com' in rendered.text
    assert "javascript:alert(document.cookie)（非 http(s) 链接" in rendered.text


def test_message_parts_headers_and_recipients(wh: Warehouse, world: World) -> None:
    rendered = render(collect(wh, AS_OF, Route.catch_all()))
    msg = build_message(
        rendered,
        "舆情监测 <yuqing@example.gov.cn>",
        ["a@example.cn", "b@example.cn"],
        msg_id="<x@example.gov.cn>",
        date=AS_OF,
    )
    raw = msg.as_bytes()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998  # RFC 5322 §2.1.1
    assert raw.isascii()  # every header RFC 2047-encoded, every body part transfer-encoded
    back = message_from_bytes(raw, policy=policy.default)
    assert isinstance(back, EmailMessage)
    assert back["Subject"] == SUBJECT
    assert str(back["To"]) == "undisclosed-recipients:;"
    assert "Bcc" not in back and b"a@example.cn" not in raw and b"b@example.cn" not in raw
    assert back.get_content_type() == "multipart/alternative"
    plain = back.get_body(("plain",))
    html = back.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content_charset() == "utf-8" and html.get_content_charset() == "utf-8"
    assert plain.get_content().replace("\r\n", "\n") == rendered.text.replace("\r\n", "\n")
    assert "一、已逾期" in html.get_content()
    assert back["Auto-Submitted"] == "auto-generated"
    # One recipient: To: is that recipient.
    one = build_message(rendered, "yuqing@example.gov.cn", ["a@example.cn"])
    assert str(one["To"]) == "a@example.cn"


def test_header_injection_is_impossible() -> None:
    from yuqing.digest.render import RenderedDigest

    rendered = RenderedDigest(subject="标题\r\nBcc: evil@example.com", text="x", html="<p>x</p>")
    msg = build_message(rendered, "yuqing@example.gov.cn", ["a@example.cn"])
    raw = msg.as_bytes()
    assert b"\r\nBcc:" not in raw
    assert "Bcc" not in message_from_bytes(raw, policy=policy.default)
    with pytest.raises(Exception):  # noqa: B017 - any refusal will do: a CR/LF recipient never gets in
        build_message(rendered, "yuqing@example.gov.cn", ["a@example.cn\r\nBcc: evil@example.com"])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<b>粗体</b>标题", "粗体 标题"),
        ("&lt;script&gt;alert(1)&lt;/script&gt;正文", "正文"),
        ("&amp;lt;img src=x onerror=alert(1)&amp;gt;文字", "文字"),
        ("PM2.5 < 35 且 a<b", "PM2.5 < 35 且 a<b"),
        ("一行\r\n二行\u2028三行\u202e反转", "一行 二行 三行 反转"),
        (None, ""),
    ],
)
def test_plain_text(value: str | None, expected: str) -> None:
    assert plain_text(value) == expected


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://www.gz.gov.cn/a?b=1&c=2", True),
        ("http://news.example.cn/x", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        (" javascript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("vbscript:msgbox", False),
        ("file:///etc/passwd", False),
        ("//evil.example/x", False),
        ("/relative/path", False),
        ("https://www.gov.cn@evil.example/", False),
        ("https://exa mple.cn/", False),
        ("https://example.cn/\r\nX: y", False),
        ("http:///nohost", False),
    ],
)
def test_safe_url(url: str, ok: bool) -> None:
    assert (safe_url(url) is not None) is ok


def test_header_text_and_durations() -> None:
    assert header_text("a\r\nb\tc\x00d") == "a b c d"
    assert fmt_duration(__import__("datetime").timedelta(minutes=45)) == "45分钟"
    assert fmt_duration(__import__("datetime").timedelta(hours=3, minutes=20)) == "3小时20分"
    assert fmt_duration(__import__("datetime").timedelta(days=2, hours=5)) == "2天5小时"


def test_each_event_says_why_it_was_opened(wh: Warehouse, world: World) -> None:
    """An ops reader tells a reported explosion from the model's guess: the opening item's issue evidence, read from
    the warehouse, gives the line «立案依据» under each event (none where it was not recorded)."""
    evidence = {
        "ev-blast-1": '{"issue": ["p=0.91", "issue_rule +1.15", "rule: incident: 爆炸; place named"]}',
        "ev-wage-sz-1": '{"issue": ["p=0.46", "title:欠薪 +0.52"]}',
    }
    for item_id, value in evidence.items():
        wh.con.execute("UPDATE items SET evidence = ? WHERE item_id = ?", [value, item_id])
    # an opening item re-classified as no issue since it opened its event (a general one) says so
    wh.con.execute("UPDATE items SET issue = false WHERE item_id = 'ev-food-1'")
    rendered = render(collect(wh, AS_OF, Route.catch_all()))
    text = rendered.text
    blast = text.index("广州某化工厂发生爆炸")
    assert text.index("立案依据：规则（事故事件：爆炸）", blast) < text.index("\n", text.index("原文", blast))
    assert "立案依据：模型（概率 0.46）" in text
    assert "立案依据：开启事件的条目已改判为非问题" in text
    # the other events' opening items carry no recorded issue evidence: no line rather than a guess
    lines = {line.strip() for line in text.splitlines() if "立案依据" in line}
    assert lines == {"立案依据：规则（事故事件：爆炸）", "立案依据：模型（概率 0.46）", "立案依据：开启事件的条目已改判为非问题"}
    assert "立案依据：规则（事故事件：爆炸）" in rendered.html and "立案依据：模型（概率 0.46）" in rendered.html


@pytest.mark.parametrize(
    ("evidence", "expected"),
    [
        (("p=0.21", "rule: first case: 确诊首例; place named"), "规则（首例病例：确诊首例）"),
        (("p=0.59", "issue_rule +1.16", "rule: outbreak: 本土病例; count: 32人"), "规则（本地病例：本土病例）"),
        (("p=0.99", "rule: complaint: 讨薪; person: 农民工"), "规则（投诉诉求：讨薪）"),
        (("p=0.63", "title:业主 +0.14"), "模型（概率 0.63）"),
        (None, ""),
        (("rules: on a topic, not official, not a response",), ""),
    ],
)
def test_opening_basis(evidence: tuple[str, ...] | None, expected: str) -> None:
    assert opening_basis(evidence) == expected


def test_an_opening_item_that_is_no_issue() -> None:
    # only an official source's report of a major emergency elsewhere opens an event without being an issue; a
    # general event's opening item that is no issue now was re-classified since
    assert opening_basis((), "major_emergency") == "官方来源转述外地重大突发事件"
    assert opening_basis((), "general") == "开启事件的条目已改判为非问题"


def test_an_event_an_analyst_dismissed_leaves_the_digest(wh: Warehouse, world: World) -> None:
    """``yuqing dismiss``: from the dismissal's time on, the event is in no section and no count."""
    from datetime import timedelta

    from yuqing.track.run import dismiss

    before = render(collect(wh, AS_OF, Route.catch_all()))
    assert "广州某化工厂发生爆炸" in before.text and before.subject == SUBJECT
    (blast,) = wh.con.execute("SELECT event_id FROM event_items WHERE item_id = 'ev-blast-1'").fetchone() or ()
    dismiss(wh, blast, "analyst-1", "a fire drill", at=AS_OF - timedelta(hours=1))
    after = render(collect(wh, AS_OF, Route.catch_all()))
    assert "广州某化工厂发生爆炸" not in after.text and "广州某化工厂发生爆炸" not in after.html
    assert after.subject == SUBJECT.replace("逾期 2", "逾期 1").replace("新事件 4", "新事件 3")
    # a digest as of before the dismissal still lists it
    assert "广州某化工厂发生爆炸" in render(collect(wh, AS_OF - timedelta(hours=2), Route.catch_all())).text


def test_a_response_an_analyst_linked_says_so(wh: Warehouse, world: World) -> None:
    """A milestone met by a response an analyst linked (``yuqing link``) reads «人工关联» beside the response's kind."""
    before = render(collect(wh, AS_OF, Route.catch_all())).text.splitlines()
    answered = [x for x in before if "官方发布" in x]
    assert answered and not any("人工关联" in x for x in before)
    wh.con.execute(
        "INSERT INTO response_decisions VALUES ('ev-food', 'ev-food-resp-first_response', true, "
        "['first_response'], 'analyst-1', 'the reply', ?)",
        [AS_OF],
    )
    after = render(collect(wh, AS_OF, Route.catch_all()))
    linked = [x for x in after.text.splitlines() if "人工关联" in x]
    assert len(linked) == 1 and linked[0].replace("官方发布，人工关联", "官方发布") in answered
    assert "人工关联" in after.html


def test_an_event_a_new_report_brought_back_says_who_had_dismissed_it(wh: Warehouse, world: World) -> None:
    """A dismissal covers the reports its event had; a later report that is an issue brings the event back, and the
    digest says who had dismissed it and why, so the reader knows why it is listed again."""
    from datetime import timedelta

    from yuqing.track.run import dismiss

    (blast,) = wh.con.execute("SELECT event_id FROM event_items WHERE item_id = 'ev-blast-1'").fetchone() or ()
    dismiss(wh, blast, "analyst-1", "a fire drill", at=AS_OF - timedelta(hours=3))
    assert "广州某化工厂发生爆炸" not in render(collect(wh, AS_OF, Route.catch_all())).text
    world.item("ev-blast-late", "广州化工厂爆炸已致5人死亡", at=AS_OF - timedelta(hours=2), url=None)
    wh.con.execute("INSERT INTO event_items VALUES ('ev-blast-late', ?)", [blast])
    rendered = render(collect(wh, AS_OF, Route.catch_all()))
    text = rendered.text
    assert "广州某化工厂发生爆炸" in text
    assert "重新列入：曾由 analyst-1 撤销（a fire drill），其后有新的报道" in text
    assert text.count("重新列入") == 1 and "重新列入" in rendered.html


def test_a_report_since_the_last_digest_on_an_event_known_then_is_counted(wh: Warehouse, world: World) -> None:
    """An event already known at the last digest that has reports since (its matter raised again while overdue, a
    follow-up) says how many and when the latest came, so the reader sees it is still being raised; a new event does
    not (all its reports are new)."""
    from datetime import timedelta

    known = wh.con.execute(
        "SELECT e.event_id, e.title FROM events AS e WHERE e.first_detected_at <= ? ORDER BY e.started_at LIMIT 1",
        [AS_OF - timedelta(days=1)],
    ).fetchone()
    assert known is not None
    before = render(collect(wh, AS_OF, Route.catch_all()))
    assert known[1] in before.text and "新增报道/反映" not in before.text
    world.item("ev-raised-again", "化工厂爆炸周边居民再次反映异味", at=AS_OF - timedelta(hours=2), url=None)
    wh.con.execute("INSERT INTO event_items VALUES ('ev-raised-again', ?)", [known[0]])
    after = render(collect(wh, AS_OF, Route.catch_all()))
    lines = [x.strip() for x in after.text.splitlines() if "新增报道/反映" in x]
    assert lines == ["新增报道/反映：1 条，最近 2021-06-15 06:00（自上次提醒以来）"]
    assert after.text.index(known[1]) < after.text.index(lines[0])
    assert "新增报道/反映：1 条" in after.html
