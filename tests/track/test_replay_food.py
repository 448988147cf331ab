"""Replay of the training pool's food-safety news (``shared/train/pool.jsonl``, ``source_dataset``
food_safety_incidents_cn): the 804 items whose text opens with their date («2012.06.11烟台…»), each at noon of that
day, through the real classifier and the warehouse store, then one track run after the last.

A food-safety exposé is reprinted and followed up by many papers within days (烟台's apple growers bagging fruit with
pesticide: five reports in four days), which is where one incident told by several outlets becomes several events.
The measure is ``fixtures/food_incidents.jsonl``: every one of the 804 items labelled with the incident it reports by
readers who saw no events (``training/incidents/README.md``, "The food-safety set").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.track import helpers
from yuqing.models import Item, SourceConfig

pytestmark = pytest.mark.slow

POOL = helpers.training_pool()  # skips the module without it
SH = ZoneInfo("Asia/Shanghai")
INCIDENTS = Path(__file__).with_name("fixtures") / "food_incidents.jsonl"
DATED = re.compile(r"(\d{4})\.(\d{2})\.(\d{2})")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    items: list[Item] = []
    for r in helpers.pool_records(POOL, "food_safety_incidents_cn"):
        m = DATED.match(r["text"] or "")
        if m:
            at = datetime(int(m[1]), int(m[2]), int(m[3]), 12, tzinfo=SH)
            items.append(helpers.feed_item(r["id"], "食品安全新闻", r["title"], r["text"], at))
    assert len(items) == 804
    path = tmp_path_factory.mktemp("food") / "yuqing.duckdb"
    as_of = max(i.item_time for i in items) + timedelta(hours=1)
    helpers.load_and_track(path, {SourceConfig("食品安全新闻", "https://food.example/0"): items}, as_of)
    yield path


def test_reports_of_one_incident_are_one_event(db: Path) -> None:
    """Pairwise against the labels, over the labelled items that are event members (issues on a priority topic),
    pairs within 7 days of each other."""
    incident = helpers.incident_labels(INCIDENTS)
    members = {item_id: m for item_id, m in helpers.memberships(db).items() if item_id in incident}
    assert len(members) >= 350  # measured 403 of 804 (the others: no issue, as regulators' lists and advice are not)
    precision, recall = helpers.pairwise_grouping(members, incident)
    # measured 1.000 and 0.656: of the 64 pairs of one incident within 7 days, 42 in one event (41, 0.641, before a
    # national portal's name, «凤凰网首页», no longer placed a formula-milk report in 湘西's 凤凰县; 38, 0.594, before two
    # reports whose texts each hold the other's wording were one incident; 18, 0.281, before a report of no kind met
    # the city's other reports on its topic and a headline's city stood beside its body's county); apart, mostly
    # reports placed in two provinces (a Beijing ice pop's maker read in 江苏 from a reprint) or sharing little wording
    # (a follow-up on the maker's apology)
    assert precision >= 0.9, (precision, recall)
    assert recall >= 0.5, (precision, recall)


def test_an_event_lists_the_events_of_its_incident_the_grouper_kept_apart(db: Path) -> None:
    """``yuqing event`` lists the events that may be the same incident, for an analyst to merge: for each pair of
    events holding reports of one incident within 7 days, whether each event's list names the other."""
    pairs, named = helpers.twins_named(db, helpers.incident_labels(INCIDENTS))
    # measured 18 pairs, 30 of their 36 lists naming the other (22 pairs and 38 of 44 before the grouper joined reports
    # whose texts hold each other's wording; 30 of 44 then reading the events' wording alone, not their opening
    # reports' text; 44 of 44 listing every event sharing any wording, with six times as many of other incidents)
    assert pairs >= 15, pairs
    assert named >= 0.75 * 2 * pairs, (named, pairs)
