"""Draw the held-out check set: items of the pool that no training round took, in the development set's mix of
sources, to be labelled by the guide and never trained on (training/holdout/README.md).

    python training/holdout/draw.py [--pool ../shared/train/pool.jsonl] [--n 200]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
TRAINING = HERE.parent
SEED = 20261205
BATCH = 50
# The development set's sources and their shares (460 items: teddycup 145, WeChat 140, TNEWS 90, food-safety
# incidents 25, DXY 25, THUCNews 20, 辟谣/较真 15); the hidden set is labelled by the same guide. Every WeChat item of
# the pool is already in a training round, so the other feed source of the pool (澎湃/界面 Atom) takes its share.
MIX = {
    "teddycup2020_smart_gov": 145,
    "feeds_thepaper_jiemian_atom": 140,
    "clue_tnews_dev": 90,
    "food_safety_incidents_cn": 25,
    "dxy_covid_news_and_rumors": 25,
    "thucnews_cnews_sample": 20,
    "rumor_refutation_piyao_jiaozhen": 15,
}


def taken_ids() -> set[str]:
    """Every item a training round drew (used or kept unused) or a second reader labelled."""
    taken: set[str] = set()
    for path in TRAINING.rglob("*.jsonl"):
        if HERE in path.parents:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                taken.add(json.loads(line)["id"])
    return taken


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pool", default=str(TRAINING.parent.parent / "shared" / "train" / "pool.jsonl"))
    ap.add_argument("--n", type=int, default=200)
    args = ap.parse_args()
    taken = taken_ids()
    by_source: dict[str, list[dict]] = {}
    for line in Path(args.pool).read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item["id"] not in taken and item["source_dataset"] in MIX:
            by_source.setdefault(item["source_dataset"], []).append(item)
    rng = random.Random(SEED)
    total = sum(MIX.values())
    drawn: list[dict] = []
    for source, share in MIX.items():
        k = round(args.n * share / total)
        drawn += rng.sample(by_source[source], k)
    rng.shuffle(drawn)
    drawn = drawn[: args.n]  # the rounded shares may add up to one more
    (HERE / "batches").mkdir(exist_ok=True)
    for n in range(0, len(drawn), BATCH):
        with open(HERE / "batches" / f"holdout_{n // BATCH + 1:02d}.jsonl", "w", encoding="utf-8") as out:
            for item in drawn[n : n + BATCH]:
                row = {k: item[k] for k in ("id", "source_dataset", "title", "text", "meta")}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(drawn)} items ({len(taken)} taken by training rounds left out) in {-(-len(drawn) // BATCH)} batches")


if __name__ == "__main__":
    main()
