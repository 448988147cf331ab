"""Draw the held-out check sets: items of the pool that no training round took, to be labelled by the guide and
never trained on (training/holdout/README.md).

    python training/holdout/draw.py [--pool ../shared/train/pool.jsonl] [--n 200]            # the mix set
    python training/holdout/draw.py --set boards [--n 400]                                  # the boards set
    python training/holdout/draw.py --set boards2                                           # the second boards set
    python training/holdout/draw.py --set weibo                                             # the Weibo set
    python training/holdout/draw.py --set media                                             # the media set

The mix set follows the development set's mix of sources. The boards set is message-board messages and replies
only, where the thin topics (wage arrears, work safety, hardship, housing) mostly are, so that their recall is
measured on more than a handful of items. The second boards set is 1,000 more of them, in the development set's
proportion of messages to replies (850 to 150), in batches of 250. The Weibo set is Weibo posts from the half of
them that training round 9 may not draw (``sample.weibo_half``): every post of that half the model of the day calls
an issue, pleas and complaints by their wording, and posts at random (``WEIBO``). The media set is 600 news items
at random, the development set's media sources in its proportions (``MEDIA``): a third of the hidden set's items are
such headlines and news, and the mix set holds 120 of them.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
TRAINING = HERE.parent
sys.path.insert(0, str(TRAINING.parent))

from training import sample  # noqa: E402

SEED = 20261205
BOARDS_SEED = 20261206
BOARDS_REPLY_SHARE = 0.2  # of the boards set; the rest are messages
BATCH = 50
BOARDS2_SEED = 20261213
BOARDS2 = {"teddy:msg": 850, "teddy:reply": 150}  # per stratum of training/sample.py
BOARDS2_BATCH = 250
WEIBO_SEED = 20261219
WEIBO: list[tuple[str, int]] = [("unc_wb_flagged", 10_000), ("kw_wb_plea", 100), ("wb_random", 150)]
WEIBO_BATCH = 100
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


MEDIA_SEED = 20261207
# The development set's media sources, about 3.4 times its 175 items (TNEWS 90, food-safety incidents 25, DXY 25,
# THUCNews 20, 辟谣/较真 15).
MEDIA = {
    "clue_tnews_dev": 300,
    "food_safety_incidents_cn": 90,
    "dxy_covid_news_and_rumors": 90,
    "thucnews_cnews_sample": 70,
    "rumor_refutation_piyao_jiaozhen": 50,
}
MEDIA_BATCH = 200


# Training rounds from this batch on (round 10 and after) were drawn after every held-out set, from the items those
# left: they do not count as taken when a set is drawn again, or it would not be drawn the same.
LATER_BATCHES = 39


def taken_ids() -> set[str]:
    """Every item a training round drawn before the held-out sets took (used or kept unused) or a second reader
    labelled."""
    rows = (json.loads(line) for line in (TRAINING / "sample.jsonl").read_text(encoding="utf-8").splitlines())
    later = {r["id"] for r in rows if r["batch"] >= LATER_BATCHES}
    return sample.every_drawn(TRAINING, but=HERE) - later


def set_ids(*names: str) -> set[str]:
    """The items of the named held-out sets (a set drawn later leaves out those drawn before it)."""
    return {
        json.loads(line)["id"]
        for name in names
        for path in (HERE / "batches").glob(f"{name}_*.jsonl")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    }


def draw_mix(pool: list[dict], n: int) -> list[dict]:
    by_source: dict[str, list[dict]] = {}
    for item in pool:
        if item["source_dataset"] in MIX:
            by_source.setdefault(item["source_dataset"], []).append(item)
    rng = random.Random(SEED)
    total = sum(MIX.values())
    drawn: list[dict] = []
    for source, share in MIX.items():
        k = round(n * share / total)
        drawn += rng.sample(by_source[source], k)
    rng.shuffle(drawn)
    return drawn[:n]  # the rounded shares may add up to one more


def per_stratum(pool: list[dict], counts: dict[str, int], stratum: Callable[[dict], str], seed: int) -> list[dict]:
    """Per stratum of ``counts`` (``stratum`` names an item's), in the pool's order, a seeded sample of its count
    (``sample.pick``); then shuffled."""
    rng = random.Random(seed)
    drawn: list[dict] = []
    for name, k in counts.items():
        drawn += sample.pick(rng, [item for item in pool if stratum(item) == name], k)
    rng.shuffle(drawn)
    return drawn


def draw_media(pool: list[dict]) -> list[dict]:
    """Per source of ``MEDIA``, a seeded sample of its count."""
    return per_stratum(pool, MEDIA, lambda item: item["source_dataset"], MEDIA_SEED)


def draw_boards(pool: list[dict], n: int) -> list[dict]:
    kinds: dict[str, list[dict]] = {"message": [], "reply": []}
    for item in pool:
        if item["source_dataset"] == "teddycup2020_smart_gov":
            kinds[(item.get("meta") or {}).get("kind", "message")].append(item)
    rng = random.Random(BOARDS_SEED)
    replies = round(n * BOARDS_REPLY_SHARE)
    drawn = rng.sample(kinds["message"], n - replies) + rng.sample(kinds["reply"], replies)
    rng.shuffle(drawn)
    return drawn


def draw_boards2(pool: list[dict]) -> list[dict]:
    """Per stratum (``training/sample.py``'s: messages outside 附件2, replies), a seeded sample of
    ``BOARDS2[stratum]`` items."""
    return per_stratum(pool, BOARDS2, sample.stratum_of, BOARDS2_SEED)


def batch_row(item: dict) -> dict:
    return {k: item[k] for k in ("id", "source_dataset", "title", "text", "meta")}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pool", default=str(TRAINING.parent.parent / "shared" / "train" / "pool.jsonl"))
    ap.add_argument(
        "--set",
        choices=("holdout", "boards", "boards2", "weibo", "media"),
        default="holdout",
        help="which set (default: the mix)",
    )
    ap.add_argument("--n", type=int, default=None, help="items (default 200 for the mix set, 400 for boards)")
    args = ap.parse_args()
    # The sets were drawn in this order, each leaving out the items of those before it.
    before = {
        "holdout": (),
        "boards": ("holdout",),
        "boards2": ("holdout", "boards"),
        "weibo": ("holdout", "boards", "boards2"),
        "media": ("holdout", "boards", "boards2", "weibo", "openers"),
    }[args.set]
    left_out = taken_ids() | set_ids(*before)
    pool = [
        item
        for item in map(json.loads, Path(args.pool).read_text(encoding="utf-8").splitlines())
        if item["id"] not in left_out
    ]
    row: Callable[[dict], dict] = batch_row
    if args.set == "holdout":
        drawn, batch = draw_mix(pool, args.n or 200), BATCH
    elif args.set == "boards":
        drawn, batch = draw_boards(pool, args.n or 400), BATCH
    elif args.set == "boards2":
        # the training rounds' batch format (training/sample.py), in which it was first drawn
        drawn, batch, row = draw_boards2(pool), BOARDS2_BATCH, sample.batch_row
    elif args.set == "media":
        drawn, batch = draw_media(pool), MEDIA_BATCH
    else:
        drawn = sample.weibo_strata(pool, 1, left_out, WEIBO, WEIBO_SEED)[0]
        batch, row = WEIBO_BATCH, sample.batch_row
    (HERE / "batches").mkdir(exist_ok=True)
    for n in range(0, len(drawn), batch):
        with open(HERE / "batches" / f"{args.set}_{n // batch + 1:02d}.jsonl", "w", encoding="utf-8") as out:
            for item in drawn[n : n + batch]:
                out.write(json.dumps(row(item), ensure_ascii=False) + "\n")
    print(
        f"{len(drawn)} items ({len(left_out)} taken or held out left out) in {-(-len(drawn) // batch)} batches"
    )


if __name__ == "__main__":
    main()
