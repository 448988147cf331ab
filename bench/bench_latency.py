"""Latency: from an item appearing in a feed to it being tracked (in events / v_overdue), default schedules.

With the ingest deployment every 15 min and ``track_new`` on, a new item waits for the next ingest run
(0–15 min, 7.5 min on average) and then for that run's fetch + store + track. This script measures the
processing part on the real demo feeds served over loopback, in the steady state that matters (every
feed already known; one feed gets a new item; every other feed answers 304), and prints the median over
several rounds plus the resulting average and worst-case latency.

    python bench/bench_latency.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import duckdb

from yuqing import pipeline
from yuqing.demo import DEMO_AS_OF, samples_dir
from yuqing.feedserver import FeedServer

INGEST_EVERY_MIN = 15.0


def add_item(feed: Path, n: int) -> str:
    """Insert a new on-topic item at the top of a real feed file; returns its title."""
    title = f"江苏响水县化工厂爆炸事故致{10 + n}人死亡 搜救仍在进行（{n}）"
    text = feed.read_text(encoding="utf-8")
    item = (
        f"<item><title>{title}</title><link>https://example.cn/new/{n}</link>"
        f"<guid>https://example.cn/new/{n}</guid><description></description>"
        "<pubDate>Fri, 18 Jun 2021 07:50:00 +0800</pubDate></item>"
    )
    feed.write_text(text.replace("<item>", item + "<item>", 1), encoding="utf-8")
    return title


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    samples = samples_dir()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        feeds = tmp / "feeds"
        shutil.copytree(samples / "feeds", feeds)
        db = tmp / "y.duckdb"
        with FeedServer(feeds) as server:
            sources = tmp / "sources.toml"
            text = (samples / "sources.toml").read_text(encoding="utf-8")
            sources.write_text(re.sub(r"http://127\.0\.0\.1:\d+/", server.base_url + "/", text), encoding="utf-8")
            as_of = DEMO_AS_OF
            pipeline.ingest(db, sources, as_of=as_of)
            pipeline.track(db, as_of=as_of)
            target = feeds / "latest" / "MjM5MzI5NTU3MQ.xml"  # 澎湃新闻, a media account
            ingest_s, track_s, total_s = [], [], []
            for n in range(args.rounds):
                as_of += timedelta(minutes=15)
                title = add_item(target, n)
                time.sleep(1.1)  # a new Last-Modified second, so the server's validators change
                t0 = time.perf_counter()
                report = pipeline.ingest(db, sources, as_of=as_of)
                t1 = time.perf_counter()
                pipeline.track(db, as_of=as_of)
                t2 = time.perf_counter()
                assert report.new == 1, report.summary()
                con = duckdb.connect(str(db), read_only=True)
                tracked = con.execute(
                    "SELECT count(*) FROM event_items JOIN items USING (item_id) WHERE title = ?", [title]
                ).fetchall()[0][0]
                con.close()
                assert tracked == 1, "the new item did not reach an event"
                ingest_s.append(t1 - t0)
                track_s.append(t2 - t1)
                total_s.append(t2 - t0)
    med = statistics.median
    print(f"{len(total_s)} rounds, 51 feeds (1 changed, 50 answer 304), database of ~{885 + len(total_s)} items")
    print(f"  ingest (fetch, parse, classify, store, snapshot): median {med(ingest_s):.2f} s")
    print(f"  track (group, link, deadlines, snapshot):         median {med(track_s):.2f} s")
    print(f"  processing, item in feed -> in events/v_overdue:  median {med(total_s):.2f} s")
    proc_min = med(total_s) / 60
    print(
        f"with ingest every {INGEST_EVERY_MIN:.0f} min and track_new: average latency "
        f"{INGEST_EVERY_MIN / 2 + proc_min:.1f} min, worst case {INGEST_EVERY_MIN + proc_min:.1f} min "
        "(commercial systems claim 30 min on average)"
    )


if __name__ == "__main__":
    main()
