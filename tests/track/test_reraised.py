"""A matter raised again weeks later (``grouping.reraised``): residents come back to an estate's unsettled problem
after the grouping window, and the board's later voices belong to the event the first opened, while it is
unanswered. Each scenario runs daily through the real classifier, a DuckDB file and ``run_track`` (the later
messages meet the earlier ones as stored reports, through the estates' buckets), and is written from the rule
(training/incidents/README.md: one matter at one place, however far apart), not from a run.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from tests.track import helpers
from warehouse.db import Warehouse
from yuqing.models import Item, SourceConfig
from yuqing.track import grouping
from yuqing.track.explain import explain_event

SH = ZoneInfo("Asia/Shanghai")
BOARD = SourceConfig("问政湖南", "https://board.example/messages")
BUREAU = SourceConfig("长沙市岳麓区人民政府", "https://gov.example/replies", official=True, region="430104")
DAY0 = datetime(2021, 3, 1, 10, tzinfo=SH)

PLANT = "岳麓区枫林绿洲小区旁搅拌站噪音粉尘扰民"
PLANT_TEXT = "枫林绿洲小区旁的搅拌站每天夜里施工，噪音和粉尘严重影响居民休息，请有关部门查处。"
AGAIN = "岳麓区枫林绿洲小区旁搅拌站噪音粉尘问题至今未解决"
AGAIN_TEXT = "上月反映枫林绿洲小区旁搅拌站夜间噪音和粉尘扰民，至今仍在施工，居民无法休息，请有关部门查处。"
PARKING = "岳麓区枫林绿洲小区开发商捆绑销售车位"
PARKING_TEXT = "枫林绿洲小区开发商要求业主购房必须同时购买车位，否则不予交房，请住建部门查处。"


def _message(n: int, title: str, text: str, at: datetime) -> Item:
    return helpers.feed_item(f"m{n}", BOARD.name, title, text, at)


def _reply(at: datetime) -> Item:
    """The bureau's answer to the plant's noise and dust."""
    return helpers.feed_item(
        "r1", BUREAU.name, "答复：" + PLANT,
        "网友您好！您反映的岳麓区枫林绿洲小区旁搅拌站噪音粉尘扰民问题已收悉。经核查，已责令搅拌站停止夜间施工。", at,
    )  # fmt: skip


def _events(db: Path) -> list[list[str]]:
    """The events' members' titles, each event's in time order, events in order of their first member."""
    with Warehouse.open(db, read_only=True) as wh:
        rows = wh.con.execute(
            "SELECT ei.event_id, i.title FROM event_items AS ei JOIN items AS i USING (item_id) ORDER BY i.item_time"
        ).fetchall()
    out: dict[str, list[str]] = {}
    for event_id, title in rows:
        out.setdefault(event_id, []).append(title)
    return list(out.values())


def test_a_matter_raised_again_weeks_later_joins_its_unanswered_event(tmp_path: Path) -> None:
    db = tmp_path / "y.duckdb"
    board = [
        _message(1, PLANT, PLANT_TEXT, DAY0),
        _message(2, AGAIN, AGAIN_TEXT, DAY0 + timedelta(days=24)),  # past the 7-day window, within 60 days
        _message(3, PARKING, PARKING_TEXT, DAY0 + timedelta(days=24, hours=2)),  # another matter at the estate
    ]
    helpers.load_and_track_daily(db, {BOARD: board}, SH)
    assert _events(db) == [[PLANT, AGAIN], [PARKING]]
    # `yuqing event` says why a report weeks later is in it
    with Warehouse.open(db, read_only=True) as wh:
        event_id = wh.con.execute("SELECT event_id FROM event_items WHERE item_id = 'm1'").fetchone()[0]
        told = [line for line in explain_event(wh, event_id).splitlines() if "raised again" in line]
    assert len(told) == 1 and AGAIN in told[0] and "raised again 24 days after m1, at the same estate" in told[0]


def test_a_matter_raised_again_after_its_answer_opens_its_own_event(tmp_path: Path) -> None:
    """The answer did not settle it: the new message gets a clock of its own rather than joining an answered event."""
    db = tmp_path / "y.duckdb"
    board = [_message(1, PLANT, PLANT_TEXT, DAY0), _message(2, AGAIN, AGAIN_TEXT, DAY0 + timedelta(days=24))]
    reply = _reply(DAY0 + timedelta(days=3))
    helpers.load_and_track_daily(db, {BOARD: board, BUREAU: [reply]}, SH)
    assert _events(db) == [[PLANT], [AGAIN]]
    # `yuqing event` on the new event lists the answered one at the same estate, weeks back, for the analyst
    with Warehouse.open(db, read_only=True) as wh:
        first, again = (wh.con.execute("SELECT event_id FROM event_items WHERE item_id = ?", [i]).fetchone()[0]
                        for i in ("m1", "m2"))  # fmt: skip
        listed = explain_event(wh, again).split("may be the same incident")[1].split("milestones:")[0]
    assert "at the same estate, 60 days" in listed and first in listed and PLANT in listed
    with Warehouse.open(db, read_only=True) as wh:
        linked = wh.con.execute("SELECT DISTINCT item_id FROM responses").fetchall()
    assert linked == [("r1",)]


def test_a_matter_raised_again_after_sixty_days_opens_its_own_event(tmp_path: Path) -> None:
    db = tmp_path / "y.duckdb"
    board = [_message(1, PLANT, PLANT_TEXT, DAY0), _message(2, AGAIN, AGAIN_TEXT, DAY0 + timedelta(days=75))]
    helpers.load_and_track_daily(db, {BOARD: board}, SH)
    assert _events(db) == [[PLANT], [AGAIN]]


ON_BOARD: dict[str, Any] = {"source": BOARD.name, "topics": ("environment",), "region": "430104"}


def test_reraised_needs_one_estate_and_most_of_the_matters_wording() -> None:
    items = [
        helpers.item("a", PLANT, summary=PLANT_TEXT, **ON_BOARD),
        helpers.item("b", AGAIN, 24 * 24, summary=AGAIN_TEXT, **ON_BOARD),
        helpers.item("c", PARKING, 24 * 24, summary=PARKING_TEXT, **ON_BOARD),
        helpers.item("d", AGAIN.replace("枫林绿洲", "桃花岭"), 24 * 24, summary=AGAIN_TEXT.replace("枫林绿洲", "桃花岭"), **ON_BOARD),
    ]
    prof = grouping.profiles(items)
    i, j = np.array([0, 0, 0]), np.array([1, 2, 3])
    assert grouping.reraised(i, j, prof, grouping.GroupingParams()).tolist() == [True, False, False]


def test_a_matter_retold_in_the_first_letters_words_under_another_headline_is_raised_again() -> None:
    """A resident writing again under a headline that names little of the matter («…恳请领导关注») shares little of its
    wording beyond the estate's name, but retells it in the first letter's words: texts alike at the re-raise bar
    (``GroupingParams.reraise_texts_held``) make it the same matter."""
    retold = "枫林绿洲小区居民恳请领导关注"
    retold_text = PLANT_TEXT.replace("，请有关部门查处", "，恳请领导关注，请有关部门查处")
    items = [
        helpers.item("a", PLANT, summary=PLANT_TEXT, **ON_BOARD),
        helpers.item("e", retold, 24 * 24, summary=retold_text, **ON_BOARD),
    ]
    prof = grouping.profiles(items)
    i, j = np.array([0]), np.array([1])
    assert grouping.reraised(i, j, prof, grouping.GroupingParams()).tolist() == [True]
    assert grouping.reraised(i, j, prof, grouping.GroupingParams(reraise_texts_held=math.inf)).tolist() == [False]


def test_a_second_fire_at_the_estate_weeks_later_is_another_incident() -> None:
    """A fire happens once (``incidents.toml`` ``once``): a report of one weeks later at the same estate is another
    fire, though the two share their wording; a complaint that only mentions a kind in its text is still a matter."""
    fire = "岳麓区枫林绿洲小区一居民楼发生火灾"
    hazard = "岳麓区枫林绿洲小区旁搅拌站噪音粉尘问题至今未解决"
    items = [
        helpers.item("a", fire, summary="枫林绿洲小区一居民楼发生火灾，消防赶到扑救。", **ON_BOARD),
        helpers.item("b", fire, 24 * 24, summary="枫林绿洲小区一居民楼发生火灾，消防赶到扑救。", **ON_BOARD),
        helpers.item("c", PLANT, summary=PLANT_TEXT + "居民担心粉尘引发火灾。", **ON_BOARD),
        helpers.item("d", hazard, 24 * 24, summary=AGAIN_TEXT, **ON_BOARD),
    ]
    prof = grouping.profiles(items)
    assert grouping.reraised(np.array([0, 2]), np.array([1, 3]), prof, grouping.GroupingParams()).tolist() == [False, True]


def test_an_event_answered_early_keeps_its_answer_while_its_reports_go_on(tmp_path: Path) -> None:
    """Residents write every six days for six weeks about a matter the bureau answered on the second day: each run
    reads the 30-day link window's responses again, and the answer, older than the window by the last runs, stays
    linked: the event is not flipped to overdue by its own later reports."""
    db = tmp_path / "y.duckdb"
    board = [
        _message(k, (PLANT, AGAIN)[k % 2], (PLANT_TEXT, AGAIN_TEXT)[k % 2], DAY0 + timedelta(days=6 * k))
        for k in range(8)
    ]
    reply = _reply(DAY0 + timedelta(days=2))
    helpers.load_and_track_daily(db, {BOARD: board, BUREAU: [reply]}, SH)
    assert len(_events(db)) == 1
    with Warehouse.open(db, read_only=True) as wh:
        assert wh.con.execute("SELECT item_id FROM responses").fetchall() == [("r1",)]
        met = wh.con.execute("SELECT met_by_item_id FROM milestones WHERE milestone = 'first_response'").fetchall()
    assert met == [("r1",)]
