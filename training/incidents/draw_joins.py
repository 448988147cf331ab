"""Draws the check of a grouping rule's joins: the board's 4,110 messages of 泰迪杯 附件3 in the training pool, tracked
once (``tests/track/test_replay_board.py``), then grouped again without the rule and with it. Each event the rule
joined is one case: the messages of the events it joined, each event's in time order. The reader labels every message
with its incident (``training/incidents/README.md``); a join is right when the later event's incident is one of the
earlier events'. The rules (``RULES``): ``reraised``, a matter raised again (``grouping.reraised``, "Matters raised
again"); ``texts``, texts alike where no place confirms them (``GroupingParams.texts_held_unplaced``, "Texts alike
with no place"); ``retold``, a matter raised again by texts alike (``GroupingParams.reraise_texts_held``, "A matter
retold").

    .venv/bin/python training/incidents/draw_joins.py reraised           # writes batches/reraised_01.jsonl
    .venv/bin/python training/incidents/draw_joins.py reraised --score   # the joins against labels/reraised_01.jsonl
"""

from __future__ import annotations

import collections
import json
import math
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.track import helpers  # noqa: E402
from tests.track.test_replay_board import POOL, _posted  # noqa: E402
from warehouse import events as sql  # noqa: E402
from warehouse.db import Warehouse  # noqa: E402
from yuqing.models import SourceConfig  # noqa: E402
from yuqing.track.grouping import GroupingParams, group  # noqa: E402
from yuqing.track.model import TrackItem  # noqa: E402

LATER = datetime(2031, 1, 1, tzinfo=UTC)
BATCHES, LABELS = Path(__file__).with_name("batches"), Path(__file__).with_name("labels")
# rule -> (the file its cases and labels are named by, the grouping without the rule)
RULES = {
    "reraised": ("reraised_01.jsonl", GroupingParams(open_lookback_days=None, reraise_days=0)),
    "texts": ("texts_01.jsonl", GroupingParams(open_lookback_days=None, texts_held_unplaced=math.inf)),
    "retold": ("retold_01.jsonl", GroupingParams(open_lookback_days=None, reraise_texts_held=math.inf)),
}


def main(rule: str) -> None:
    name, without = RULES[rule]
    out = BATCHES / name
    messages = [
        helpers.feed_item(r["id"], "问政西地省", r["title"], r["text"], _posted(r["meta"]["留言时间"]))
        for r in helpers.pool_records(POOL, "teddycup2020_smart_gov")
        if r["meta"].get("file") == "附件3"
    ]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "board.duckdb"
        helpers.load_and_track(db, {SourceConfig("问政西地省", "https://board.example/0"): messages}, LATER)
        with Warehouse.open(db, read_only=True) as wh:
            items = sql.items_by_id(wh.con, [m.item_id for m in messages], LATER)
    before = group(items, LATER, params=without)
    after = group(items, LATER, params=GroupingParams(open_lookback_days=None))
    was = {i: ev.event_id for ev in before.events for i in ev.item_ids}
    by_id = {it.item_id: it for it in items}
    cases: list[dict[str, Any]] = []
    for ev in after.events:
        parts: dict[str, list[TrackItem]] = collections.defaultdict(list)
        for i in ev.item_ids:
            parts[was[i]].append(by_id[i])
        if len(parts) < 2:
            continue
        groups = sorted((sorted(p, key=lambda it: it.item_time) for p in parts.values()), key=lambda p: p[0].item_time)
        cases.append(
            {
                "case": f"m{len(cases) + 1:02d}",
                "groups": [
                    [{"id": it.item_id, "posted": f"{it.item_time:%Y-%m-%d}", "title": it.title, "text": it.summary[:300]} for it in g]
                    for g in groups
                ],
            }
        )
    out.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), "utf-8")
    print(f"{len(cases)} cases, {sum(len(c['groups']) for c in cases)} events -> {out}")


def score(rule: str) -> None:
    """Each joined event after the first of its case: right when its most frequent incident is an earlier one's."""
    name, _without = RULES[rule]
    incident = {r["id"]: r["incident"] for r in map(json.loads, (LABELS / name).read_text("utf-8").splitlines())}
    right = wrong = 0
    for case in map(json.loads, (BATCHES / name).read_text("utf-8").splitlines()):
        seen: set[str] = set()
        for k, events in enumerate(case["groups"]):
            counts = collections.Counter(incident[m["id"]] for m in events)
            if k:
                ok = counts.most_common(1)[0][0] in seen
                right, wrong = right + ok, wrong + (not ok)
            seen |= set(counts)
    print(f"joins of one matter: {right}, of two: {wrong}")


if __name__ == "__main__":
    which = next((a for a in sys.argv[1:] if a in RULES), None)
    if which is None:
        raise SystemExit(f"usage: draw_joins.py {{{','.join(RULES)}}} [--score]")
    score(which) if "--score" in sys.argv else main(which)
