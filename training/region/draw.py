"""Draw the region check set: items whose place decides which team an event goes to, to be labelled with the place
they are about by reading (training/region/README.md).

    python training/region/draw.py [--pool ../shared/train/pool.jsonl]            # set A: region_01–04
    python training/region/draw.py --set B                                       # set B: region_05–08

The classifier of the day scores the pool; the set is the items it calls issues (what opens events, so what the
digest routes by region) outside the message boards, at random within each source (``STRATA``), and board messages
at random, whose places the board masked (A市, A2区): for them the right answer is mostly no region, and a region is
a wrong placement. Written to ``batches/region_NN.jsonl`` in batches of ``BATCH``, in a seeded order. Set B is drawn
the same way from what set A left, with its own seed (README: set A was read while the region rule changed, set B
was drawn after and never read).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from classifiers import Classifier  # noqa: E402

SEED = 20261207
SETS = {"A": (SEED, 1), "B": (SEED + 1, 5)}  # seed, number of the first batch
BATCH = 80
# (source dataset, items): issues by the classifier of the day; a stratum with fewer gives all it has.
STRATA: list[tuple[str, int]] = [
    ("covid_weibo_2020_gbk", 90),
    ("food_safety_incidents_cn", 80),
    ("dxy_covid_news_and_rumors", 70),
    ("feeds_wechat_gov_news", 15),
    ("feeds_thepaper_jiemian_atom", 15),
    ("thucnews_cnews_sample", 15),
    ("clue_tnews_dev", 15),
]
BOARD_MESSAGES = 40
KEEP_META = {"account", "infoSource", "kind", "file", "留言时间", "pubDate"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pool", type=Path, default=ROOT.parent / "shared" / "train" / "pool.jsonl")
    ap.add_argument("--out", type=Path, default=HERE / "batches")
    ap.add_argument("--set", choices=sorted(SETS), default="A")
    args = ap.parse_args(argv)
    seed, first_batch = SETS[args.set]
    # a later set leaves out what the earlier sets drew
    taken = {
        json.loads(line)["id"]
        for path in sorted(args.out.glob("region_*.jsonl"))
        if int(path.stem.split("_")[1]) < first_batch
        for line in path.read_text(encoding="utf-8").splitlines()
        if line
    }
    items = [
        it
        for it in (json.loads(line) for line in args.pool.read_text(encoding="utf-8").splitlines() if line)
        if it["id"] not in taken
    ]
    clf = Classifier.default()
    issues: dict[str, list[dict]] = {}
    boards: list[dict] = []
    for start in range(0, len(items), 1024):
        chunk = items[start : start + 1024]
        for it, tags in zip(chunk, clf.classify_many(chunk), strict=True):
            ds = it["source_dataset"]
            if ds == "teddycup2020_smart_gov":
                if it.get("meta", {}).get("kind") != "reply":
                    boards.append(it)
                continue
            if tags.issue:
                issues.setdefault(ds, []).append(it)
    rng = random.Random(seed)
    drawn: list[dict] = []
    for pool, n in [*((issues.get(ds, []), n) for ds, n in STRATA), (boards, BOARD_MESSAGES)]:
        drawn += [pool[i] for i in sorted(rng.sample(range(len(pool)), min(n, len(pool))))]
    rng.shuffle(drawn)
    args.out.mkdir(parents=True, exist_ok=True)
    for b in range(0, len(drawn), BATCH):
        path = args.out / f"region_{b // BATCH + first_batch:02d}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for it in drawn[b : b + BATCH]:
                row = {k: it[k] for k in ("id", "source_dataset", "title", "text")}
                row["meta"] = {k: v for k, v in (it.get("meta") or {}).items() if k in KEEP_META}
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(path, min(BATCH, len(drawn) - b))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
