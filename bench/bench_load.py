"""Benchmark of the idempotent item load paths into DuckDB.

    python bench/bench_load.py --rows 1000000

Items are synthetic-from-real: titles resampled from CLUE TNEWS headlines, ~300-character bodies cut
from THUCNews articles (../shared/data). Each path runs in its own process on a fresh database file,
loading the rows in batches the size of an ingest run, then loading them all again (the idempotent
re-run, which must insert nothing). Printed: median rows/s over the repeats and the process's peak
memory (RSS). ``executemany`` is measured on a small sample only: it is orders of magnitude slower.

Paths:
  arrow_antijoin   INSERT … SELECT FROM <Arrow table> ANTI JOIN items (what warehouse.store uses)
  on_conflict      INSERT … SELECT FROM <Arrow table> ON CONFLICT DO NOTHING
  store_commit     warehouse.store.commit_source_batch end to end: Item objects -> Arrow -> one transaction
                   with topics, source state and fetch_log
  executemany      executemany(INSERT … ON CONFLICT DO NOTHING) of Python tuples
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
import pyarrow as pa  # noqa: E402

from warehouse.db import Warehouse  # noqa: E402
from warehouse.store import commit_source_batch, sync_sources  # noqa: E402
from yuqing.models import (  # noqa: E402
    Item,
    SourceConfig,
    SourceResult,
    SourceState,
    Tags,
    TopicTag,
)

PATHS = ("arrow_antijoin", "on_conflict", "store_commit", "executemany")
BODY_CHARS = 280
SOURCES = 20
T0 = datetime(2024, 5, 1, tzinfo=UTC)

_BENCH_TABLE = """
CREATE TABLE items (
    item_id VARCHAR PRIMARY KEY, source VARCHAR NOT NULL, guid VARCHAR, url VARCHAR,
    title VARCHAR NOT NULL, summary VARCHAR NOT NULL, published_at TIMESTAMPTZ,
    fetched_at TIMESTAMPTZ NOT NULL, item_time TIMESTAMPTZ NOT NULL, content_hash VARCHAR NOT NULL
)
"""
_COLUMNS = "item_id, source, guid, url, title, summary, published_at, fetched_at, item_time, content_hash"


def shared_dir() -> Path:
    configured = os.environ.get("YUQING_SHARED")
    return Path(configured) if configured else ROOT.parent / "shared"


class Corpus:
    """Real Chinese headlines and article text to resample from."""

    def __init__(self, shared: Path) -> None:
        self.titles: list[str] = []
        tnews = shared / "data" / "clue_tnews_dev" / "dev.json"
        with tnews.open(encoding="utf-8") as f:
            for line in f:
                self.titles.append(json.loads(line)["sentence"])
        self.texts: list[str] = []
        with (shared / "data" / "thucnews_cnews_sample" / "cnews.val.txt").open(encoding="utf-8") as f:
            for line in f:
                _, _, text = line.partition("\t")
                if len(text) > BODY_CHARS + 10:
                    self.texts.append(text.strip())

    def rows(self, start: int, count: int, seed: int = 7) -> Iterator[tuple[object, ...]]:
        """Rows start..start+count-1; the same index always gives the same row (re-runs are duplicates)."""
        for n in range(start, start + count):
            rnd = random.Random(seed * 1_000_003 + n)
            title = rnd.choice(self.titles)
            text = rnd.choice(self.texts)
            offset = rnd.randrange(0, len(text) - BODY_CHARS)
            summary = text[offset : offset + BODY_CHARS]
            source = f"source-{n % SOURCES:02d}"
            fetched = T0 + timedelta(seconds=n)
            published = fetched - timedelta(minutes=rnd.randrange(1, 600))
            digest = hashlib.sha256(f"{title}\x1f{summary}".encode()).hexdigest()[:32]
            yield (
                f"{source}:{n:09d}",
                source,
                f"guid-{n}",
                f"https://news.example.cn/{n}.html",
                title,
                summary,
                published,
                fetched,
                published,
                digest,
            )


_SCHEMA = pa.schema(
    [
        ("item_id", pa.string()), ("source", pa.string()), ("guid", pa.string()), ("url", pa.string()),
        ("title", pa.string()), ("summary", pa.string()), ("published_at", pa.timestamp("us", tz="UTC")),
        ("fetched_at", pa.timestamp("us", tz="UTC")), ("item_time", pa.timestamp("us", tz="UTC")),
        ("content_hash", pa.string()),
    ]
)  # fmt: skip


def to_arrow(rows: list[tuple[object, ...]]) -> pa.Table:
    columns = list(zip(*rows, strict=True))
    return pa.table(
        {name: list(col) for name, col in zip(_SCHEMA.names, columns, strict=True)}, schema=_SCHEMA
    )


def _tags() -> Tags:
    return Tags(
        topics=(TopicTag("wage_arrears", 1.0, ("欠薪",), "title"),),
        region_code=None, region_name=None, region_evidence=None, severity="general", severity_evidence=(),
        official_response=False, response_kinds=(), reported_response=False, response_evidence=(),
        classifier_version="bench",
    )  # fmt: skip


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def run_worker(path: str, rows: int, batch: int, db: Path, corpus: Corpus) -> dict[str, float]:
    """Load ``rows`` rows in batches, then again; return the timed seconds of both passes."""
    timings = {"load": 0.0, "reload": 0.0}
    if path == "store_commit":
        tags = _tags()
        with Warehouse.open(db) as wh:
            sync_sources(
                wh, [SourceConfig(f"source-{i:02d}", f"https://s{i}.example.cn/rss") for i in range(SOURCES)]
            )
            for phase in ("load", "reload"):
                for start in range(0, rows, batch):
                    chunk = [Item(*r) for r in corpus.rows(start, min(batch, rows - start))]  # type: ignore[arg-type]
                    by_source: dict[str, list[Item]] = {}
                    for item in chunk:
                        by_source.setdefault(item.source, []).append(item)
                    results = [
                        SourceResult(
                            s, SourceState(s, etag=f'"{start}"'), "new", items=its, tags=[tags] * len(its)
                        )
                        for s, its in by_source.items()
                    ]
                    began = time.perf_counter()
                    commit_source_batch(wh, f"{phase}-{start}", T0, results)
                    timings[phase] += time.perf_counter() - began
        return timings
    con = duckdb.connect(str(db))
    con.execute("SET TimeZone = 'UTC'")
    con.execute(_BENCH_TABLE)
    if path == "executemany":
        sql = f"INSERT INTO items ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
        for phase in ("load", "reload"):
            data = list(corpus.rows(0, rows))
            began = time.perf_counter()
            con.executemany(sql, data)
            timings[phase] = time.perf_counter() - began
        con.close()
        return timings
    insert = {
        "arrow_antijoin": "INSERT INTO items SELECT s.* FROM _batch AS s ANTI JOIN items AS i USING (item_id)",
        "on_conflict": "INSERT INTO items SELECT * FROM _batch ON CONFLICT DO NOTHING",
    }[path]
    for phase in ("load", "reload"):
        for start in range(0, rows, batch):
            table = to_arrow(list(corpus.rows(start, min(batch, rows - start))))
            began = time.perf_counter()
            con.register("_batch", table)
            con.execute("BEGIN")
            con.execute(insert)
            con.execute("COMMIT")
            con.unregister("_batch")
            timings[phase] += time.perf_counter() - began
    count = con.execute("SELECT count(*) FROM items").fetchall()[0][0]
    con.close()
    if count != rows:
        raise SystemExit(f"{path}: {count} rows stored, expected {rows}")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=50_000, help="rows per transaction (one ingest run)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--small", type=int, default=2_000, help="rows for executemany")
    parser.add_argument("--paths", default=",".join(PATHS))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    corpus_dir = shared_dir()

    if args.worker:
        corpus = Corpus(corpus_dir)
        timings = run_worker(args.worker, args.rows, args.batch, Path(args.db), corpus)
        print(json.dumps({**timings, "peak_mb": _peak_rss_mb()}))
        return

    print(f"duckdb {duckdb.__version__}, pyarrow {pa.__version__}, {os.cpu_count()} cpus; "
          f"{args.rows:,} rows in batches of {args.batch:,}, {args.repeat} repeats")  # fmt: skip
    print(f"{'path':16} {'rows':>10} {'load rows/s':>12} {'re-run rows/s':>14} {'peak MB':>8}")
    for path in args.paths.split(","):
        rows = args.small if path == "executemany" else args.rows
        repeats = 1 if path == "executemany" else args.repeat
        loads, reloads, peaks = [], [], []
        for _ in range(repeats):
            with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
                out = subprocess.run(
                    [sys.executable, __file__, "--worker", path, "--rows", str(rows), "--batch", str(args.batch),
                     "--db", str(Path(tmp) / "bench.duckdb")],
                    capture_output=True, text=True,
                )  # fmt: skip
            if out.returncode != 0:
                raise SystemExit(f"{path} failed:\n{out.stderr}")
            result = json.loads(out.stdout.strip().splitlines()[-1])
            loads.append(rows / result["load"])
            reloads.append(rows / result["reload"])
            peaks.append(result["peak_mb"])
        print(f"{path:16} {rows:>10,} {statistics.median(loads):>12,.0f} {statistics.median(reloads):>14,.0f} "
              f"{max(peaks):>8,.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
