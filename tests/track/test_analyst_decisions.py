"""An analyst's word over the tracker's judgments: ``yuqing dismiss`` (an event the classifier opened needs no answer:
flagged neither overdue nor due from the dismissal's time on, until a new report that is an issue joins it) and
``yuqing link`` (an answer the matcher missed is linked, a wrong link removed, at once in the event's milestones and in
every track run after)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from warehouse import alerts as alert_sql
from warehouse import decisions
from warehouse import events as sql
from yuqing.errors import StorageError
from yuqing.track.explain import explain_event
from yuqing.track.run import LinkDecision, decide_response, dismiss, overdue, run_track

from .helpers import T0, item, raise_alert, store, unsent_alerts_hold, warehouse

BOOM = "十堰市张湾区艳湖社区集贸市场发生燃气爆炸事故"
WAGES = "东莞某工地数十名农民工讨薪无果，包工头失联"


def _items() -> list:
    return [
        item("m1", BOOM, 0, source="m1", severity="major_emergency"),
        item("w1", WAGES, 1, source="m1", topics=("wage_arrears",), region="441900"),
    ]


def _with_answers() -> list:
    return [
        *_items(),
        # the board's reply to the workers names nothing of the matter: the matcher cannot link it
        item("r1", "网友留言答复", 20, source="东莞人社", official=True, official_response=True, region="441900",
             topics=(), kinds=("first_response",)),
        # an official notice the matcher links to the explosion
        item("g1", "关于艳湖社区集贸市场燃气爆炸事故的情况通报", 3, source="湖北发布", official=True,
             official_response=True, region="420000", kinds=("first_information",)),
    ]  # fmt: skip


def _flagged(wh, hours: float) -> set[tuple[str, str]]:
    return {(r.title[:2], r.milestone) for r in overdue(wh, T0 + timedelta(hours=hours))}


def _event(wh, prefix: str) -> str:
    return wh.con.execute("SELECT event_id FROM events WHERE title LIKE ?", [prefix + "%"]).fetchall()[0][0]


def test_a_dismissed_event_is_not_flagged_from_the_dismissal_on() -> None:
    with warehouse() as wh:
        store(wh, _items())
        run_track(wh, T0 + timedelta(hours=60))
        assert _flagged(wh, 60) == {("十堰", "first_information"), ("十堰", "press_conference"), ("东莞", "first_response")}
        wages = _event(wh, "东莞")
        d = dismiss(wh, wages, "analyst-1", "a rumour, no such site", at=T0 + timedelta(hours=55))
        assert (d.dismissed, d.covered, d.open_milestones) == (True, 1, 1)

        # as of the dismissal and after it the event is not flagged; before it, it was (replays see what ops saw)
        assert _flagged(wh, 60) == {("十堰", "first_information"), ("十堰", "press_conference")}
        assert ("东莞", "first_response") in _flagged(wh, 54)
        assert decisions.dismissed_ids(wh.con, T0 + timedelta(hours=55)) == {wages}
        assert decisions.dismissed_ids(wh.con, T0 + timedelta(hours=54)) == set()

        # the analyst views: the event and its open milestone say so at once; v_overdue leaves it out
        assert wh.con.execute("SELECT status, dismissed_at FROM v_events WHERE event_id = ?", [wages]).fetchall() == [
            ("dismissed", T0 + timedelta(hours=55))
        ]
        assert wh.con.execute("SELECT status FROM v_milestones WHERE event_id = ?", [wages]).fetchall() == [("dismissed",)]
        assert {m for (m,) in wh.con.execute("SELECT title[:2] FROM v_overdue").fetchall()} == {"十堰"}
        assert "dismissed (1 members covered) by analyst-1" in explain_event(wh, wages)

        # a track run's count of overdue milestones leaves it out too
        assert run_track(wh, T0 + timedelta(hours=61)).items_seen == 0
        store(wh, [item("z1", "某县化工厂发生泄漏", 60.5, region="420300")])
        report = run_track(wh, T0 + timedelta(hours=61))
        assert report.milestones == 4  # 十堰's two, 东莞's, the new leak's (pending)
        assert report.overdue == 2  # 十堰's two: 东莞's is left out

        # taken back: flagged again from then on, still dismissed between the two
        back = dismiss(wh, wages, "analyst-2", "the site exists", undo=True, at=T0 + timedelta(hours=62))
        assert not back.dismissed and back.open_milestones == 1
        assert ("东莞", "first_response") in _flagged(wh, 63)
        assert ("东莞", "first_response") not in _flagged(wh, 61)


def test_a_new_report_that_is_an_issue_reopens_a_dismissed_event() -> None:
    with warehouse() as wh:
        store(wh, _items())
        run_track(wh, T0 + timedelta(hours=10))
        boom = _event(wh, "十堰")
        dismiss(wh, boom, "analyst-1", "drill, not an explosion", at=T0 + timedelta(hours=10))
        assert _flagged(wh, 30) == set()

        # an official notice answering it is no new report: it stays dismissed
        store(wh, [item("g1", "关于艳湖社区集贸市场燃气爆炸事故的情况通报", 31, source="湖北发布", official=True,
                        official_response=True, region="420000", kinds=("first_information",))])  # fmt: skip
        run_track(wh, T0 + timedelta(hours=32))
        assert decisions.dismissed_ids(wh.con, T0 + timedelta(hours=32)) == {boom}

        # a second outlet's report of the same explosion joins the event: it is flagged again
        store(wh, [item("m2", "突发！" + BOOM + "，已致多人伤亡", 33, source="m2", severity="major_emergency")])
        run_track(wh, T0 + timedelta(hours=34))
        assert wh.con.execute("SELECT event_id FROM event_items WHERE item_id = 'm2'").fetchall() == [(boom,)]
        assert decisions.dismissed_ids(wh.con, T0 + timedelta(hours=34)) == set()
        assert ("十堰", "press_conference") in _flagged(wh, 34)
        # before the new report existed the dismissal held
        assert decisions.dismissed_ids(wh.con, T0 + timedelta(hours=32)) == {boom}


def test_a_dismissal_follows_a_merge_and_covers_only_what_it_was_made_on() -> None:
    with warehouse() as wh:
        store(wh, _items())
        run_track(wh, T0 + timedelta(hours=10))
        boom, wages = _event(wh, "十堰"), _event(wh, "东莞")
        dismiss(wh, wages, "analyst-1", "duplicate", at=T0 + timedelta(hours=10))
        with wh.transaction():
            sql.write_grouping(wh.con, [], {wages: boom}, T0 + timedelta(hours=11))
        assert wh.con.execute("SELECT DISTINCT event_id FROM event_dismissals").fetchall() == [(boom,)]
        # the surviving event's own report is not covered by the dismissal: it stays open
        assert decisions.dismissed_ids(wh.con, T0 + timedelta(hours=11)) == set()


def test_an_unsent_alert_of_a_dismissed_event_expires() -> None:
    with warehouse() as wh:
        store(wh, _items())
        run_track(wh, T0 + timedelta(hours=10))
        boom = _event(wh, "十堰")
        raise_alert(wh, (boom, "press_conference", "due_soon", "safety", "email"), 10, 24, "即将到期")
        at = T0 + timedelta(hours=12)
        assert unsent_alerts_hold(wh, 12) == [None]
        assert alert_sql.candidates(wh.con, at, T0)
        dismiss(wh, boom, "analyst-1", "drill", at=T0 + timedelta(hours=11))
        assert unsent_alerts_hold(wh, 12) == ["the event was dismissed by an analyst before it could be sent"]
        assert {r.event_id for r in alert_sql.candidates(wh.con, at, T0)} == {_event(wh, "东莞")}


def test_a_dismissal_names_its_analyst_reason_and_event() -> None:
    with warehouse() as wh:
        store(wh, _items())
        run_track(wh, T0 + timedelta(hours=10))
        with pytest.raises(ValueError):
            dismiss(wh, _event(wh, "十堰"), "analyst-1", " ")
        with pytest.raises(ValueError):
            dismiss(wh, _event(wh, "十堰"), "", "drill")
        with pytest.raises(StorageError):
            dismiss(wh, "ev-missing", "analyst-1", "drill")
        assert wh.con.execute("SELECT count(*) FROM event_dismissals").fetchall() == [(0,)]


def test_the_unlinked_responses_whose_text_holds_the_events_wording_come_first() -> None:
    with warehouse() as wh:
        store(wh, [
            *_with_answers(),
            # a bureau's notice with a headline of its own: the matcher reads its headline, which shares nothing
            item("r2", "东莞市人力资源和社会保障局关于近期劳动保障监察工作的通报", 30, source="东莞人社", official=True,
                 official_response=True, region="441900", topics=(), kinds=("first_response",),
                 summary="针对网传东莞某工地数十名农民工讨薪无果、包工头失联一事，我局已责令总包单位垫付工资。"),
        ])  # fmt: skip
        run_track(wh, T0 + timedelta(hours=60))
        wages = _event(wh, "东莞")
        listed = explain_event(wh, wages).split("responses not linked")[1].split("milestones:")[0].splitlines()[1:]
        assert [line.rsplit("(", 1)[1] for line in listed] == ["r2)", "r1)"]
        held = int(listed[0].split(" holds ")[1].split("%")[0])
        assert held >= 50, listed[0]


def test_an_answer_the_matcher_missed_is_linked_by_an_analyst() -> None:
    with warehouse() as wh:
        store(wh, _with_answers())
        run_track(wh, T0 + timedelta(hours=60))
        assert ("东莞", "first_response") in _flagged(wh, 60)
        wages = _event(wh, "东莞")
        # `yuqing event` offers it: a response in the event's window and province that is not linked
        unlinked = explain_event(wh, wages).split("responses not linked")[1].split("milestones:")[0]
        assert "网友留言答复  holds 0% of its wording  (r1)" in unlinked and "(g1)" not in unlinked  # g1 is in 湖北
        event_id, ms = decide_response(wh, LinkDecision(wages, "r1", "analyst-1", "the reply to these workers' message"))
        assert event_id == wages
        assert [(m.milestone, m.status, m.met_by_item_id) for m in ms] == [("first_response", "met", "r1")]
        assert ("东莞", "first_response") not in _flagged(wh, 60)
        assert wh.con.execute("SELECT status, met_by_item_id FROM v_milestones WHERE event_id = ?", [wages]).fetchall() == [
            ("met", "r1")
        ]
        # the next track runs keep it, whatever the matcher finds
        store(wh, [item("z1", "某县化工厂发生泄漏", 61, region="420300")])
        run_track(wh, T0 + timedelta(hours=62))
        assert ("东莞", "first_response") not in _flagged(wh, 62)
        (evidence,) = wh.con.execute("SELECT evidence->>'rule' FROM responses WHERE item_id = 'r1'").fetchone() or ()
        assert evidence == "linked by analyst analyst-1: the reply to these workers' message"
        explained = explain_event(wh, wages)
        assert "linked (first_response) by analyst-1" in explained and "responses not linked" not in explained


def test_a_wrong_link_is_removed_by_an_analyst() -> None:
    with warehouse() as wh:
        store(wh, _with_answers())
        run_track(wh, T0 + timedelta(hours=10))
        boom = _event(wh, "十堰")
        assert wh.con.execute("SELECT item_id FROM responses WHERE event_id = ?", [boom]).fetchall() == [("g1",)]
        assert ("十堰", "first_information") not in _flagged(wh, 10)
        decide_response(wh, LinkDecision(boom, "g1", "analyst-1", "another market's fire", remove=True))
        assert ("十堰", "first_information") in _flagged(wh, 10)
        run_track(wh, T0 + timedelta(hours=12))
        assert wh.con.execute("SELECT count(*) FROM responses WHERE event_id = ?", [boom]).fetchall() == [(0,)]
        assert "link removed by analyst-1" in explain_event(wh, boom)
        # taken back by linking again
        decide_response(wh, LinkDecision(boom, "g1", "analyst-2", "it is this market after all"))
        assert ("十堰", "first_information") not in _flagged(wh, 12)


def test_a_decision_follows_a_merge() -> None:
    with warehouse() as wh:
        store(wh, _with_answers())
        run_track(wh, T0 + timedelta(hours=60))
        boom, wages = _event(wh, "十堰"), _event(wh, "东莞")
        decide_response(wh, LinkDecision(wages, "r1", "analyst-1", "the reply"))
        with wh.transaction():
            sql.write_grouping(wh.con, [], {wages: boom}, T0 + timedelta(hours=61))
        assert wh.con.execute("SELECT DISTINCT event_id FROM response_decisions").fetchall() == [(boom,)]
        assert [d.item_id for d in decisions.response_decisions(wh.con, [boom], T0 + timedelta(hours=61))] == ["r1"]


@pytest.mark.parametrize(
    ("event", "item_id", "kwargs", "error", "words"),
    [
        ("东莞", "nope", {}, StorageError, "no item"),
        ("ev-missing", "r1", {}, StorageError, "no event"),
        ("东莞", "o1", {}, ValueError, "older than event"),  # published at 0.5 h, before the wages (1 h)
        ("十堰", "m1", {}, ValueError, "one of event"),
        ("东莞", "r1", {"kinds": ("reply",)}, ValueError, "unknown milestone kinds"),
        ("东莞", "r1", {"reason": " "}, ValueError, "needs the analyst's name and a reason"),
    ],
)
def test_a_decision_that_cannot_be_right_is_refused(event, item_id, kwargs, error, words) -> None:
    with warehouse() as wh:
        store(wh, [*_with_answers(), item("o1", "某地通报", 0.5, source="湖北发布", official=True, official_response=True)])
        run_track(wh, T0 + timedelta(hours=60))
        event_id = _event(wh, event) if not event.startswith("ev-") else event
        reason = kwargs.pop("reason", "because")
        with pytest.raises(error, match=words):
            decide_response(wh, LinkDecision(event_id, item_id, "analyst-1", reason, **kwargs))
        assert wh.con.execute("SELECT count(*) FROM response_decisions").fetchall() == [(0,)]
