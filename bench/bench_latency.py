"""Latency: from an item appearing in a feed to its event in ``v_overdue`` and to its urgent alert, default schedules.

With the ingest deployment on its ``prefect.yaml`` schedule (every 15 min) and ``track_new`` on, a new item waits
for the next ingest run, then for that run's start, its fetch + store + track, and the alert's delivery. This script

* computes the wait from the schedule itself (the ingest deployment's cron in ``prefect.yaml``, for items published
  at uniformly random times over a day: mean, 95th percentile and maximum);
* measures the run's start: the worker's polling interval (``PREFECT_WORKER_QUERY_SECONDS``, half of it on
  average) and a fresh process importing the ingest flow (median of 3);
* measures the processing on the real demo feeds served over loopback, in the steady state that matters (every feed
  already known; one feed gets a new item; every other feed answers 304): the ingest, the track run with alerts on,
  and the delivery of the alert to a JSON webhook on 127.0.0.1, until the webhook has it. Each round's item is a
  new major emergency somewhere else (a new event, so a new alert).

    python bench/bench_latency.py [--rounds 5]

The alert route has ``alert_interval_minutes = 0``: the rate limit is a quiet rule a route chooses, not latency.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import yaml

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("YUQING_ALLOW_LOOPBACK", "1")  # the benchmark's feeds are served on 127.0.0.1
sys.path.insert(0, str(ROOT))

from yuqing import pipeline  # noqa: E402
from yuqing.demo import DEMO_AS_OF, samples_dir  # noqa: E402
from yuqing.feedserver import FeedServer  # noqa: E402
from yuqing.timeutil import SHANGHAI  # noqa: E402

INCIDENTS = [
    "江苏响水县一化工厂发生爆炸事故致{n}人死亡",
    "贵州六盘水一煤矿发生瓦斯爆炸事故致{n}人死亡",
    "河南郑州一商场发生火灾致{n}人死亡",
    "四川宜宾一化工企业发生爆炸事故致{n}人死亡",
    "辽宁沈阳一饭店发生燃气爆炸致{n}人死亡",
    "山西临汾一饭店发生坍塌事故致{n}人死亡",
    "湖南衡阳一烟花厂发生爆炸事故致{n}人死亡",
    "广东深圳一工地发生坍塌事故致{n}人死亡",
]


def schedule_wait(cron: str, tz: str) -> tuple[float, float, float]:
    """(mean, p95, max) minutes from a uniformly random publish time to the next run of ``cron``."""
    from zoneinfo import ZoneInfo

    from cronsim import CronSim

    start = datetime(2021, 6, 14, tzinfo=ZoneInfo(tz))
    ticks = []
    it = CronSim(cron, start - timedelta(seconds=1))
    while True:
        tick = next(it)
        ticks.append(tick)
        if tick > start + timedelta(days=1, hours=1):
            break
    waits = []
    k = 0
    for s in range(0, 24 * 3600, 10):
        t = start + timedelta(seconds=s)
        while ticks[k] < t:
            k += 1
        waits.append((ticks[k] - t).total_seconds() / 60)
    waits.sort()
    return statistics.fmean(waits), waits[int(0.95 * len(waits))], waits[-1]


def ingest_schedule() -> tuple[str, str]:
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    (ingest,) = [d for d in spec["deployments"] if d["name"] == "ingest"]
    sched = ingest["schedules"][0]
    return sched["cron"], sched.get("timezone", "UTC")


def flow_process_start(runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import flows.ingest"], cwd=ROOT, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def worker_poll_seconds() -> float:
    from prefect.settings import PREFECT_WORKER_QUERY_SECONDS

    return float(PREFECT_WORKER_QUERY_SECONDS.value())


class Hook:
    """A JSON webhook on 127.0.0.1 that notes when each alert arrives."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, dict[str, Any]]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                hook.arrivals.append((time.perf_counter(), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"


def add_item(feed: Path, n: int, at: datetime) -> str:
    """Insert a new item at the top of a real feed file; returns its title."""
    title = INCIDENTS[n % len(INCIDENTS)].format(n=10 + n)
    text = feed.read_text(encoding="utf-8")
    item = (
        f"<item><title>{title}</title><link>https://example.cn/new/{n}</link>"
        f"<guid>https://example.cn/new/{n}</guid><description></description>"
        f"<pubDate>{at.astimezone(SHANGHAI).strftime('%a, %d %b %Y %H:%M:%S +0800')}</pubDate></item>"
    )
    feed.write_text(text.replace("<item>", item + "<item>", 1), encoding="utf-8")
    return title


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    samples = samples_dir()
    hook = Hook()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        feeds = tmp / "feeds"
        shutil.copytree(samples / "feeds", feeds)
        db = tmp / "y.duckdb"
        routes = tmp / "routes.toml"
        routes.write_text(
            f'[[channel]]\nname = "hook"\nkind = "webhook"\nurl = "{hook.url}"\n\n'
            '[[route]]\nname = "duty"\nrecipients = ["duty@example.gov.cn"]\nall = true\n'
            'alert_channels = ["hook"]\nalert_interval_minutes = 0\n',
            encoding="utf-8",
        )
        with FeedServer(feeds) as server:
            sources = tmp / "sources.toml"
            text = (samples / "sources.toml").read_text(encoding="utf-8")
            sources.write_text(re.sub(r"http://127\.0\.0\.1:\d+/", server.base_url + "/", text), encoding="utf-8")
            as_of = DEMO_AS_OF
            pipeline.ingest(db, sources, as_of=as_of)
            pipeline.track(db, as_of=as_of, alerts=False)
            target = feeds / "latest" / "MjM5MzI5NTU3MQ.xml"  # 澎湃新闻, a media account
            ingest_s, track_s, alert_s, total_s = [], [], [], []
            for n in range(args.rounds):
                as_of += timedelta(minutes=15)
                title = add_item(target, n, as_of - timedelta(minutes=5))
                time.sleep(1.1)  # a new Last-Modified second, so the server's validators change
                before = len(hook.arrivals)
                t0 = time.perf_counter()
                report = pipeline.ingest(db, sources, as_of=as_of)
                t1 = time.perf_counter()
                # As the ingest flow's track step: track, raise the alerts (asked for: as_of is in 2021, which
                # would otherwise count as a backfill), then deliver them.
                summary = pipeline.track(db, as_of=as_of, routes_path=routes, alerts=True, deliver=False)
                t2 = time.perf_counter()
                pipeline.deliver_alerts(db, as_of=as_of, routes_path=routes)
                assert report.new == 1, report.summary()
                assert summary.alerts is not None and summary.alerts.raised >= 1, summary.summary()
                new = hook.arrivals[before:]
                assert any(
                    a["condition"] == "new_major" and a["title"] == title for _, body in new for a in body["alerts"]
                ), f"no new_major alert for {title}: {[b for _, b in new]}"
                arrived = min(t for t, _ in new)
                con = duckdb.connect(str(db), read_only=True)
                tracked = con.execute(
                    "SELECT count(*) FROM event_items JOIN items USING (item_id) WHERE title = ?", [title]
                ).fetchall()[0][0]
                con.close()
                assert tracked == 1, "the new item did not reach an event"
                ingest_s.append(t1 - t0)
                track_s.append(t2 - t1)
                alert_s.append(arrived - t2)
                total_s.append(arrived - t0)
    hook.server.shutdown()
    med = statistics.median
    cron, tz = ingest_schedule()
    wait_mean, wait_p95, wait_max = schedule_wait(cron, tz)
    poll = worker_poll_seconds()
    start = flow_process_start()
    print(f"{len(total_s)} rounds, 51 feeds (1 changed, 50 answer 304), database of ~{885 + len(total_s)} items")
    print(f"  ingest (fetch, parse, classify, store, snapshot):      median {med(ingest_s):.2f} s")
    print(f"  track (group, link, deadlines, raise alerts, snapshot): median {med(track_s):.2f} s")
    print(f"  alert delivery (claim, POST to the webhook):             median {med(alert_s):.2f} s")
    print(f"  processing, item in feed -> alert received:             median {med(total_s):.2f} s")
    print(f"ingest schedule {cron!r} ({tz}): wait for the next run mean {wait_mean:.1f} min, p95 {wait_p95:.1f}, max {wait_max:.1f}")
    print(
        f"run start: worker polls every {poll:g} s (mean wait {poll / 2:g} s), a fresh process importing the flow "
        f"median {start:.1f} s (the engine's own calls to the Prefect API are not in it)"
    )
    extra_min = (poll / 2 + start + med(total_s)) / 60
    worst_min = (poll + start + med(total_s)) / 60
    print(
        f"feed item -> urgent alert: average {wait_mean + extra_min:.1f} min (goal <= 10), "
        f"p95 {wait_p95 + extra_min:.1f} min, worst case {wait_max + worst_min:.1f} min"
    )


if __name__ == "__main__":
    main()
