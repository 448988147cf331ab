"""Agreement of a second reader's incident labels with the first's, over the pairs of items a grouping measure counts.

    .venv/bin/python training/incidents/agreement.py   # both sets: food-safety and the second board set

A pair is "one incident" for a reader when both items have the same key. Printed per set: the pairs both readers put
in one incident, those only the first or only the second did, and the share of the pairs either reader joined that
both joined. (Pairs both keep apart are the great majority and say little.)
"""

from __future__ import annotations

import itertools
import json
from datetime import date
from pathlib import Path

HERE = Path(__file__).parent
FIXTURES = HERE.parents[1] / "tests" / "track" / "fixtures"
SETS = {
    # name: (first reader's labels, second reader's labels, the batch the second read, days apart a pair may be)
    "food-safety": (FIXTURES / "food_incidents.jsonl", "food_second.jsonl", "food_second_batch.jsonl", 7),
    "boards B": (FIXTURES / "board_incidents_b.jsonl", "board_b_second.jsonl", "board_b_second_batch.jsonl", None),
}


def _labels(path: Path) -> dict[str, str]:
    return {r["id"]: r["incident"] for r in map(json.loads, path.read_text("utf-8").splitlines())}


def _day(row: dict[str, str]) -> date:
    text = row.get("date") or row["posted"].split()[0].replace("/", "-")
    y, m, d = (int(p) for p in text.split("-"))
    return date(y, m, d)


def main() -> None:
    for name, (first_path, second_name, batch_name, days) in SETS.items():
        second_path = HERE / "agreement" / second_name
        if not second_path.is_file():
            print(f"{name}: no second reader's labels yet ({second_path})")
            continue
        first, second = _labels(first_path), _labels(second_path)
        rows = [json.loads(line) for line in (HERE / "agreement" / batch_name).read_text("utf-8").splitlines()]
        both = only_first = only_second = 0
        for a, b in itertools.combinations(rows, 2):
            if days is not None and abs((_day(a) - _day(b)).days) > days:
                continue
            one_first = first[a["id"]] == first[b["id"]]
            one_second = second[a["id"]] == second[b["id"]]
            both += one_first and one_second
            only_first += one_first and not one_second
            only_second += one_second and not one_first
        joined = both + only_first + only_second
        print(
            f"{name}: {len(rows)} items; pairs in one incident for both readers {both}, for the first only {only_first},"
            f" for the second only {only_second}: {both / max(1, joined):.2f} of the pairs either joined"
        )


if __name__ == "__main__":
    main()
