"""Benchmark: grouping + linking over synthetic items resampled from real Chinese headlines.

    python bench/bench_grouping.py [--sizes 100000,300000,1000000] [--runs 3] [--quick]

Titles come from shared/data (CLUE TNEWS headlines, THUCNews titles, the food-safety incident news);
each synthetic item takes a real headline, or (30 %) a near-duplicate of an earlier item's headline
(a prefix like 突发！, a dropped or inserted character, a trailing remark), with a random time over 90
days, region and topic; every item is an issue (the worst case: all of them may open events). 3 % are
official responses quoting an earlier event's headline. Each size runs
in its own subprocess so peak memory (ru_maxrss) is that size's alone, ``--runs`` times (the same
items each time); the table shows medians, the largest peak, and growth from one size to the next as
the ratio of median wall times. ``--quick`` = sizes 30000,100000.

    python bench/bench_grouping.py --persist 100000

also times ``run_track`` end to end on that size: the items written into an in-memory warehouse, then one
track run (reads, grouping, linking, milestones and every write).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from yuqing.track.grouping import group  # noqa: E402
from yuqing.track.model import TrackItem  # noqa: E402
from yuqing.track.responses import link  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
TOPICS = ["epidemic", "housing_finance", "wage_arrears", "environment", "food_drug_safety",
          "education_health_eldercare", "work_safety", "hardship_livelihood"]
REGIONS = [None, "440000", "440100", "440300", "440106", "420000", "420300", "110000", "110105", "310000",
           "330100", "510100", "320500", "370200", "610100"]
PREFIXES = ["突发！", "最新：", "【关注】", "快讯｜", ""]
SUFFIXES = ["", "！", "，官方回应", "（附视频）", "…", "，网友热议"]


def corpus() -> list[str]:
    titles: list[str] = []
    for line in (SHARED / "clue_tnews_dev" / "dev.json").read_text(encoding="utf-8").splitlines():
        titles.append(json.loads(line)["sentence"])
    for line in (SHARED / "thucnews_cnews_sample" / "cnews.val.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t", 1)
        if len(parts) == 2:
            titles.append(parts[1][:40])
    return [t for t in titles if len(t) >= 8]


def variant(rng: random.Random, title: str) -> str:
    chars = list(title)
    if len(chars) > 10 and rng.random() < 0.5:
        del chars[rng.randrange(len(chars))]
    return rng.choice(PREFIXES) + "".join(chars) + rng.choice(SUFFIXES)


def synth(n: int, seed: int = 7) -> tuple[list[TrackItem], list[TrackItem]]:
    rng = random.Random(seed)
    base = corpus()
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    items: list[TrackItem] = []
    responses: list[TrackItem] = []
    for k in range(n):
        t = t0 + timedelta(seconds=rng.randrange(90 * 86400))
        if items and rng.random() < 0.3:
            src = items[rng.randrange(max(0, len(items) - 2000), len(items))]
            title, topics, region = variant(rng, src.title), src.topics, src.region_code
            t = src.item_time + timedelta(minutes=rng.randrange(1, 48 * 60))
        else:
            title = rng.choice(base) + ("" if rng.random() < 0.5 else f"（{rng.randrange(10_000)}）")
            topics, region = (rng.choice(TOPICS),), rng.choice(REGIONS)
        if items and rng.random() < 0.03:
            ev = items[rng.randrange(len(items))]
            responses.append(
                TrackItem(f"r{k}", "gov", None, f"关于{ev.title}的情况通报", "", ev.item_time + timedelta(hours=rng.randrange(1, 96)),
                          ev.item_time + timedelta(hours=100), ev.topics, ev.region_code, None, "general", True, True,
                          False, ("first_information",))
            )
            continue
        items.append(TrackItem(f"i{k}", f"s{rng.randrange(200)}", None, title, "", t, t, topics, region, None,
                               "general", False, False, False, issue=True))
    return items, responses


def one(n: int) -> dict[str, float]:
    items, responses = synth(n)
    as_of = max(it.item_time for it in items)
    t = time.perf_counter()
    grouping = group(items, as_of)
    t_group = time.perf_counter() - t
    t = time.perf_counter()
    links = link(grouping.events, responses)
    t_link = time.perf_counter() - t
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"n": n, "items": len(items), "responses": len(responses), "events": len(grouping.events),
            "links": len(links), "group_s": round(t_group, 2), "link_s": round(t_link, 2),
            "wall_s": round(t_group + t_link, 2), "peak_mb": round(rss_mb, 1)}


def persist(n: int) -> dict[str, float]:
    """One ``run_track`` over n synthetic items stored in an in-memory warehouse."""
    import pyarrow as pa

    from warehouse.db import Warehouse
    from yuqing.track.run import run_track

    items, responses = synth(n)
    rows = [*items, *responses]
    as_of = max(it.item_time for it in rows) + timedelta(hours=1)
    ts = pa.timestamp("us", tz="UTC")
    with Warehouse.open(":memory:") as wh:
        t = time.perf_counter()
        with wh.transaction() as con:
            names = sorted({it.source for it in rows})
            con.register(
                "b_sources",
                pa.table({"name": names, "official": [name == "gov" for name in names]}),
            )
            con.execute(
                "INSERT INTO sources (name, url, kind, official, updated_at) "
                "SELECT name, 'https://example.com/' || name, 'feed', official, $t FROM b_sources",
                {"t": as_of},
            )
            times = pa.array([it.item_time for it in rows], ts)
            con.register(
                "b_items",
                pa.table(
                    {
                        "item_id": [it.item_id for it in rows],
                        "source": [it.source for it in rows],
                        "title": [it.title for it in rows],
                        "item_time": times,
                        "fetched_at": pa.array([it.fetched_at for it in rows], ts),
                        "region_code": pa.array([it.region_code for it in rows], pa.string()),
                        "official_response": [it.official_response for it in rows],
                        "kinds": [list(it.response_kinds) for it in rows],
                    }
                ),
            )
            con.execute(
                "INSERT INTO items (item_id, source, guid, url, title, summary, published_at, fetched_at, item_time, "
                "content_hash, first_seen_at, updated_at, region_code, region_name, severity, official_response, "
                "reported_response, response_kinds, evidence, classifier_version, issue) "
                "SELECT item_id, source, NULL, NULL, title, '', item_time, fetched_at, item_time, item_id, fetched_at, "
                "fetched_at, region_code, NULL, 'general', official_response, false, kinds, '{}', 'bench', "
                "NOT official_response FROM b_items"
            )
            con.register(
                "b_topics",
                pa.table(
                    {
                        "item_id": [it.item_id for it in rows for _ in it.topics],
                        "topic": [s for it in rows for s in it.topics],
                    }
                ),
            )
            con.execute(
                "INSERT INTO item_topics SELECT item_id, topic, 1.0, []::VARCHAR[], 'bench', 'bench' FROM b_topics"
            )
        t_load = time.perf_counter() - t
        t = time.perf_counter()
        report = run_track(wh, as_of)
        t_track = time.perf_counter() - t
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "n": n,
        "events": report.events_touched,
        "links": report.responses_linked,
        "load_s": round(t_load, 2),
        "track_s": round(t_track, 2),
        "peak_mb": round(rss_mb, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,300000,1000000")
    ap.add_argument("--runs", type=int, default=3, help="runs per size, each in a fresh process (default 3)")
    ap.add_argument("--quick", action="store_true", help="sizes 30000,100000")
    ap.add_argument("--one", type=int)
    ap.add_argument("--persist", type=int, help="time run_track end to end on this many items")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return
    if args.persist:
        print(json.dumps(persist(args.persist)))
        return
    sizes = [30_000, 100_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    print(f"grouping + linking benchmark; machine: nproc {os.cpu_count()}, load average "
          f"{'/'.join(f'{x:.1f}' for x in os.getloadavg())}; {args.runs} run(s) per size, medians")
    prev: dict[str, float] | None = None
    for n in sizes:
        runs = []
        for _ in range(args.runs):
            out = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True,
                                 check=True)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        r = {key: statistics.median(float(x[key]) for x in runs) for key in ("group_s", "link_s", "wall_s")}
        r |= {"n": n, "events": runs[0]["events"], "links": runs[0]["links"],
              "peak_mb": max(float(x["peak_mb"]) for x in runs)}
        growth = f"{r['wall_s'] / prev['wall_s']:.2f}x time for {n / prev['n']:.1f}x items" if prev else "—"
        walls = ", ".join(f"{float(x['wall_s']):.1f}" for x in runs)
        print(f"n={n:>9,}  events={int(r['events']):>9,}  links={int(r['links']):>7,}  group {r['group_s']:7.2f} s  "
              f"link {r['link_s']:6.2f} s  wall {r['wall_s']:7.2f} s (runs {walls})  peak {r['peak_mb']:7.1f} MB  "
              f"growth {growth}", flush=True)
        prev = r


if __name__ == "__main__":
    main()
