"""``yuqing quality``: what analysts' corrections say of the tracker's judgments, from the pure summary to the warehouse
macro ``event_judgments(since, ts)`` and its view."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from warehouse import decisions
from yuqing.reports import format_quality
from yuqing.track.explain import explain_event
from yuqing.track.quality import JudgmentGroup, basis, judgment_quality, label_candidates, summarise
from yuqing.track.run import LinkDecision, decide_response, dismiss, run_track, set_severity_override

from .helpers import T0, item, store, warehouse


def _j(event_id: str, opened_by: tuple[str, ...] | None, **kw: object) -> JudgmentGroup:
    """One event (``event_id`` names it in the test only)."""
    fields: dict[str, object] = {
        "events": 1,
        "topics": ("work_safety",),
        "source": "media",
        "opened_by": opened_by,
        "severity_proposed": "general",
        "severity_override": None,
        "dismissed": False,
        "dismissal_holds": False,
        "reviewed": bool(kw.get("dismissed") or kw.get("severity_override") or kw.get("links_added") or kw.get("links_removed")),
        "links": 0,
        "links_added": 0,
        "links_removed": 0,
    }
    fields.update(kw)
    return JudgmentGroup(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("opened_by", "severity", "expected"),
    [
        (("p=0.91", "rule: incident: 爆炸; place named"), "general", "rule: incident"),
        (("p=0.80", "title:讨薪 +1.2"), "general", "model, p ≥ 0.8"),
        (("p=0.79",), "general", "model, 0.6 ≤ p < 0.8"),
        (("p=0.60",), "general", "model, 0.6 ≤ p < 0.8"),
        (("p=0.44",), "general", "model, p < 0.6"),
        ((), "major_emergency", "official source: major emergency elsewhere"),
        ((), "general", "opening item re-classified since"),
        (None, "general", "not recorded"),
        (("p=n/a",), "general", "not recorded"),
    ],
)
def test_basis_reads_what_opened_the_event(opened_by: tuple[str, ...] | None, severity: str, expected: str) -> None:
    assert basis(_j("e", opened_by, severity_proposed=severity)) == expected


def test_summarise_counts_corrections_by_basis_source_and_topic() -> None:
    rows = [
        _j("e1", ("p=0.52",), source="财新网", dismissed=True, dismissal_holds=True),
        _j("e2", ("p=0.55",), source="财新网", topics=("education_health_eldercare", "work_safety")),
        _j("e3", ("rule: incident: 透水",), source="新京报", links=3, links_added=1, links_removed=2),
        _j("e4", ("p=0.93",), source="新京报", dismissed=True, dismissal_holds=False, topics=()),
        _j("e5", ("p=0.70",), source="南方都市报", severity_proposed="major_emergency", severity_override="general"),
        _j("e6", None, source=None, severity_override="major_emergency", links=1),
        _j("e7", ("p=0.81",), source="新京报", severity_override="general"),  # the proposal confirmed
    ]
    r = summarise(rows, T0 - timedelta(days=30), T0)
    assert (r.events.events, r.events.dismissed, r.events.reopened) == (7, 1, 1)
    assert r.events.reviewed == 6  # all but e2
    assert list(r.by_basis) == [
        "rule: incident", "model, p ≥ 0.8", "model, 0.6 ≤ p < 0.8", "model, p < 0.6", "not recorded",
    ]  # fmt: skip
    low = r.by_basis["model, p < 0.6"]
    assert (low.events, low.dismissed, low.dismissed_share) == (2, 1, 0.5)
    # sources and topics: most dismissed first, then most events
    assert list(r.by_source) == ["财新网", "新京报", "not recorded", "南方都市报"]
    assert (r.by_source["新京报"].events, r.by_source["新京报"].reopened) == (3, 1)
    assert list(r.by_topic) == ["work_safety", "(no topic)", "education_health_eldercare"]
    assert (r.by_topic["work_safety"].events, r.by_topic["(no topic)"].reopened) == (6, 1)
    c = r.corrections
    assert (c.links, c.links_added, c.links_removed, c.matcher_links) == (4, 1, 2, 5)
    assert (c.severity_raised, c.severity_lowered) == (1, 1)

    out = r.as_json()
    assert json.loads(json.dumps(out)) == out
    assert out["links"] == {"linked": 4, "by_matcher": 5, "added_by_analysts": 1, "removed_by_analysts": 2}
    assert out["by_basis"][3] == {"key": "model, p < 0.6", "events": 2, "reviewed": 1, "dismissed": 1, "reopened": 0}
    text = format_quality(r)
    assert "model, p < 0.6" in text and " 50.0 %" in text
    assert "removed by analysts (no answer)                 2   40.0 %" in text


def test_an_empty_window_reports_nothing_to_divide() -> None:
    r = summarise([], T0 - timedelta(days=30), T0)
    assert r.events.events == 0 and r.events.dismissed_share is None and r.by_basis == {}
    assert "—" in format_quality(r)


BOOM = "十堰市张湾区艳湖社区集贸市场发生燃气爆炸事故"
WAGES = "东莞某工地数十名农民工讨薪无果，包工头失联"


def _evidence(wh, item_id: str, issue: list[str]) -> None:
    wh.con.execute("UPDATE items SET evidence = ? WHERE item_id = ?", [json.dumps({"issue": issue}), item_id])


def test_the_report_reads_analysts_decisions_as_of_its_time() -> None:
    with warehouse() as wh:
        store(wh, [
            item("m1", BOOM, 0, source="m1", severity="major_emergency"),
            item("w1", WAGES, 1, source="m2", topics=("wage_arrears",), region="441900"),
            item("g1", "关于艳湖社区集贸市场燃气爆炸事故的情况通报", 3, source="湖北发布", official=True,
                 official_response=True, region="420000", kinds=("first_information",)),
            item("r1", "网友留言答复", 20, source="东莞人社", official=True, official_response=True, region="441900",
                 topics=(), kinds=("first_response",)),
        ])  # fmt: skip
        _evidence(wh, "m1", ["p=0.97", "rule: incident: 爆炸; place named"])
        _evidence(wh, "w1", ["p=0.52", "title:讨薪 +1.10"])
        run_track(wh, T0 + timedelta(hours=30))
        (boom,), (wages,) = (
            wh.con.execute("SELECT event_id FROM events WHERE title LIKE ?", [p + "%"]).fetchone() for p in ("十堰", "东莞")
        )

        before = judgment_quality(wh, T0 + timedelta(hours=30))
        assert (before.events.events, before.events.dismissed, before.events.reviewed) == (2, 0, 0)
        assert before.corrections.links == before.corrections.matcher_links == 1  # the notice answers the explosion
        assert {k: t.events for k, t in before.by_basis.items()} == {"rule: incident": 1, "model, p < 0.6": 1}
        # `yuqing event` says the same of each event, as the digest does
        assert "立案依据 (why it was opened): 模型（概率 0.52）" in explain_event(wh, wages)
        assert "立案依据 (why it was opened): 规则（事故事件：爆炸）" in explain_event(wh, boom)

        dismiss(wh, wages, "analyst-1", "a rumour, no such site", at=T0 + timedelta(hours=31))
        set_severity_override(wh, boom, "general", "analyst-1", "a small stall fire", at=T0 + timedelta(hours=31))
        decide_response(wh, LinkDecision(boom, "g1", "analyst-1", "another market's notice", remove=True))
        decide_response(wh, LinkDecision(wages, "r1", "analyst-1", "the board's reply to the workers"))
        now = datetime.now(UTC)

        after = judgment_quality(wh, now, lookback_days=None)
        assert (after.events.events, after.events.dismissed, after.events.reviewed) == (2, 1, 2)
        assert after.by_basis["model, p < 0.6"].dismissed == 1 and after.by_basis["rule: incident"].dismissed == 0
        assert after.by_source["m2"].dismissed == 1 and list(after.by_source) == ["m2", "m1"]
        c = after.corrections
        assert (c.links, c.links_added, c.links_removed, c.matcher_links) == (1, 1, 1, 1)
        assert (c.severity_raised, c.severity_lowered) == (0, 1)

        # as of the hour before the decisions, none of them had been made (the link decisions are recorded now)
        again = judgment_quality(wh, T0 + timedelta(hours=30))
        assert (again.events.dismissed, again.corrections.severity_lowered, again.corrections.links_removed) == (0, 0, 0)
        # a window that ends before an event started leaves it out
        assert judgment_quality(wh, T0 + timedelta(minutes=30)).events.events == 1

        # a second report that is an issue reopens the dismissed event: counted as reopened, no longer dismissed
        store(wh, [item("w2", "东莞工地农民工讨薪无果，包工头失联多日", 40, source="m3", topics=("wage_arrears",),
                        region="441900")])  # fmt: skip
        run_track(wh, T0 + timedelta(hours=41))
        reopened = judgment_quality(wh, datetime.now(UTC), lookback_days=None)
        assert (reopened.events.dismissed, reopened.events.reopened) == (0, 1)

        # the analysts' view: one row per event, as of now
        view = wh.con.execute(
            "SELECT event_id, dismissed, dismissal_holds, reviewed, links, links_added, links_removed, severity_override"
            " FROM v_event_judgments ORDER BY event_id"
        ).fetchall()
        assert sorted(view) == sorted([
            (wages, True, False, True, 1, 1, 0, None),
            (boom, False, False, True, 0, 0, 1, "general"),
        ])  # fmt: skip
        # what the report reads: the events counted alike, their evidence cut to the rule's kind and the model's p
        groups = decisions.judgments(wh.con, datetime.min.replace(tzinfo=UTC), datetime.now(UTC))
        assert sorted((g.source, tuple(g.opened_by), g.events) for g in groups) == [
            ("m1", ("p=0.97", "rule: incident"), 1),
            ("m2", ("p=0.52",), 1),
        ]


def test_an_opening_without_recorded_evidence_is_told_apart_from_one_that_is_no_issue() -> None:
    with warehouse() as wh:
        store(wh, [
            item("a1", WAGES, 0, source="m1", topics=("wage_arrears",), region="441900"),  # an issue, no evidence kept
            item("c1", "某县化工厂发生泄漏", 0, region="420300"),  # an issue whose evidence holds neither p nor a rule
            item("b1", BOOM, 0, source="gov", severity="major_emergency", official=True,
                 issue=False),  # an official source's report of a major emergency: no issue
        ])  # fmt: skip
        _evidence(wh, "c1", ["title:泄漏 +1.10"])
        run_track(wh, T0 + timedelta(hours=2))
        report = judgment_quality(wh, T0 + timedelta(hours=2))
        assert {k: t.events for k, t in report.by_basis.items()} == {
            "official source: major emergency elsewhere": 1,
            "not recorded": 2,
        }


def test_a_negative_lookback_is_refused() -> None:
    with warehouse() as wh, pytest.raises(ValueError, match="lookback_days"):
        judgment_quality(wh, T0, lookback_days=-1)


def test_the_export_holds_the_items_behind_corrections_of_the_classifier() -> None:
    with warehouse() as wh:
        store(wh, [
            item("w1", WAGES, 1, source="m2", topics=("wage_arrears",), region="441900"),
            item("w2", "东莞某工地农民工讨薪无果", 2, source="m3", topics=("wage_arrears",), region="441900"),
            # a bureau's post the classifier read as no response: the analyst links it as the answer
            item("n1", "市人社局：已督促总包单位结清东莞工地工资", 10, source="东莞人社", official=True, region="441900",
                 topics=("wage_arrears",), issue=False),
            item("m1", BOOM, 0, source="m1", severity="major_emergency"),
        ])  # fmt: skip
        run_track(wh, T0 + timedelta(hours=12))
        (wages,) = wh.con.execute("SELECT event_id FROM events WHERE title LIKE '东莞%'").fetchone()
        assert {r[0] for r in wh.con.execute("SELECT item_id FROM event_items WHERE event_id = ?", [wages]).fetchall()} == {
            "w1", "w2"
        }
        assert label_candidates(wh, T0 + timedelta(hours=12)) == []  # no correction yet

        dismiss(wh, wages, "analyst-1", "a rumour, no such site", at=T0 + timedelta(hours=12))
        decide_response(wh, LinkDecision(wages, "n1", "analyst-1", "the bureau's answer"))
        rows = label_candidates(wh, datetime.now(UTC), lookback_days=None)
        assert [(r["id"], r["meta"]["decision"]) for r in rows] == [("w1", "dismissed"), ("w2", "dismissed"), ("n1", "linked")]
        w1 = rows[0]
        assert w1["source_dataset"] == "site" and w1["title"] == WAGES
        assert w1["meta"]["classified"] == {
            "topics": ["wage_arrears"], "official_response": False, "reported_response": False, "issue": True,
        }  # fmt: skip
        assert w1["meta"]["event_id"] == wages and w1["meta"]["reason"] == "a rumour, no such site"
        # as of before the decisions, there was nothing to export
        assert label_candidates(wh, T0 + timedelta(hours=11)) == []
