"""The labelled replay of the demo week: the demo's feeds polled every 3 hours for a week, the way
docs/ops.md describes (``ingest --as-of T`` then ``track --as-of T``), measured against labels made by
reading every item.

    python -m tests.track.demo_replay [--db PATH]    # replays and prints the figures

Labels (``fixtures/demo_labels.jsonl``, one line per item of ``fixtures/demo_items.jsonl``, made by reading
the titles with the labelling guide, docs/design.md "Measuring events"): ``issue``; ``incident``, a slug
naming the real incident or matter an item is about (its reports, follow-ups, relays and answers share
it; null for items about no specific incident); ``answers``, the item is a government body's answer to
that incident (or a report whose substance is one).

Measured at the last checkpoint:

* **event precision**: opened events whose members are about a labelled incident;
* **split incidents**: labelled incidents whose members the tracker put into more than one event;
* **pairwise grouping** precision and recall over the members: pairs in one event that are one incident,
  and pairs of one incident's issue items that are in one event;
* **flag precision**: overdue flags that are right, on an event about a labelled incident that no
  labelled answer had answered by then (a press conference milestone only by a press conference).
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from warehouse.db import Warehouse
from yuqing import pipeline
from yuqing.feedserver import FeedServer
from yuqing.timeutil import SHANGHAI
from yuqing.track.run import overdue, run_track

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).with_name("fixtures")
SAMPLES = ROOT / "samples"
END = datetime(2021, 6, 18, 8, 0, tzinfo=SHANGHAI)  # the demo's morning
START = END - timedelta(days=7)
STEP = timedelta(hours=3)
PRESS = re.compile(r"发布会|吹风会|答记者问")


def checkpoints(start: datetime = START, end: datetime = END, step: timedelta = STEP) -> list[datetime]:
    out = []
    t = start
    while t <= end:
        out.append(t)
        t += step
    return out


def load_labels() -> dict[str, dict[str, Any]]:
    items = {r["item_id"]: r for r in map(json.loads, (FIXTURES / "demo_items.jsonl").read_text("utf-8").splitlines())}
    labels = {r["item_id"]: r for r in map(json.loads, (FIXTURES / "demo_labels.jsonl").read_text("utf-8").splitlines())}
    for iid, lab in labels.items():
        lab.update(title=items[iid]["title"], source=items[iid]["source"], time=items[iid]["time"])
    return labels


def replay(db: Path, points: Iterable[datetime] | None = None) -> None:
    """Serve the demo's feeds on 127.0.0.1 and run ingest then track at every checkpoint."""
    sources_text = (SAMPLES / "sources.toml").read_text(encoding="utf-8")
    with FeedServer(SAMPLES / "feeds") as server, tempfile.TemporaryDirectory() as tmp:
        sources = Path(tmp) / "sources.toml"
        sources.write_text(re.sub(r"http://127\.0\.0\.1:\d+/", server.base_url + "/", sources_text), encoding="utf-8")
        # The feeds are on 127.0.0.1, which the fetcher refuses unless told (as in the demo): so the replay runs
        # the same from a shell as under pytest (whose conftest allows loopback for every test).
        loopback = pipeline.default_fetch_settings(loopback=True)
        for t in points or checkpoints():
            pipeline.ingest(db, sources, as_of=t, settings=loopback)
            with Warehouse.open(db) as wh:
                run_track(wh, as_of=t)


@dataclass(frozen=True, slots=True)
class Figures:
    events: int
    events_real: int
    split: dict[str, int]  # incident -> number of events holding its members
    pair_precision: float
    pair_recall: float
    pairs: tuple[int, int]  # (pairs in one event, pairs of one incident's issue items)
    flags: int
    flags_right: int
    wrong_events: tuple[str, ...]
    wrong_flags: tuple[str, ...]

    @property
    def event_precision(self) -> float:
        return self.events_real / self.events if self.events else 1.0

    @property
    def flag_precision(self) -> float:
        return self.flags_right / self.flags if self.flags else 1.0

    def render(self) -> str:
        lines = [
            f"events opened: {self.events}; about a labelled incident: {self.events_real} "
            f"(precision {self.event_precision:.2f})",
            f"incidents split across events: {len(self.split)} {dict(self.split) or ''}".rstrip(),
            f"pairwise grouping: precision {self.pair_precision:.2f}, recall {self.pair_recall:.2f} "
            f"({self.pairs[0]} pairs in one event, {self.pairs[1]} pairs of one incident)",
            f"overdue flags: {self.flags}; right: {self.flags_right} (precision {self.flag_precision:.2f})",
        ]
        lines += [f"  not an incident: {t}" for t in self.wrong_events]
        lines += [f"  wrong flag: {t}" for t in self.wrong_flags]
        return "\n".join(lines)


def measure(db: Path, as_of: datetime = END, labels: dict[str, dict[str, Any]] | None = None) -> Figures:
    labels = labels or load_labels()
    with Warehouse.open(db) as wh:
        members = wh.con.execute("SELECT item_id, event_id FROM event_items").fetchall()
        titles = dict(wh.con.execute("SELECT event_id, title FROM events").fetchall())
        flags = overdue(wh, as_of=as_of, lookback_days=None)
    by_event: dict[str, list[str]] = {}
    for iid, ev in members:
        by_event.setdefault(ev, []).append(iid)
    incident = {iid: lab["incident"] for iid, lab in labels.items()}
    real = {ev for ev, ids in by_event.items() if any(incident.get(i) for i in ids)}
    wrong_events = tuple(sorted(titles[ev] for ev in by_event if ev not in real))
    events_of: dict[str, set[str]] = {}
    for iid, ev in members:
        if incident.get(iid):
            events_of.setdefault(str(incident[iid]), set()).add(ev)
    split = {inc: len(evs) for inc, evs in sorted(events_of.items()) if len(evs) > 1}
    # pairs in one event: one incident?
    same_event = [(a, b) for ids in by_event.values() for a, b in itertools.combinations(sorted(ids), 2)]
    good = sum(1 for a, b in same_event if incident.get(a) and incident.get(a) == incident.get(b))
    event_of = dict(members)
    issue_items: dict[str, list[str]] = {}
    for iid, lab in labels.items():
        if lab["issue"] and lab["incident"]:
            issue_items.setdefault(lab["incident"], []).append(iid)
    gold_pairs = [(a, b) for ids in issue_items.values() for a, b in itertools.combinations(sorted(ids), 2)]
    found = sum(1 for a, b in gold_pairs if event_of.get(a) is not None and event_of.get(a) == event_of.get(b))
    # flags
    answers: dict[str, list[dict[str, Any]]] = {}
    for lab in labels.values():
        if lab["answers"] and lab["incident"]:
            answers.setdefault(lab["incident"], []).append(lab)
    right = 0
    wrong_flags: list[str] = []
    for f in flags:
        incs = {incident[i] for i in by_event.get(f.event_id, []) if incident.get(i)}
        answered = any(
            datetime.fromisoformat(a["time"]).replace(tzinfo=SHANGHAI) <= as_of
            and (f.milestone != "press_conference" or PRESS.search(a["title"]))
            for inc in incs
            for a in answers.get(str(inc), [])
        )
        if incs and not answered:
            right += 1
        else:
            wrong_flags.append(f"{f.milestone} {f.title}")
    return Figures(
        events=len(by_event),
        events_real=len(real),
        split=split,
        pair_precision=good / len(same_event) if same_event else 1.0,
        pair_recall=found / len(gold_pairs) if gold_pairs else 1.0,
        pairs=(len(same_event), len(gold_pairs)),
        flags=len(flags),
        flags_right=right,
        wrong_events=wrong_events,
        wrong_flags=tuple(wrong_flags),
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, default=None, help="keep the replay's database here")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "replay.duckdb"
        db.unlink(missing_ok=True)
        replay(db)
        print(measure(db).render())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
