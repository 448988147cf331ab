"""Measure the classifier's region against the region check set's labels (training/region/README.md).

    python training/region/measure.py [--set A|B|all] [--errors N]

Each label names the place an item is about (province, city, county, or none), resolved here to GB/T 2260 codes
through the classifier's gazetteer. The classifier's region (``Tags.region_code``) is compared with the label's
finest code:

* **right**: the same division;
* **coarser**: a division containing the label's (a province for a city's matter: the digest's province route
  gets it, the city's does not);
* **finer**: a division inside the label's (more precise than the reader could settle; not counted wrong);
* **wrong**: another division, or a place where the label has none (**misplaced**), or none where it has one
  (**unplaced**).

Printed per source and overall, with province-level agreement (both in the same province, or both none).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from classifiers import Classifier  # noqa: E402
from classifiers.region import Gazetteer  # noqa: E402

OUTCOMES = ("right", "coarser", "finer", "wrong", "misplaced", "unplaced", "none")


class Divisions:
    """The classifier's gazetteer (``classifiers.region.Gazetteer``) by division name under each parent, to resolve a
    reader's names to a code."""

    def __init__(self, gaz: Gazetteer | None = None) -> None:
        self.gaz = gaz or Gazetteer()
        self.by_name: dict[tuple[str, str], str] = {}
        for code, place in self.gaz.places.items():
            parent = place.parent or ""
            self.by_name[(parent, place.name)] = code
            # a county renamed between 县, 区 and 市 (东乡县 → 东乡区) is found by its name without the suffix
            self.by_name.setdefault((parent, _stem(place.name)), code)

    def resolve(self, label: dict) -> str | None:
        """The finest code the label names (None: no place). Raises ValueError for a name the gazetteer lacks."""
        code = ""
        for level in ("province", "city", "county"):
            name = label.get(level)
            if not name:
                continue
            found = None
            for key in (name, _stem(name)):
                found = found or self.by_name.get((code, key))
                if found is None and level == "county" and code:
                    # a county listed directly under its province (municipalities, 省直辖 counties)
                    found = self.by_name.get((code[:2] + "0000", key))
            if found is None:
                raise ValueError(f"{label['id']}: no {level} named {name!r} under {code or 'the country'}")
            code = found
        return code or None

    def contains(self, outer: str, inner: str) -> bool:
        """Whether division ``outer`` is ``inner`` or holds it."""
        return outer in self.gaz.above.get(inner, frozenset())


def _stem(name: str) -> str:
    return name[:-1] if len(name) > 2 and name[-1] in "县区市" else name


def outcome(divisions: Divisions, label: str | None, predicted: str | None) -> str:
    if label is None:
        return "none" if predicted is None else "misplaced"
    if predicted is None:
        return "unplaced"
    if predicted == label:
        return "right"
    if divisions.contains(predicted, label):
        return "coarser"
    if divisions.contains(label, predicted):
        return "finer"
    return "wrong"


SETS = {"A": range(1, 5), "B": range(5, 9)}  # batch numbers: set A was read while the rule changed, B never


def load(folder: Path, batches: Iterable[int] | None = None) -> list[tuple[dict, dict]]:
    """(item, label) of the labelled batches (``batches``: their numbers; None: all)."""
    wanted = None if batches is None else set(batches)
    items = {}
    for path in sorted((folder / "batches").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line:
                it = json.loads(line)
                items[it["id"]] = it
    pairs = []
    for path in sorted((folder / "labels").glob("*.jsonl")):
        if wanted is not None and int(path.stem.split("_")[1]) not in wanted:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line:
                label = json.loads(line)
                pairs.append((items[label["id"]], label))
    return pairs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--folder", type=Path, default=HERE)
    ap.add_argument("--set", choices=[*SETS, "all"], default="all")
    ap.add_argument("--errors", type=int, default=0, help="print up to N items that are not right, coarser or none")
    ap.add_argument("--coarser", action="store_true", help="print the coarser ones too")
    args = ap.parse_args(argv)
    divisions = Divisions()
    pairs = load(args.folder, None if args.set == "all" else SETS[args.set])
    clf = Classifier.default()
    tags = clf.classify_many([it for it, _ in pairs])
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    province_agree: Counter[str] = Counter()
    errors = []
    for (it, label), tag in zip(pairs, tags, strict=True):
        code = divisions.resolve(label)
        got = outcome(divisions, code, tag.region_code)
        for key in (it["source_dataset"], "all"):
            counts[key][got] += 1
            same = (code is None and tag.region_code is None) or (
                code is not None and tag.region_code is not None and code[:2] == tag.region_code[:2]
            )
            province_agree[key] += same
        if got in ("wrong", "misplaced", "unplaced", "finer") or (got == "coarser" and args.coarser):
            errors.append((got, it, label, code, tag))
    print(f"items: {len(pairs)}\n")
    head = f"{'source':32} {'n':>4} " + " ".join(f"{o:>9}" for o in OUTCOMES) + "  province-agree"
    print(head)
    for key in sorted(counts, key=lambda k: (k == "all", k)):
        c = counts[key]
        n = sum(c.values())
        print(f"{key:32} {n:>4} " + " ".join(f"{c[o]:>9}" for o in OUTCOMES) + f"  {province_agree[key] / n:>13.3f}")
    c = counts["all"]
    placed = sum(c[o] for o in ("right", "coarser", "finer", "wrong", "unplaced"))
    print(
        f"\nlabelled with a place: {placed}; right {c['right'] / placed:.3f}, right or coarser "
        f"{(c['right'] + c['coarser']) / placed:.3f}, wrong {c['wrong'] / placed:.3f}, unplaced {c['unplaced'] / placed:.3f}"
    )
    unlabelled = c["none"] + c["misplaced"]
    if unlabelled:
        print(f"labelled with no place: {unlabelled}; given one anyway {c['misplaced'] / unlabelled:.3f}")
    for got, it, label, code, tag in errors[: args.errors]:
        text = (it["title"] + " | " + it["text"])[:90]
        print(f"  {it['id']} [{got}] label {code} {label.get('note') or ''} | got {tag.region_code} {tag.region_name} "
              f"({tag.region_evidence}) | {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
