"""Throughput of the full classifier against plain ``jieba.lcut`` on the same real-length texts.

    python bench/bench_classify.py [--n 100000] [--runs 5] [--jieba-n 10000]

The classifier scores items in batches (``Classifier.classify_many``, ``--batch`` items a call), as ingest,
retag and ``yuqing tag`` do. Texts are resampled (with replacement, fixed seed) from the shared data sets, built the way the
evaluation set builds its input (THUCNews and food-safety articles cut to 400 characters, teddycup
messages 400 and replies 800, DXY summaries 400, TNEWS headlines). jieba.lcut is timed on a subsample
of the same items (it is much slower than the classifier) and compared per item.

The two are timed side by side: each of ``--runs`` rounds times one classifier pass over all items
and one jieba pass over the subsample, so both see the same machine load. The garbage collector is
off while either is timed. Prints items/s (medians over the rounds, wall clock and CPU time), the
ratio, peak memory and the start-up of a whole ``yuqing tag`` process on one line.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARED = Path(os.environ.get("YUQING_SHARED", ROOT.parent / "shared"))
DATA = SHARED / "data"

csv.field_size_limit(10_000_000)


def _ws(s: str) -> str:
    return " ".join(s.split())


def load_pool() -> list[tuple[str, str]]:
    pool: list[tuple[str, str]] = []
    with (DATA / "thucnews_cnews_sample" / "cnews.val.txt").open(encoding="utf-8") as fh:
        for line in fh:
            _label, _tab, text = line.partition("\t")
            pool.append(("", _ws(text)[:400]))
    tc = DATA / "teddycup2020_smart_gov" / "csv"
    for name in (
        "fj2_labeled_sample_495.csv",
        "fj3_messages_with_votes.csv",
        "fj4_messages_with_official_replies.csv",
    ):
        with (tc / name).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                pool.append((_ws(row.get("留言主题", "")), _ws(row.get("留言详情", ""))[:400]))
                reply = _ws(row.get("答复意见") or "")
                if reply:
                    pool.append(("答复：" + _ws(row.get("留言主题", "")), reply[:800]))
    with (DATA / "food_safety_incidents_cn" / "food_safety_incidents_sample.csv").open(
        encoding="utf-8"
    ) as fh:
        for row in csv.DictReader(fh):
            pool.append(("", _ws(row["text"])[:400]))
    with (DATA / "dxy_covid_news_and_rumors" / "DXYNews.csv").open(encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            pool.append((_ws(row["title"]), _ws(row["summary"])[:400] + f" （来源：{row['infoSource']}）"))
    with (DATA / "clue_tnews_dev" / "dev.json").open(encoding="utf-8") as fh:
        for line in fh:
            pool.append((json.loads(line)["sentence"], ""))
    return pool


def startup_seconds(runs: int) -> float:
    """Median wall time of a whole ``yuqing tag`` process on one line: interpreter, imports, the
    classifier's build, one item and exit, timed from outside as a user waits for it."""
    line = json.dumps({"id": "startup", "title": "某地拖欠农民工工资", "summary": ""}, ensure_ascii=False)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "yuqing.cli", "tag"],
            input=line + "\n",
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="items for the classifier (default 100000)")
    ap.add_argument("--jieba-n", type=int, default=10_000, help="items for jieba.lcut (default 10000)")
    ap.add_argument("--runs", type=int, default=5, help="interleaved timing rounds (default 5)")
    ap.add_argument("--seed", type=int, default=20210617)
    ap.add_argument("--batch", type=int, default=1024, help="items per classify_many call (default 1024)")
    args = ap.parse_args(argv)

    pool = load_pool()
    rng = random.Random(args.seed)
    items = [pool[rng.randrange(len(pool))] for _ in range(args.n)]
    chars = sum(len(t) + len(b) for t, b in items) / len(items)
    print(f"pool {len(pool)} texts; sampled {len(items)} items, mean {chars:.0f} chars/item")

    startup = startup_seconds(args.runs)
    verdict = "met" if startup < 0.5 else "NOT met"
    print(
        f"start-up (a whole `yuqing tag` process on one line), median of {args.runs}: {startup:.3f} s "
        f"(goal < 0.5 s: {verdict})"
    )

    import jieba

    from classifiers import Classifier

    clf = Classifier.default()
    jieba.setLogLevel(60)
    jieba.initialize()
    sub = items[: args.jieba_n]
    sub_chars = sum(len(t) + len(b) for t, b in sub) / len(sub)
    clf.classify_many([{"title": t, "text": b} for t, b in items[:200]])
    for t, b in items[:200]:
        jieba.lcut(t + " " + b)

    def timed(fn: Callable[[], object], n: int) -> tuple[float, float]:
        """(items/s wall clock, items/s CPU time) of one pass, garbage collector off."""
        gc.collect()
        gc.disable()
        try:
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        finally:
            gc.enable()
        return n / wall, n / cpu

    batches = [
        [{"title": t, "text": b} for t, b in items[k : k + args.batch]] for k in range(0, len(items), args.batch)
    ]

    def run_classifier() -> None:
        for batch in batches:
            clf.classify_many(batch)

    def run_jieba() -> None:
        for t, b in sub:
            jieba.lcut(t + " " + b)

    c_wall: list[float] = []
    c_cpu: list[float] = []
    j_wall: list[float] = []
    j_cpu: list[float] = []
    for _ in range(args.runs):
        w, c = timed(run_classifier, len(items))
        c_wall.append(w)
        c_cpu.append(c)
        w, c = timed(run_jieba, len(sub))
        j_wall.append(w)
        j_cpu.append(c)
    clf_rate, clf_cpu = statistics.median(c_wall), statistics.median(c_cpu)
    jieba_rate, jieba_cpu = statistics.median(j_wall), statistics.median(j_cpu)
    print(
        f"classifier: {clf_rate:,.0f} items/s ({1e6 / clf_rate:.1f} µs/item; CPU {1e6 / clf_cpu:.1f} µs/item), "
        f"runs {[round(r) for r in c_wall]}"
    )
    print(
        f"jieba.lcut: {jieba_rate:,.0f} items/s ({1e6 / jieba_rate:.1f} µs/item; CPU {1e6 / jieba_cpu:.1f} µs/item) "
        f"on {len(sub)} of the same items (mean {sub_chars:.0f} chars/item), runs {[round(r) for r in j_wall]}"
    )
    print(
        f"ratio classifier / jieba.lcut: {clf_rate / jieba_rate:.1f}x wall clock, {clf_cpu / jieba_cpu:.1f}x CPU "
        f"(medians of {args.runs} interleaved rounds)"
    )

    tracemalloc.start()
    for batch in batches[: max(1, 10_000 // args.batch)]:
        clf.classify_many(batch)
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"peak traced allocation while classifying 10k items: {peak / 1e6:.1f} MB; process max RSS {rss:.0f} MB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
