"""Draw the items to be labelled by reading from the shared training pool.

Deterministic (one seeded RNG, strata in a fixed order). Two kinds of strata:

* **natural** strata: a random draw per source dataset (and per upstream category where the pool has one),
  so the training set sees each source the way the pipeline does;
* **targeted** strata: items whose text mentions the thin topics' vocabulary (wage, hardship, work safety,
  housing and finance), drawn so that every topic gets enough positives to learn from. Keywords only choose
  *candidates*; the labels come from reading each item against the guide.

Writes ``training/batches/batch_NN.jsonl`` (the items, for the readers) and ``training/sample.jsonl`` (id,
stratum, batch). Usage: ``python training/sample.py [--pool ../shared/train/pool.jsonl]``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import defaultdict
from pathlib import Path

SEED = 20261205
BATCH = 250

# (stratum, predicate on an item, how many)
NATURAL: list[tuple[str, str, int]] = [
    ("feeds_wechat", "feeds_wechat_gov_news", 519),  # all of them: the product's own kind of source
    ("atom", "feeds_thepaper_jiemian_atom", 100),
    ("tnews_house", "tnews:news_house", 90),
    ("tnews_edu", "tnews:news_edu", 90),
    ("tnews_agriculture", "tnews:news_agriculture", 70),
    ("tnews_finance", "tnews:news_finance", 70),
    ("tnews_story", "tnews:news_story", 70),
    ("tnews_other", "tnews:other", 150),
    ("teddy_fj2", "teddy:fj2", 184),
    ("teddy_msg", "teddy:msg", 550),
    ("teddy_reply", "teddy:reply", 220),
    ("food_safety", "food_safety_incidents_cn", 220),
    ("dxy_news", "dxy:news", 230),
    ("dxy_rumors", "dxy:rumors", 50),
    ("piyao", "piyao", 80),
    ("jiaozhen", "jiaozhen", 70),
    ("thucnews", "thucnews_cnews_sample", 150),
    ("weibo", "covid_weibo_2020_gbk", 260),
]

# Candidate vocabulary for the topics the natural strata leave thin.
TARGETED: list[tuple[str, str, int]] = [
    ("kw_wage", r"工资|欠薪|讨薪|薪酬|拖欠|克扣|绩效|工钱|加班费|农民工", 230),
    ("kw_hardship", r"低保|残疾|扶贫|贫困|困难|救助|特困|五保|孤儿|停水|停电|供暖|暖气|残联|低收入", 200),
    ("kw_work_safety", r"事故|爆炸|火灾|起火|坍塌|安全隐患|消防|矿|倒塌|燃气|泄漏|施工安全|触电|伤亡", 200),
    ("kw_housing", r"开发商|房产证|不动产证|烂尾|交房|公积金|购房|集资|网贷|P2P|楼盘|限购|商品房|房贷|理财|非法吸收", 200),
    ("kw_environment", r"污染|噪音|噪声|排放|异味|臭|油烟|垃圾站|偷排|扬尘|污水", 80),
]


def stratum_of(item: dict) -> str:
    ds = item["source_dataset"]
    meta = item.get("meta") or {}
    if ds == "clue_tnews_dev":
        desc = meta.get("label_desc", "")
        return f"tnews:{desc}" if desc in {"news_house", "news_edu", "news_agriculture", "news_finance",
                                             "news_story"} else "tnews:other"
    if ds == "teddycup2020_smart_gov":
        if meta.get("kind") == "reply":
            return "teddy:reply"
        return "teddy:fj2" if meta.get("file") == "附件2" else "teddy:msg"
    if ds == "dxy_covid_news_and_rumors":
        return "dxy:rumors" if "rumor_id" in meta else "dxy:news"
    if ds == "rumor_refutation_piyao_jiaozhen":
        return "piyao" if meta.get("platform", "").startswith("piyao") else "jiaozhen"
    return ds


def pick(rng: random.Random, pool: list[dict], k: int) -> list[dict]:
    if k >= len(pool):
        return list(pool)
    return [pool[i] for i in sorted(rng.sample(range(len(pool)), k))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pool", default="../shared/train/pool.jsonl")
    ap.add_argument("--out", default=str(Path(__file__).parent))
    args = ap.parse_args()
    items = [json.loads(line) for line in open(args.pool, encoding="utf-8")]
    by_stratum: dict[str, list[dict]] = defaultdict(list)
    for it in items:
        by_stratum[stratum_of(it)].append(it)
    rng = random.Random(SEED)
    chosen: dict[str, str] = {}
    order: list[dict] = []
    for name, key, k in NATURAL:
        for it in pick(rng, by_stratum[key], k):
            chosen[it["id"]] = name
            order.append(it)
    # Targeted candidates come from sources that carry complaints and news, never from the official replies.
    for name, pattern, k in TARGETED:
        rx = re.compile(pattern)
        cands = [it for it in items
                 if it["id"] not in chosen and stratum_of(it) not in {"teddy:reply"}
                 and rx.search(it["title"] + " " + it["text"][:200])]
        for it in pick(rng, cands, k):
            chosen[it["id"]] = name
            order.append(it)
    rng.shuffle(order)
    out = Path(args.out)
    (out / "batches").mkdir(parents=True, exist_ok=True)
    with open(out / "sample.jsonl", "w", encoding="utf-8") as s:
        for n in range(0, len(order), BATCH):
            batch_no = n // BATCH + 1
            with open(out / "batches" / f"batch_{batch_no:02d}.jsonl", "w", encoding="utf-8") as f:
                for it in order[n:n + BATCH]:
                    row = {k: it[k] for k in ("id", "source_dataset", "title", "text")}
                    row["meta"] = {k: v for k, v in (it.get("meta") or {}).items()
                                   if k in {"account", "infoSource", "kind", "file", "一级标签", "label_desc",
                                            "platform", "keyword", "result", "explain", "rumorType_name",
                                            "feed", "label", "label_name_inferred"}}
                    f.write(json.dumps(row, ensure_ascii=False) + "\n")
                    s.write(json.dumps({"id": it["id"], "stratum": chosen[it["id"]], "batch": batch_no},
                                       ensure_ascii=False) + "\n")
    print(f"{len(order)} items in {(len(order) + BATCH - 1) // BATCH} batches")


if __name__ == "__main__":
    main()
