"""Join each held-out set's items with their labels into ``<set>.jsonl`` (``holdout.jsonl``: the mix set,
``boards.jsonl``, ``boards2.jsonl`` and ``boards3.jsonl``: the three boards sets, ``weibo.jsonl``: the Weibo set,
``media.jsonl``: the media set), the development set's
format, for ``make eval-holdout`` (``python -m classifiers.evaluate training/holdout/<set>.jsonl``).

    python training/holdout/build.py [holdout|boards|boards2|boards3|weibo|media ...]   (default: all six)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIELDS = ("id", "source_dataset", "title", "text", "topics", "official_response", "issue", "note")
SETS = ("holdout", "boards", "boards2", "boards3", "weibo", "media")


def build(name: str) -> None:
    rows = joined(name)
    with open(HERE / f"{name}.jsonl", "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} labelled held-out items -> {HERE / f'{name}.jsonl'}")


def joined(name: str) -> list[dict]:
    """The set's items joined with their labels, in its batches' order (the rows ``build`` writes)."""
    labels: dict[str, dict] = {}
    for path in sorted((HERE / "labels").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                labels[row["id"]] = row
    rows = []
    missing = []
    for path in sorted((HERE / "batches").glob(f"{name}_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            label = labels.get(item["id"])
            if label is None:
                missing.append(item["id"])
                continue
            merged = {**item, **label}
            rows.append({k: merged.get(k, "") for k in FIELDS})
    if missing:
        raise SystemExit(f"{len(missing)} held-out items have no label yet: {', '.join(missing[:5])} …")
    return rows


def main(argv: list[str]) -> None:
    for name in argv or SETS:
        if name not in SETS:
            raise SystemExit(f"unknown set {name!r}: {', '.join(SETS)}")
        build(name)


if __name__ == "__main__":
    main(sys.argv[1:])
