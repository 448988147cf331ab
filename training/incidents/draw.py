"""Draws the second board incident set (``tests/track/fixtures/board_incidents_b.jsonl``): every message of 泰迪杯's
附件3 in the training pool that names an estate or complex (``yuqing.track.incident.localities``, from its headline or,
where that names none, its opening) named by at least ``MIN_MESSAGES`` messages, leaving out the estates of the first
set (``board_incidents.jsonl``) and its messages. The keys only choose which messages are read together; the reader
labels each with its incident by reading (``training/incidents/README.md``).

    .venv/bin/python training/incidents/draw.py   # writes training/incidents/batches/board_b_NN.jsonl
"""

from __future__ import annotations

import collections
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from yuqing.track import incident  # noqa: E402

POOL = ROOT.parent / "shared" / "train" / "pool.jsonl"
FIRST_SET = ROOT / "tests" / "track" / "fixtures" / "board_incidents.jsonl"
OUT = Path(__file__).with_name("batches")
MIN_MESSAGES = 6
BATCHES = 2


def main() -> None:
    first = {json.loads(line)["id"] for line in FIRST_SET.read_text("utf-8").splitlines()}
    messages: list[dict[str, Any]] = []
    by_key: dict[str, list[int]] = collections.defaultdict(list)
    with POOL.open(encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if r["source_dataset"] != "teddycup2020_smart_gov" or r["meta"].get("file") != "附件3":
                continue
            keys = incident.localities(r["title"]) or incident.localities(r["text"][:60])
            for key in keys:
                by_key[key].append(len(messages))
            messages.append(r)
    taken: set[int] = set()
    groups: list[tuple[str, list[int]]] = []
    for key, rows in sorted(by_key.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        if len(rows) < MIN_MESSAGES or any(messages[k]["id"] in first for k in rows):
            continue
        rows = [k for k in rows if k not in taken]
        taken.update(rows)
        if rows:
            groups.append((key, rows))
    OUT.mkdir(exist_ok=True)
    outs = [(OUT / f"board_b_{n + 1:02d}.jsonl").open("w", encoding="utf-8") for n in range(BATCHES)]
    sizes = [0] * BATCHES
    for key, rows in groups:  # a whole group to one reader, the smaller batch first
        n = sizes.index(min(sizes))
        for k in sorted(rows, key=lambda k: str(messages[k]["meta"]["留言时间"]).replace("-", "/")):
            r = messages[k]
            out = {"id": r["id"], "group": key, "posted": r["meta"]["留言时间"], "title": r["title"], "text": r["text"]}
            outs[n].write(json.dumps(out, ensure_ascii=False) + "\n")
        sizes[n] += len(rows)
    for fh in outs:
        fh.close()
    print(f"{sum(sizes)} messages in {len(groups)} groups: {sizes}")


if __name__ == "__main__":
    main()
