"""An analyst's word on grouping (``yuqing merge``): reports of one incident the grouper kept apart become one event, with
one clock, at once and in every track run after; taken back (``--undo``), the grouper reads them again."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from warehouse import decisions
from warehouse import events as sql
from yuqing.errors import StorageError
from yuqing.track.components import components, kept_apart
from yuqing.track.explain import explain_event
from yuqing.track.merges import Word, merge, split, unmerge, unsplit
from yuqing.track.quality import judgment_quality
from yuqing.track.run import dismiss, overdue, run_track

from .helpers import T0, item, raise_alert, store, unsent_alerts_hold, warehouse

FOOD = ("food_drug_safety",)


def _reports() -> list:
    # One ice-pop maker's exposé, told by a Beijing paper and by a reprint whose dateline the classifier read as 江苏:
    # places in two provinces, which the grouper keeps apart.
    return [
        item("bj", "北京瑞华老冰棍菌落超标1767倍专家：受粪便污染", 0, source="新京报", topics=FOOD, region="110113"),
        item("js", "瑞华老冰棍菌落总数超标1767倍专家:太脏了", 20, source="江苏网络电视台", topics=FOOD, region="320000"),
    ]  # fmt: skip


def _answer(hours: float) -> list:
    return [
        item("bjr", "关于瑞华冷饮厂老冰棍菌落总数超标的情况通报", hours, source="北京市食药监", official=True,
             official_response=True, topics=FOOD, region="110000", source_region="110000", kinds=("first_response",)),
    ]  # fmt: skip


def _events(wh) -> dict[str, list[str]]:
    rows = wh.con.execute("SELECT event_id, list(item_id ORDER BY item_id) FROM event_items GROUP BY 1").fetchall()
    return {e: items for e, items in rows}


def _flagged(wh, hours: float) -> set[tuple[str, str]]:
    return {(r.event_id, r.milestone) for r in overdue(wh, T0 + timedelta(hours=hours))}


def test_two_outlets_kept_apart_become_one_event_with_one_clock() -> None:
    with warehouse() as wh:
        store(wh, [*_reports(), *_answer(10)])
        run_track(wh, T0 + timedelta(hours=70))
        apart = _events(wh)
        assert sorted(apart.values()) == [["bj"], ["js"]]
        bj, js = (sql.memberships(wh.con, [i])[i] for i in ("bj", "js"))
        # the city's notice answers the Beijing report; the reprint placed in 江苏 runs a clock of its own
        assert _flagged(wh, 70) == {(js, "first_response")}
        # the analyst reading either finds the other among the events that may be the same incident
        twins = explain_event(wh, bj).split("may be the same incident")[1].split("milestones:")[0]
        assert js in twins and "shares" in twins

        r = merge(wh, [js, bj], Word("analyst-1", "one ice-pop maker: a reprint's dateline"))
        assert r.decision == "merged" and r.event_ids == (bj,) and set(r.from_ids) == {bj, js} and r.items == 2
        assert _events(wh) == {bj: ["bj", "js"]}
        assert sql.resolve_event_id(wh.con, js) == bj
        assert f"merged ({js}, {bj}) by analyst-1" in explain_event(wh, js)
        # one event, one clock: the notice answers the incident, nothing is overdue
        assert [(m.milestone, m.status, m.met_by_item_id) for m in r.milestones] == [("first_response", "met", "bjr")]
        assert _flagged(wh, 70) == set()

        # every track run after keeps it one, a new report of it included
        store(wh, [item("js2", "瑞华老冰棍被曝菌落超标 江苏超市下架", 75, source="扬子晚报", topics=FOOD, region="320100")])
        run_track(wh, T0 + timedelta(hours=80))
        assert _events(wh)[bj][:2] == ["bj", "js"]
        assert _flagged(wh, 80) == set()


def test_a_merge_taken_back_lets_the_grouper_read_the_reports_again() -> None:
    with warehouse() as wh:
        store(wh, [*_reports(), *_answer(10)])
        run_track(wh, T0 + timedelta(hours=70))
        bj, js = (sql.memberships(wh.con, [i])[i] for i in ("bj", "js"))
        merge(wh, [bj, js], Word("analyst-1", "one maker"))
        back = unmerge(wh, js, Word("analyst-2", "two batches, two makers"))  # the retired id names the merged event
        assert back.decision == "merge taken back" and back.from_ids == (bj,) and set(back.event_ids) == {bj, js}
        assert sorted(_events(wh).values()) == [["bj"], ["js"]]
        assert sql.resolve_event_id(wh.con, js) == js  # its id stands again
        assert "merge taken back by analyst-2" in explain_event(wh, bj)
        assert _flagged(wh, 70) == {(js, "first_response")}
        assert decisions.standing_merges(wh.con, ["bj", "js"]) == []
        # and the next run does not merge them again
        run_track(wh, T0 + timedelta(hours=71))
        assert sorted(_events(wh).values()) == [["bj"], ["js"]]
        with pytest.raises(ValueError, match="no analyst's merge stands"):
            unmerge(wh, js, Word("analyst-2", "again"))


def test_a_merge_holds_when_the_events_are_built_again() -> None:
    # A backfill that builds the events again from the stored items (the analysts' decisions kept): the two reports,
    # tracked in two runs and worded apart (no bucket of the grouper's holds both), are one event again.
    with warehouse() as wh:
        store(wh, [
            item("bj", "北京一冷饮厂老冰棍被曝用自来水勾兑", 0, source="新京报", topics=FOOD, region="110113"),
            item("js", "瑞华菌落总数超标千余倍 专家:太脏了", 20, source="江苏网络电视台", topics=FOOD, region="320000"),
        ])  # fmt: skip
        run_track(wh, T0 + timedelta(hours=70))
        bj, js = (sql.memberships(wh.con, [i])[i] for i in ("bj", "js"))
        assert bj != js
        merge(wh, [bj, js], Word("analyst-1", "one maker"))
        with wh.transaction() as con:
            for table in ("event_items", "events", "event_aliases", "responses", "milestones", "track_items",
                          "track_bands", "runs"):  # fmt: skip
                con.execute(f"DELETE FROM {table}")
        run_track(wh, T0 + timedelta(hours=10))  # the Beijing report alone
        assert _events(wh) == {bj: ["bj"]}
        run_track(wh, T0 + timedelta(hours=70))  # the reprint joins it
        assert _events(wh) == {bj: ["bj", "js"]}


def test_a_dismissal_on_a_merged_event_follows_it() -> None:
    with warehouse() as wh:
        store(wh, _reports())
        run_track(wh, T0 + timedelta(hours=70))
        bj, js = (sql.memberships(wh.con, [i])[i] for i in ("bj", "js"))
        dismiss(wh, js, "analyst-1", "a reprint of old news", at=T0 + timedelta(hours=70))
        merge(wh, [bj, js], Word("analyst-1", "one maker"))
        assert wh.con.execute("SELECT DISTINCT event_id FROM event_dismissals").fetchall() == [(bj,)]
        # the Beijing report was not covered by the dismissal: the merged event stays open
        assert _flagged(wh, 70) == {(bj, "first_response")}


def test_merges_are_counted_among_the_analysts_corrections() -> None:
    with warehouse() as wh:
        store(wh, _reports())
        run_track(wh, T0 + timedelta(hours=70))
        bj, js = (sql.memberships(wh.con, [i])[i] for i in ("bj", "js"))
        merge(wh, [bj, js], Word("analyst-1", "one maker", T0 + timedelta(hours=71)))
        report = judgment_quality(wh, T0 + timedelta(hours=72))
        assert (report.merges, report.merged_events, report.events.events) == (1, 2, 1)
        assert report.as_json()["merges"] == {"merges": 1, "events_merged": 2}
        # as of before the merge was recorded, it had not happened
        assert judgment_quality(wh, T0 + timedelta(hours=70, minutes=30)).merges == 0


@pytest.mark.parametrize(
    ("ids", "error", "words"),
    [
        (["bj"], ValueError, "two events or more"),
        (["bj", "bj"], ValueError, "two events or more"),
        (["bj", "ev-0000000000000000"], StorageError, "no event"),
    ],
)
def test_a_merge_that_cannot_be_right_is_refused(ids, error, words) -> None:
    with warehouse() as wh:
        store(wh, _reports())
        run_track(wh, T0 + timedelta(hours=70))
        event_of = {"bj": sql.memberships(wh.con, ["bj"])["bj"]}
        with pytest.raises(error, match=words):
            merge(wh, [event_of.get(i, i) for i in ids], Word("analyst-1", "why"))
        with pytest.raises(ValueError, match="name and a reason"):
            merge(wh, [event_of["bj"], sql.memberships(wh.con, ["js"])["js"]], Word("analyst-1", " "))


def _joined_matters() -> list:
    # A chemical plant's explosion and, five hours later, a gas explosion in a block of flats of the same district:
    # one county, one kind, shared wording, so the grouper joins them.
    return [
        item("f1", "张湾区一化工厂发生爆炸 致2人受伤", 0),
        item("x1", "张湾区一居民楼发生燃气爆炸 致1人受伤", 5),
        item("f2", "张湾区化工厂爆炸事故 周边居民已疏散", 10),
    ]


def test_a_report_of_another_matter_is_split_off_and_kept_apart() -> None:
    with warehouse() as wh:
        store(wh, _joined_matters())
        run_track(wh, T0 + timedelta(hours=20))
        (event,) = _events(wh)
        assert _events(wh)[event] == ["f1", "f2", "x1"]

        r = split(wh, event, ["x1"], Word("analyst-1", "a block of flats, not the plant"))
        assert r.decision == "split" and r.from_ids == (event,) and r.items == 3
        after = _events(wh)
        assert sorted(after.values()) == [["f1", "f2"], ["x1"]] and after[event] == ["f1", "f2"]
        flats = next(e for e, items in after.items() if items == ["x1"])
        assert {m.event_id for m in r.milestones} == {event, flats}  # each runs its own clock
        assert "split (1 reports of" in explain_event(wh, flats)

        # a later report of the plant joins the plant's event; one that reads like both joins one side only
        store(wh, [item("f3", "张湾区化工厂爆炸 2名伤者已脱离危险", 25),
                   item("b1", "张湾区发生爆炸 致多人受伤", 26)])  # fmt: skip
        run_track(wh, T0 + timedelta(hours=30))
        after = _events(wh)
        assert "f3" in after[event] and after[flats][0] == "x1"
        assert not any({"x1", "f1"} <= set(items) for items in after.values())
        assert judgment_quality(wh, T0 + timedelta(hours=30), lookback_days=None).splits == 0  # recorded later

        # taken back, the grouper reads the reports again and joins them, as it did
        back = unsplit(wh, flats, Word("analyst-2", "one explosion after all"))
        assert back.decision == "split taken back" and len(back.event_ids) == 1
        assert set(_events(wh)[back.event_ids[0]]) == {"f1", "f2", "f3", "x1", "b1"}
        with pytest.raises(ValueError, match="no analyst's split stands"):
            unsplit(wh, back.event_ids[0], Word("analyst-2", "again"))


def test_a_report_matching_both_sides_of_a_split_joins_the_one_it_shares_most_with() -> None:
    with warehouse() as wh:
        store(wh, _joined_matters())
        run_track(wh, T0 + timedelta(hours=20))
        (event,) = _events(wh)
        split(wh, event, ["x1"], Word("analyst-1", "the flats"))
        # another block-of-flats report, worded like the plant's first one too («致2人受伤»), which it met first
        store(wh, [item("x2", "张湾区一居民楼发生燃气爆炸 致2人受伤", 25)])
        run_track(wh, T0 + timedelta(hours=30))
        assert sorted(_events(wh).values()) == [["f1", "f2"], ["x1", "x2"]]


def test_a_split_takes_back_the_merge_that_joined_its_reports() -> None:
    with warehouse() as wh:
        store(wh, _reports())
        run_track(wh, T0 + timedelta(hours=70))
        bj, js = (sql.memberships(wh.con, [i])[i] for i in ("bj", "js"))
        merge(wh, [bj, js], Word("analyst-1", "one maker", T0 + timedelta(hours=70, minutes=30)))
        split(wh, bj, ["js"], Word("analyst-2", "two makers", T0 + timedelta(hours=71)))
        assert sorted(_events(wh).values()) == [["bj"], ["js"]]
        assert decisions.standing_merges(wh.con, ["bj", "js"]) == []
        report = judgment_quality(wh, T0 + timedelta(hours=72))
        assert (report.merges, report.splits) == (0, 1)
        assert report.as_json()["splits"] == 1


@pytest.mark.parametrize(
    ("items", "words"),
    [(["nope"], "not among the reports"), ([], "name at least one, not all"), (["f1", "f2", "x1"], "not all")],
)
def test_a_split_that_cannot_be_right_is_refused(items, words) -> None:
    with warehouse() as wh:
        store(wh, _joined_matters())
        run_track(wh, T0 + timedelta(hours=20))
        (event,) = _events(wh)
        with pytest.raises(ValueError, match=words):
            split(wh, event, items, Word("analyst-1", "why"))


def test_kept_apart_refuses_only_the_edges_that_would_join_both_sides() -> None:
    # a chain 0-1-2-3 with 0 and 3 apart, beside a pair 4-5: in time order 1 and 2 join 0, and 3's edge to 2 is refused
    a, b = np.array([1, 2, 3, 5]), np.array([0, 1, 2, 4])
    ids = ["i0", "i1", "i2", "i3", "i4", "i5"]
    labels = components(6, a, b)
    assert labels.tolist() == [0, 0, 0, 0, 4, 4]
    assert kept_apart(labels, a, b, ids, [(["i0"], ["i3"])]).tolist() == [0, 0, 0, 3, 4, 4]
    assert kept_apart(labels, a, b, ids, [(["i0", "i1"], ["i2"])]).tolist() == [0, 0, 2, 2, 4, 4]
    assert kept_apart(labels, a, b, ids, [(["i4"], ["i9"])]).tolist() == labels.tolist()  # nothing to keep apart
    # strongest first: 1 shares most with 3's side through 2, so 0 is left alone
    strength = lambda edges: np.array([0.1, 0.9, 0.8, 0.5])[edges]  # noqa: E731
    assert kept_apart(labels, a, b, ids, [(["i0"], ["i3"])], strength).tolist() == [0, 1, 1, 1, 4, 4]


def test_a_merge_takes_back_the_split_that_kept_its_reports_apart() -> None:
    with warehouse() as wh:
        store(wh, _joined_matters())
        run_track(wh, T0 + timedelta(hours=20))
        (event,) = _events(wh)
        split(wh, event, ["x1"], Word("analyst-1", "the flats", T0 + timedelta(hours=21)))
        flats = sql.memberships(wh.con, ["x1"])["x1"]
        r = merge(wh, [flats, event], Word("analyst-2", "one explosion", T0 + timedelta(hours=22)))
        assert r.event_ids == (event,) and _events(wh) == {event: ["f1", "f2", "x1"]}
        assert decisions.standing_splits(wh.con, ["x1"]) == []


def test_an_event_an_analyst_merged_or_split_counts_as_reviewed() -> None:
    with warehouse() as wh:
        store(wh, [*_reports(), *_joined_matters()])
        run_track(wh, T0 + timedelta(hours=70))
        bj, js, plant = (sql.memberships(wh.con, [i])[i] for i in ("bj", "js", "f1"))
        merge(wh, [bj, js], Word("analyst-1", "one maker", T0 + timedelta(hours=71)))
        split(wh, plant, ["x1"], Word("analyst-1", "the flats", T0 + timedelta(hours=71)))
        rows = wh.con.execute(
            "SELECT list(item_id ORDER BY item_id), regrouped, reviewed FROM event_judgments(?, ?) "
            "JOIN event_items USING (event_id) GROUP BY event_id, regrouped, reviewed ORDER BY 1",
            [T0 - timedelta(days=1), T0 + timedelta(hours=72)],
        ).fetchall()
        assert rows == [(["bj", "js"], True, True), (["f1", "f2"], True, True), (["x1"], True, True)]
        before = wh.con.execute(
            "SELECT bool_or(reviewed) FROM event_judgments(?, ?)", [T0 - timedelta(days=1), T0 + timedelta(hours=70)]
        ).fetchone()
        assert before == (False,)
        assert judgment_quality(wh, T0 + timedelta(hours=72)).events.reviewed == 3


def test_an_unsent_alert_of_an_event_merged_away_expires() -> None:
    with warehouse() as wh:
        store(wh, _reports())
        run_track(wh, T0 + timedelta(hours=70))
        bj, js = (sql.memberships(wh.con, [i])[i] for i in ("bj", "js"))
        raise_alert(wh, (js, "first_response", "overdue", "food", "email"), 70, 68, "已逾期")
        assert unsent_alerts_hold(wh, 71) == [None]
        merge(wh, [bj, js], Word("analyst-1", "one maker"))
        # the event it merged into raises its own alerts
        assert unsent_alerts_hold(wh, 71) == [f"the event merged into {bj} before it could be sent"]


def test_a_merged_events_answer_older_than_the_link_window_follows_it() -> None:
    """The reprint's event was answered by a 江苏 notice on its second day; merged 40 days later, when the notice is
    older than the link window a run reads again, the answer still answers the incident."""
    with warehouse() as wh:
        js_answer = item("jsr", "关于瑞华老冰棍菌落超标问题的情况说明", 30, source="江苏省市场监管局", official=True,
                         official_response=True, topics=FOOD, region="320000", source_region="320000",
                         kinds=("first_response",))  # fmt: skip
        store(wh, [*_reports(), js_answer])
        run_track(wh, T0 + timedelta(hours=40))
        bj, js = (sql.memberships(wh.con, [i])[i] for i in ("bj", "js"))
        assert [r.item_id for r in sql.stored_responses(wh.con, [js])] == ["jsr"]
        run_track(wh, T0 + timedelta(days=40))
        r = merge(wh, [bj, js], Word("analyst-1", "one ice-pop maker: a reprint's dateline"))
        assert r.event_ids == (bj,)
        assert [x.item_id for x in sql.stored_responses(wh.con, [bj])] == ["jsr"]
        assert [(m.milestone, m.status, m.met_by_item_id) for m in r.milestones] == [("first_response", "met", "jsr")]
