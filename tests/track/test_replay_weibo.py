"""Replay of the Weibo posts of January to April 2020 that the training pool holds (``shared/train/pool.jsonl``,
``source_dataset`` covid_weibo_2020_gbk; 12,359 posts): each post from one source, spread over its day (the
corpus records the date only), through the real classifier and the warehouse store, then one track run after the
last post.

A Weibo stream is mostly chatter: reactions to the day's figures, tributes to medics, and love quotes, sutras or
adverts posted under an epidemic hashtag to ride it. Among it are the posts an ops team must see: a plea from a named
city's hospital, a complaint about a compound's or a city's measures, a relayed report of a local cluster. Before
the classifier was trained on Weibo posts (training round 9) this replay opened 154 events, most of them chatter.

The measure is the held-out half of the posts (``training.sample.weibo_half``): training round 9 drew only from
the other half. Its posts that open an event were labelled by readers who saw no model output
(``training/holdout/labels/weibo_*.jsonl`` and ``openers_01.jsonl``); a few were labelled in earlier training rounds
(``training/labels/``), before the halves were drawn, so whether an opened event is an issue is known for all of
them but one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import shared_path
from tests.track.helpers import (
    feed_item,
    incident_labels,
    load_and_track,
    memberships,
    pairwise_grouping,
    pool_records,
    twins_named,
)
from training.sample import weibo_half
from warehouse.db import Warehouse
from yuqing.models import Item, SourceConfig

pytestmark = pytest.mark.slow

POOL = shared_path() / "train" / "pool.jsonl"
if not POOL.is_file():
    pytest.skip(f"needs the training pool, not found at {POOL}", allow_module_level=True)
SH = ZoneInfo("Asia/Shanghai")
TRAINING = Path(__file__).resolve().parents[2] / "training"
HELD_OUT_LABELS = TRAINING / "holdout" / "labels"
INCIDENTS = Path(__file__).with_name("fixtures") / "weibo_incidents.jsonl"


@dataclass(frozen=True, slots=True)
class Replay:
    db: Path
    held_out: dict[str, dict[str, object]]  # held-out labels by item id (the Weibo set and the event openers)
    trained: dict[str, dict[str, object]]  # the training rounds' labels by item id


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replay]:
    items: list[Item] = []
    for r in pool_records(POOL, "covid_weibo_2020_gbk"):
        day = datetime.strptime(r["meta"]["date"], "%Y-%m-%d").replace(tzinfo=SH)
        # posts of a day spread over its waking hours, in the corpus's order
        at = day + timedelta(hours=8, seconds=(len(items) * 37) % 36000)
        items.append(feed_item(r["id"], "微博", r["title"], r["text"], at))
    held_out = _labels([*HELD_OUT_LABELS.glob("weibo_*.jsonl"), *HELD_OUT_LABELS.glob("openers_*.jsonl")])
    trained = _labels(list((TRAINING / "labels").glob("*.jsonl")))
    as_of = max(i.item_time for i in items) + timedelta(hours=1)
    db = tmp_path_factory.mktemp("weibo") / "yuqing.duckdb"
    load_and_track(db, {SourceConfig("微博", "https://weibo.example/0"): items}, as_of)
    yield Replay(db, held_out, trained)


def _labels(paths: list[Path]) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                out[row["id"]] = row
    return out


def _openers(db: Path) -> list[str]:
    with Warehouse.open(db, read_only=True) as wh:
        rows = wh.con.execute(
            "SELECT min_by(i.item_id, i.item_time) FROM event_items AS ei JOIN items AS i USING (item_id) "
            "GROUP BY ei.event_id"
        ).fetchall()
    return [item_id for (item_id,) in rows]


def test_a_weibo_stream_opens_few_events(replay: Replay) -> None:
    # measured 68 of 12,359 posts (69 before a region was found from the province down: a Beijing district's two cases
    # joined Beijing's count of that day; 67 with round 10's food-safety news teaching `issue` and not round 11's; 154 before the classifier learned Weibo posts; 96 while a post without a
    # headline was grouped by no wording, so each repost of one case opened an event; 76 before a hashtag the post
    # takes up was read as its headline, 72 before a post with no words of its own stopped being an issue, 70 before
    # the retrain with the media's forms of reports, 71 before the retrain on rounds 6 and 7 of them)
    assert 40 <= len(_openers(replay.db)) <= 120


def test_most_events_a_weibo_stream_opens_are_issues(replay: Replay) -> None:
    held_out = [i for i in _openers(replay.db) if weibo_half(i) == 1]
    label = {**replay.trained, **replay.held_out}
    labelled = [label[i] for i in held_out if i in label]
    assert len(labelled) >= len(held_out) - 3  # measured: all but two of 29
    issues = sum(bool(row["issue"]) for row in labelled)
    # measured 20 issues of 27 (19 of 25 with round 10's food-safety news teaching `issue` and not round 11's; 21 of 28 before the retrain on rounds 6 and 7 of the media's forms of reports, the
    # same with one more unlabelled opener before the retrain with those forms; 21 of 29 before a post with no words
    # of its own stopped opening one, 22 of 30 before a hashtag the post takes up was its headline; 28 of 62 before
    # the classifier learned Weibo posts)
    assert issues >= 15
    assert issues / len(labelled) >= 0.6


def test_posts_read_as_no_issue_seldom_open_an_event(replay: Replay) -> None:
    # held-out posts the readers judged no issue: chatter and relays under an epidemic hashtag, advice, foreign news
    not_issues = {i for i, row in replay.held_out.items() if not row["issue"]}
    assert len(not_issues) >= 250
    opened = not_issues.intersection(_openers(replay.db))
    assert len(opened) <= 15, sorted(opened)  # measured 7 (6 with round 10 alone, 9 before it, 33 before round 9)


def test_posts_on_one_incident_are_one_event(replay: Replay) -> None:
    """Pairwise against ``fixtures/weibo_incidents.jsonl``: the 146 posts that were event members in this replay,
    each labelled with the incident it is about by a reader who saw no events (the same matter in the same place,
    however worded; a post judged by what it says, not by the trending hashtags it carries). Pairs more than 7 days
    apart are left out: a report that late opens another event by design (``GroupingParams.window_hours``)."""
    incident = incident_labels(INCIDENTS)
    members = memberships(replay.db)
    assert len(set(members) & set(incident)) >= 0.9 * len(members)
    precision, recall = pairwise_grouping(members, incident)
    # measured 0.940 and 0.760 (0.941 before the region change above; 0.770 with round 10 alone, 0.754 before it; 0.941 and 0.745 before a hashtag the post takes up was read as its headline)
    assert precision >= 0.9, (precision, recall)
    assert recall >= 0.7, (precision, recall)
    # «#哈尔滨所有小区封闭管理#这个时候才开始封闭管理…» and «…这个决策漏洞百出！…如何封闭»: one city's decision
    assert members["p022466"][0] == members["p023304"][0]


def test_an_event_lists_the_events_of_its_incident_the_grouper_kept_apart(replay: Replay) -> None:
    """``yuqing event`` lists the events that may be the same incident, for an analyst to merge: posts on one matter
    often share its words in their text, not in their first words (the grouper's reading)."""
    pairs, named = twins_named(replay.db, incident_labels(INCIDENTS))
    # measured 26 pairs, 23 of their 52 lists naming the other (4 reading the events' wording alone)
    assert pairs >= 15, pairs
    assert named >= 0.35 * 2 * pairs, (named, pairs)
