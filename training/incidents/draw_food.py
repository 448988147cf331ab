"""Draws the food-safety incident set (``tests/track/fixtures/food_incidents.jsonl``): every food-safety news item of
the training pool whose text opens with its date («2012.06.11…»), in date order, split into ``BATCHES`` batches at the
widest gaps between dates, so that the reports of one incident go to one reader. Each reader labels every item with
its incident by reading (``training/incidents/README.md``, "The food-safety set").

    .venv/bin/python training/incidents/draw_food.py   # writes training/incidents/batches/food_NN.jsonl
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
POOL = ROOT.parent / "shared" / "train" / "pool.jsonl"
OUT = Path(__file__).with_name("batches")
BATCHES = 3
TEXT_CHARS = 400  # of each item's text, as the reader sees it
DATED = re.compile(r"(\d{4})\.(\d{2})\.(\d{2})")


def main() -> None:
    items: list[tuple[date, dict[str, Any]]] = []
    with POOL.open(encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            m = DATED.match(r["text"] or "") if r["source_dataset"] == "food_safety_incidents_cn" else None
            if m:
                items.append((date(int(m[1]), int(m[2]), int(m[3])), r))
    items.sort(key=lambda dr: (dr[0], dr[1]["id"]))
    # Cut at the widest gaps between consecutive dates, near the even split points.
    n = len(items)
    cuts = []
    for b in range(1, BATCHES):
        target = b * n // BATCHES
        near = range(max(1, target - n // 10), min(n, target + n // 10))
        cuts.append(max(near, key=lambda k: ((items[k][0] - items[k - 1][0]).days, -abs(k - target))))
    OUT.mkdir(exist_ok=True)
    for b, (lo, hi) in enumerate(zip([0, *cuts], [*cuts, n], strict=True), start=1):
        with (OUT / f"food_{b:02d}.jsonl").open("w", encoding="utf-8") as out:
            for day, r in items[lo:hi]:
                row = {"id": r["id"], "date": day.isoformat(), "title": r["title"], "text": r["text"][:TEXT_CHARS]}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"food_{b:02d}: {hi - lo} items, {items[lo][0]} to {items[hi - 1][0]}")


if __name__ == "__main__":
    main()
