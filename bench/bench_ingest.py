"""End-to-end ingest benchmark: yuqing's ``pipeline.ingest`` against the ``reader`` library.

    python bench/bench_ingest.py [--feeds 1000] [--items 50] [--runs 3] [--workers 16] [--quick] [--profile]

``--feeds`` × ``--items`` feeds are generated in a temporary directory, resampled from real snapshots
(see ``bench/_feeds.py``: WeChat RSS and 澎湃/界面 Atom titles, links and dates; THUCNews openings as
summaries), and served by ``yuqing.feedserver.FeedServer`` (ETag, Last-Modified, 304) on ``--hosts``
loopback addresses 127.0.0.1, 127.0.0.2, … so that, as with real feeds, the requests spread over
several hosts (yuqing caps concurrency per host). Both contenders fetch the same URLs.

Per run, each contender gets a fresh database and two phases, each in its own process (the
benchmark re-invokes itself with ``--worker``), so peak RSS is that phase's alone:

  cold     ours: ``pipeline.ingest`` into a new DuckDB file (plan, fetch, parse, normalise, classify,
           store, data checks, analyst snapshot). reader: ``make_reader`` on a new SQLite file,
           ``add_feed`` for every URL, ``update_feeds(workers=N)``.
  re-poll  the same again on the same database, nothing changed on the server: every feed answers
           304. ours at as_of + 15 min; reader with ``update_feeds(scheduled=False, workers=N)`` (its
           scheduler would otherwise skip feeds polled less than an hour ago).

Timed: the library calls only (not interpreter start-up or imports). Both run with the same
concurrency (``--workers``). Reported: medians over ``--runs`` runs of wall time and items/s, the
largest peak RSS over the runs, and the ratios (goals: ours/reader cold throughput ≥ 3×, ours
re-poll < 10 % of ours cold). ``--profile`` adds a cold and a re-poll run of ours with each pipeline
stage timed (plan / fetch wait / parse / normalise / classify / store / finish; fetching runs on its
own thread, overlapped with the rest, so only the time spent waiting for it is a stage) and a
cProfile'd cold run (top functions by own time). ``--quick`` = 100 × 20, one run.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import importlib.util
import json
import os
import platform
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("YUQING_ALLOW_LOOPBACK", "1")  # the benchmark's feeds are served on 127.0.0.1
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import _feeds  # noqa: E402

CONTENDERS = ("ours", "reader")
PHASES = ("cold", "repoll")
REPOLL_AFTER = timedelta(minutes=15)
GOAL_FEEDS, GOAL_ITEMS = 1000, 50  # the size the goals are set for (the defaults); --quick is smaller
GOAL_COLD_RATIO = 3.0
GOAL_REPOLL_SHARE = 0.10


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _cpu_s() -> float:
    """CPU seconds of this process and of its finished children (ours: the ingest worker processes)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def _children_maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


# ----------------------------------------------------------------------------------- workers


def _ours_settings(workers: int, hosts: int) -> Any:
    from sources.http import LOOPBACK_NETWORKS, FetchSettings

    per_host = max(FetchSettings(allowed_networks=LOOPBACK_NETWORKS).per_host_concurrency, -(-workers // hosts))
    return FetchSettings(allowed_networks=LOOPBACK_NETWORKS, max_concurrency=workers, per_host_concurrency=per_host)


def worker_ours(args: argparse.Namespace) -> dict[str, Any]:
    from yuqing.pipeline import ingest

    as_of = datetime.fromisoformat(args.as_of)
    if args.phase == "repoll":
        as_of += REPOLL_AFTER
    settings = _ours_settings(args.workers, args.hosts)
    t0 = time.perf_counter()
    report = ingest(
        Path(args.db), Path(args.sources), as_of=as_of, settings=settings, group_size=args.group_size
    )
    wall = time.perf_counter() - t0
    counts = report.counts()
    return {
        "wall": wall,
        "items": counts["items_new"],
        "statuses": {k.removeprefix("status_"): v for k, v in counts.items() if k.startswith("status_")},
        "run_status": report.status,
    }


def _sgmllib_shim() -> bool:
    """reader 3.26 vendors a feedparser that imports ``sgmllib`` (the sgmllib3k distribution), which it
    does not declare; the feedparser 6.0.14 installed beside it ships the same module as
    ``feedparser_sgmllib``. Alias it when ``sgmllib`` is missing; True when the alias was needed."""
    if importlib.util.find_spec("sgmllib") is not None:
        return False
    sys.modules["sgmllib"] = importlib.import_module("feedparser_sgmllib")
    return True


def worker_reader(args: argparse.Namespace) -> dict[str, Any]:
    from reader import make_reader

    urls = Path(args.urls).read_text(encoding="utf-8").split()
    t0 = time.perf_counter()
    r = make_reader(args.db)
    if args.phase == "cold":
        for url in urls:
            r.add_feed(url)
        r.update_feeds(workers=args.workers)
    else:
        r.update_feeds(workers=args.workers, scheduled=False)
    wall = time.perf_counter() - t0
    entries = r.get_entry_counts().total or 0
    broken = r.get_feed_counts(broken=True).total or 0
    r.close()
    return {
        "wall": wall,
        "items": entries if args.phase == "cold" else 0,
        "entries_total": entries,
        "statuses": {"broken": broken},
        "run_status": "ok" if broken == 0 else "partial",
        "sgmllib_shim": args.sgmllib_shim,
    }


def _timed(table: dict[str, float], label: str, fn: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            table[label] = table.get(label, 0.0) + time.perf_counter() - t0

    return wrapper


def worker_profile(args: argparse.Namespace) -> dict[str, Any]:
    """One ingest of ours with its stages timed (wrappers around the pipeline's steps), or cProfile'd.

    Without worker processes (YUQING_INGEST_WORKERS=0), so every stage runs, and is timed, here.

    The classifier is built before the timed ingest and reported as its own stage, since a cold run
    builds it on first use (classify) and a re-poll in finish_ingest (its topic list for the checks).
    """
    os.environ["YUQING_INGEST_WORKERS"] = "0"
    import sources.kinds as kinds
    import yuqing.ingest as pipeline
    import yuqing.processing as process
    from classifiers import Classifier

    as_of = datetime.fromisoformat(args.as_of) + (REPOLL_AFTER if args.phase == "repoll" else timedelta())
    settings = _ours_settings(args.workers, args.hosts)
    stages: dict[str, float] = {}
    t0 = time.perf_counter()
    Classifier.default()
    stages["classifier build (first use)"] = time.perf_counter() - t0
    if args.cprofile:
        profiler = cProfile.Profile()
        profiler.enable()
        pipeline.ingest(
            Path(args.db), Path(args.sources), as_of=as_of, settings=settings, group_size=args.group_size
        )
        profiler.disable()
        raw: dict[tuple[str, int, str], tuple[Any, ...]] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
        top = sorted(raw.items(), key=lambda kv: kv[1][2], reverse=True)[:20]
        return {
            "wall": time.perf_counter() - t0,
            "top_tottime": [
                {"func": f"{'/'.join(Path(k[0]).parts[-2:])}:{k[1]}({k[2]})", "tottime": v[2], "calls": v[1]}
                for k, v in top
            ],
        }
    labels = {
        "plan_ingest": "plan (sources file, states, run row)",
        "_collect": "fetch wait (feeds not yet arrived)",
        "parse": "parse (decode + feedparser)",
        "normalise": "normalise",
        "classify_items": "classify",
        "store_group": "store (one transaction per group)",
        "finish_ingest": "finish (checks, run record, snapshot)",
        "publish_snapshot": "  of which snapshot copy",
    }
    for attr, label in labels.items():
        module = kinds if attr == "parse" else process if attr in ("normalise", "classify_items") else pipeline
        setattr(module, attr, _timed(stages, label, getattr(module, attr)))
    checks = "  of which data checks"
    pipeline.wh_checks.run_checks = _timed(stages, checks, pipeline.wh_checks.run_checks)
    pipeline.ingest(
        Path(args.db), Path(args.sources), as_of=as_of, settings=settings, group_size=args.group_size
    )
    # _collect's time includes the parse/normalise/classify it runs as feeds arrive: what is left is
    # the time spent waiting for the network (fetching runs on its own thread, overlapped).
    work = sum(stages.get(labels[k], 0.0) for k in ("parse", "normalise", "classify_items"))
    if labels["_collect"] in stages:
        stages[labels["_collect"]] = max(0.0, stages[labels["_collect"]] - work)
    order = ["classifier build (first use)", *list(labels.values())[:-1], checks, labels["publish_snapshot"]]
    stages = {label: stages[label] for label in order if label in stages}
    return {"wall": time.perf_counter() - t0, "stages": stages}


def run_worker(args: argparse.Namespace) -> None:
    fn = {"ours": worker_ours, "reader": worker_reader, "profile": worker_profile}[args.worker]
    if args.worker == "reader":
        args.sgmllib_shim = _sgmllib_shim()
        importlib.import_module("reader")
    else:
        importlib.import_module("yuqing.pipeline")
    cpu0 = _cpu_s()  # CPU seconds of the timed part (all threads), imports excluded
    out = fn(args)
    out.update(
        contender=args.worker,
        phase=args.phase,
        maxrss_mb=_maxrss_mb(),
        workers_maxrss_mb=_children_maxrss_mb(),
        cpu=_cpu_s() - cpu0,
    )
    print(json.dumps(out, ensure_ascii=False), flush=True)


def spawn(contender: str, phase: str, common: list[str], db: Path) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", contender, "--phase", phase,
           "--db", str(db), *common]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}  # loopback, never via a proxy
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"worker {contender}/{phase} failed with exit code {proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------------- report


def machine() -> str:
    vers = ", ".join(f"{p} {version(p)}" for p in ("duckdb", "reader", "feedparser", "httpx", "requests"))
    return (
        f"machine: {platform.machine()}, nproc {os.cpu_count()}, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; {vers}"
    )


def _judged(met: bool, full_size: bool) -> str:
    if not full_size:
        return f"not judged: the goals are for {GOAL_FEEDS} feeds x {GOAL_ITEMS} items"
    return "met" if met else "NOT met"


def table(
    results: dict[tuple[str, str], list[dict[str, Any]]], total_items: int, *, full_size: bool = True
) -> list[str]:
    lines = [
        f"{'contender':<10} {'phase':<7} {'wall s (median)':>16} {'CPU s':>7} {'items/s':>9} {'peak RSS MB':>12}  statuses"
    ]
    lines.append("-" * len(lines[0]) + "-" * 12)
    med: dict[tuple[str, str], float] = {}
    for contender in CONTENDERS:
        for phase in PHASES:
            rows = results[(contender, phase)]
            wall = statistics.median(r["wall"] for r in rows)
            med[(contender, phase)] = wall
            rate = f"{total_items / wall:9.0f}" if phase == "cold" else f"{'-':>9}"
            rss = max(r["maxrss_mb"] for r in rows)
            cpu = statistics.median(r["cpu"] for r in rows)
            statuses = " ".join(f"{k}={v}" for k, v in rows[-1]["statuses"].items())
            lines.append(f"{contender:<10} {phase:<7} {wall:16.2f} {cpu:7.2f} {rate} {rss:12.0f}  {statuses}")
    ratio = med[("reader", "cold")] / med[("ours", "cold")]
    ours_share = med[("ours", "repoll")] / med[("ours", "cold")]
    reader_share = med[("reader", "repoll")] / med[("reader", "cold")]
    lines += [
        "",
        f"cold throughput ours/reader: {ratio:.2f}x  "
        f"(goal >= {GOAL_COLD_RATIO:.0f}x: {_judged(ratio >= GOAL_COLD_RATIO, full_size)})",
        f"re-poll / cold wall, ours:   {ours_share:.1%}  "
        f"(goal < {GOAL_REPOLL_SHARE:.0%}: {_judged(ours_share < GOAL_REPOLL_SHARE, full_size)})",
        f"re-poll / cold wall, reader: {reader_share:.1%}",
    ]
    return lines


def print_stages(phase: str, prof: dict[str, Any]) -> None:
    wall = prof["wall"]
    print(f"\nwhere the time goes, ours {phase} (stage timers, no profiler): {wall:.2f} s")
    for label, seconds in prof["stages"].items():
        print(f"  {label:<40} {seconds:8.2f} s  {seconds / wall:6.1%}")


def print_top(prof: dict[str, Any]) -> None:
    print(
        f"\ntop functions by own time, ours cold under cProfile ({prof['wall']:.2f} s with the profiler on):"
    )
    for row in prof["top_tottime"]:
        print(f"  {row['tottime']:7.2f} s  {row['calls']:>9}  {row['func']}")


# ----------------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--items", type=int, default=50, help="items per feed")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=16, help="fetch concurrency, the same for both contenders")
    ap.add_argument("--hosts", type=int, default=8, help="loopback addresses the feeds are spread over")
    ap.add_argument("--group-size", type=int, default=None, help="ours: sources per fetch/store group")
    ap.add_argument("--no-summaries", action="store_true", help="titles only, no THUCNews summaries")
    ap.add_argument("--seed", type=int, default=20240501)
    ap.add_argument("--quick", action="store_true", help="100 feeds x 20 items, one run (smoke test)")
    ap.add_argument("--profile", action="store_true", help="also cProfile one cold run of ours")
    ap.add_argument("--worker", choices=(*CONTENDERS, "profile"), help=argparse.SUPPRESS)
    ap.add_argument("--phase", choices=PHASES, default="cold", help=argparse.SUPPRESS)
    ap.add_argument("--cprofile", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--sources", help=argparse.SUPPRESS)
    ap.add_argument("--urls", help=argparse.SUPPRESS)
    ap.add_argument("--as-of", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        run_worker(args)
        return
    if args.quick:
        args.feeds, args.items, args.runs = 100, 20, 1

    from yuqing.feedserver import FeedServer

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="yuqing-bench-ingest-")))
        t0 = time.perf_counter()
        feeds = _feeds.generate(tmp / "feeds", args.feeds, args.items, seed=args.seed,
                                summaries=not args.no_summaries)  # fmt: skip
        gen_s = time.perf_counter() - t0
        total_items = sum(f.items for f in feeds)
        size_mb = sum((tmp / "feeds" / f.path).stat().st_size for f in feeds) / 1e6
        servers = [
            stack.enter_context(FeedServer(tmp / "feeds", host=f"127.0.0.{h + 1}")) for h in range(args.hosts)
        ]
        urls = [servers[i % len(servers)].url(f.path) for i, f in enumerate(feeds)]
        sources, url_file = tmp / "sources.toml", tmp / "urls.txt"
        _feeds.write_sources(sources, feeds, urls)
        url_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
        as_of = datetime.now(UTC).replace(microsecond=0)
        common = ["--sources", str(sources), "--urls", str(url_file), "--as-of", as_of.isoformat(),
                  "--workers", str(args.workers), "--hosts", str(args.hosts)]  # fmt: skip
        if args.group_size:
            common += ["--group-size", str(args.group_size)]

        print(f"ingest benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
        print(machine())
        print(
            f"feeds: {len(feeds)} x {args.items} items = {total_items} items, {size_mb:.1f} MB of XML "
            f"(generated in {gen_s:.1f} s; {sum(f.path.endswith('.atom') for f in feeds)} Atom, rest RSS 2.0; "
            f"summaries {'off' if args.no_summaries else 'on'}), served on {args.hosts} loopback hosts"
        )
        print(f"concurrency {args.workers} for both; ours group size {args.group_size or 'default'}; "
              f"{args.runs} run(s), fresh database per run\n", flush=True)  # fmt: skip

        results: dict[tuple[str, str], list[dict[str, Any]]] = {
            (c, p): [] for c in CONTENDERS for p in PHASES
        }
        for run in range(args.runs):
            order = CONTENDERS if run % 2 == 0 else CONTENDERS[::-1]
            for contender in order:
                work = tmp / f"run{run}-{contender}"
                work.mkdir()
                db = work / ("warehouse.duckdb" if contender == "ours" else "reader.sqlite")
                for phase in PHASES:
                    res = spawn(contender, phase, common, db)
                    results[(contender, phase)].append(res)
                    workers = (
                        f" (+ workers {res['workers_maxrss_mb']:.0f} MB)" if res["workers_maxrss_mb"] else ""
                    )
                    print(f"  run {run + 1} {contender:<6} {phase:<6} {res['wall']:7.2f} s  cpu {res['cpu']:6.2f} s  "
                          f"items {res['items']:>7}  rss {res['maxrss_mb']:5.0f} MB{workers}  {res['statuses']}",
                          flush=True)  # fmt: skip
                    if phase == "cold" and res["items"] != total_items:
                        print(f"  ! {contender} stored {res['items']} items, expected {total_items}")
                shutil.rmtree(work)
        print()
        full_size = args.feeds >= GOAL_FEEDS and args.items >= GOAL_ITEMS
        print("\n".join(table(results, total_items, full_size=full_size)))

        if args.profile:
            work = tmp / "profile"
            work.mkdir()
            for phase in PHASES:
                print_stages(phase, spawn("profile", phase, common, work / "warehouse.duckdb"))
            print_top(spawn("profile", "cold", [*common, "--cprofile"], work / "cprofile.duckdb"))


if __name__ == "__main__":
    main()
