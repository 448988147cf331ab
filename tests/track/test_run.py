from __future__ import annotations

from datetime import timedelta

import pytest

from yuqing.errors import StorageError
from yuqing.track.deadlines import RULES_PATH, parse_rules
from yuqing.track.explain import explain_event
from yuqing.track.run import overdue, run_track, set_severity_override

from .helpers import T0, item, store, warehouse

BOOM = "十堰市张湾区艳湖社区集贸市场发生燃气爆炸事故"
WAGES = "东莞某工地数十名农民工讨薪无果，包工头失联"


def _items() -> list:
    return [
        item("m1", BOOM, 0, source="m1", severity="major_emergency", fetched_delay=1),
        item("m2", "突发！" + BOOM, 2, source="m2", fetched_delay=1),
        item("w1", WAGES, 1, source="m1", topics=("wage_arrears",), region="441900"),
        # official 通报 3 h after the start, but only fetched 20 h later
        item("g1", "关于艳湖社区集贸市场燃气爆炸事故的情况通报", 3, source="湖北发布", official=True,
             official_response=True, region="420000", kinds=("first_information",), fetched_delay=20),
        # a press conference, late
        item("g2", "艳湖社区集贸市场燃气爆炸事故新闻发布会", 30, source="湖北发布", official=True,
             official_response=True, region="420000", kinds=("press_conference", "first_information")),
        # the wage arrears answered by a media report of the labour bureau's reply, after 60 h
        item("w2", "记者从东莞市人社局获悉：工地农民工讨薪 包工头失联一事已立案", 61, source="m3",
             topics=("wage_arrears",), region="441900", reported_response=True, kinds=("first_response",)),
    ]


def _overdue_pairs(wh, hours: float) -> set[tuple[str, str]]:
    return {(r.title[:4], r.milestone) for r in overdue(wh, T0 + timedelta(hours=hours))}


def test_run_track_checkpoints_idempotent_and_explain() -> None:
    with warehouse() as wh:
        store(wh, _items())
        expected = {
            2: set(),
            6: {("十堰市张", "first_information")},
            25: {("十堰市张", "press_conference")},
            50: {("东莞某工", "first_response")},
            70: set(),
        }
        for hours, pairs in expected.items():
            run_track(wh, T0 + timedelta(hours=hours))
            assert _overdue_pairs(wh, hours) == pairs, hours
            rows = wh.con.execute("SELECT title[:4], milestone FROM v_overdue").fetchall()
            assert set(rows) == pairs
        # past checkpoints are still answered as they were (status depends on as_of)
        assert _overdue_pairs(wh, 6) == {("十堰市张", "first_information")}
        before = wh.con.execute("SELECT * FROM events ORDER BY ALL").fetchall()
        report = run_track(wh, T0 + timedelta(hours=70))
        assert report.items_seen == 0
        assert wh.con.execute("SELECT * FROM events ORDER BY ALL").fetchall() == before
        ms = dict(wh.con.execute("SELECT milestone || ':' || title[:2], v.status FROM v_milestones v "
                                 "JOIN events USING (event_id)").fetchall())
        assert ms == {"first_information:十堰": "met", "press_conference:十堰": "met_late",
                      "first_response:东莞": "met_late"}
        ev = wh.con.execute("SELECT event_id, status, item_count FROM v_events WHERE title LIKE '十堰%'").fetchall()[0]
        assert ev[1:] == ("met_late", 2)
        assert wh.con.execute("SELECT reported FROM v_milestones WHERE milestone = 'first_response'").fetchall()[0] == (True,)
        text = explain_event(wh, ev[0])
        assert "情况通报" in text and "met_late" in text and "国办发〔2016〕80号" in text

        wage = wh.con.execute("SELECT event_id FROM events WHERE title LIKE '东莞%'").fetchall()[0][0]
        set_severity_override(wh, wage, "major_emergency", "analyst-1", "mass incident")
        row = wh.con.execute("SELECT severity, severity_proposed, severity_override FROM v_events "
                             "WHERE event_id = ?", [wage]).fetchall()[0]
        assert row == ("major_emergency", "general", "major_emergency")
        assert {m for (m,) in wh.con.execute("SELECT milestone FROM milestones WHERE event_id = ?", [wage]).fetchall()} == {
            "first_information", "press_conference"}
        with pytest.raises(StorageError):
            set_severity_override(wh, "ev-missing", "general", "a", "b")


def test_incremental_runs_equal_one_batch_run() -> None:
    items = _items()
    with warehouse() as inc, warehouse() as batch:
        store(inc, items)
        store(batch, items)
        for hours in (1, 2, 3, 30, 70):
            run_track(inc, T0 + timedelta(hours=hours))
        run_track(batch, T0 + timedelta(hours=70))
        q = "SELECT event_id, item_id FROM event_items ORDER BY ALL"
        assert inc.con.execute(q).fetchall() == batch.con.execute(q).fetchall()
        q = "SELECT event_id, milestone, status, met_at FROM v_milestones ORDER BY ALL"
        assert inc.con.execute(q).fetchall() == batch.con.execute(q).fetchall()


def test_who_opens_reads_the_sources_table() -> None:
    relay = "习近平对湖北十堰市张湾区艳湖社区集贸市场燃气爆炸事故作出重要指示"
    items = [
        item("n1", relay, 0, source="应急管理部", official=True, severity="major_emergency"),
        item("p1", "湖北省部署全省燃气安全隐患排查整治", 1, source="湖北省人民政府网", official=True,
             source_region="420000", region="420000"),
    ]
    with warehouse() as wh:
        store(wh, items)
        run_track(wh, T0 + timedelta(hours=2))
        assert wh.con.execute("SELECT opening_item_id FROM events").fetchall() == [("n1",)]
        roles = dict(wh.con.execute("SELECT item_id, role FROM track_items").fetchall())
        assert roles == {"n1": "member", "p1": "official"}


def test_county_incident_key_joins_later_runs_like_one_batch() -> None:
    items = [
        item("d1", "揪心！山西代县铁矿透水事故，11人遇难", 0, region="140923", severity="major_emergency"),
        item("d2", "山西代县铁矿事故致13名矿工遇难，13名嫌疑人被刑拘", 9, region="140923", severity="major_emergency"),
    ]
    with warehouse() as inc, warehouse() as batch:
        store(inc, items)
        store(batch, items)
        run_track(inc, T0 + timedelta(hours=1))  # sees d1 only
        run_track(inc, T0 + timedelta(hours=12))  # d2 finds d1 through the stored county key
        run_track(batch, T0 + timedelta(hours=12))
        q = "SELECT event_id, item_id FROM event_items ORDER BY ALL"
        assert inc.con.execute(q).fetchall() == batch.con.execute(q).fetchall()
        assert len({e for e, _ in inc.con.execute(q).fetchall()}) == 1


def test_overdue_lookback() -> None:
    """``overdue`` looks back 90 days by default (by the event's start); ``None`` has no limit."""
    with warehouse() as wh:
        store(wh, _items()[:3])
        run_track(wh, T0 + timedelta(hours=6))
        later = T0 + timedelta(days=100)
        everything = {(r.title[:4], r.milestone) for r in overdue(wh, later, lookback_days=None)}
        assert everything == {
            ("十堰市张", "first_information"),
            ("十堰市张", "press_conference"),
            ("东莞某工", "first_response"),
        }
        assert overdue(wh, later) == []
        assert {(r.title[:4], r.milestone) for r in overdue(wh, later, lookback_days=101)} == everything
        # the start is T0 itself: a horizon exactly there still includes it
        assert {(r.title[:4], r.milestone) for r in overdue(wh, later, lookback_days=100)} == everything
        assert overdue(wh, later, lookback_days=0) == []
        with pytest.raises(ValueError):
            overdue(wh, later, lookback_days=-1)


def test_a_severity_override_keeps_the_response_kinds_of_a_regional_rule() -> None:
    """A regional override of a press-conference deadline is met by a press conference only, whether its
    milestones were written by a track run or by an analyst's severity override."""
    text = RULES_PATH.read_text(encoding="utf-8") + (
        '\n[[override]]\nid = "44.major.press"\nregion_prefix = "44"\nseverity = "major_emergency"\n'
        'milestone = "press_conference"\nhours = 12\n'
    )
    rules = parse_rules(text)
    with warehouse() as wh:
        store(wh, _items())
        run_track(wh, T0 + timedelta(hours=70), rules=rules)
        wage = wh.con.execute("SELECT event_id FROM events WHERE title LIKE '东莞%'").fetchall()[0][0]
        set_severity_override(wh, wage, "major_emergency", "analyst-1", "mass incident", rules=rules)
        rows = wh.con.execute(
            "SELECT rule_id, satisfied_by FROM milestones WHERE event_id = ? ORDER BY rule_id", [wage]
        ).fetchall()
    assert ("44.major.press", ["press_conference"]) in rows
