"""Warehouse at scale: a year of items and events in one DuckDB file, loaded and queried.

    python bench/bench_warehouse.py [--items 10000000] [--events 1000000] [--quick]

``--quick`` is 200 000 items and 20 000 events. ``--db PATH`` keeps the database file there;
``--skip-load`` then queries an existing file without loading it again.

Data (synthetic-from-real, generated in vectorised chunks, no per-item Python objects):

- **Items** over one year (2025, UTC), times sorted like an ingest appends them, fetched 30 s to a few
  hours after publication (5 % without a published time). Titles are resampled from CLUE TNEWS
  headlines and 泰迪杯 smart-government message subjects; summaries are random 60–280 character windows
  of THUCNews articles, 泰迪杯 messages and the food-safety incident news (official responses: of the
  泰迪杯 official replies). ``item_id`` and ``content_hash`` are 32 hex characters like the product's;
  1000 sources (skewed volume, 1 in 4 official); regions from the gazetteer (35 % none); 40 % of items
  carry one or two of the eight topics.
- **Events**: an opening item plus items within the next 48 h (about 2.25 items, each item in at
  most one event), topics and region of the opening item, 4 % major emergencies; 60 % get an official
  response 1 min to a few days later (15 % a second, reported one); milestones per the national rules
  (general: first_response 48 h; major: first_information 5 h and press_conference 24 h) with their
  status as of the last track run at the end of the year.

Load, through the product's SQL: items in batches of ``--batch`` rows through ``warehouse.store``'s
batch commit (the staged Arrow tables ``_yq_items`` (items with their tags) / ``_yq_topics`` and its
``_write_batch``: change table, insert of the items it found new, update, topic replacement, one
source-state update and fetch_log row per source, one transaction); only the Python-object staging of
``commit_source_batch`` is replaced by Arrow built directly. Events, event_items, responses and
milestones are inserted from Arrow tables with 002_events.sql's columns. After the load, the data
checks ingest runs (``warehouse.checks.run_checks``: unique keys, not-null columns, references) are
timed on the loaded file; items and item_topics have no PRIMARY KEY, so these checks are what
verifies their keys.

Queries, at ``as_of`` = the middle of the year (08:00 Asia/Shanghai), each timed ``--repeat`` times
(the first right after opening the file; the median is printed): ``overdue_rows`` (the SQL of
``yuqing overdue``, with its default 30-day lookback), ``yuqing.track.run.overdue``, ``yuqing quality`` (30 days), the digest's
``collect`` for the catch-all route
and for a topic + region route, each beside ``collect_full`` (tests/digest/reference.py, the reference read of every event; the
two digests are compared), ``collect``'s queries alone and those of the full read, ``v_overdue`` and
queries from docs/analyst.md. A query taking 0.5 s or more gets its hottest operators printed from DuckDB's profile.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import re
import resource
import statistics
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402

from tests.digest import reference  # noqa: E402
from tests.digest.reference import events_as_of, milestones_of  # noqa: E402
from warehouse import staging, store  # noqa: E402
from warehouse.checks import run_checks  # noqa: E402
from warehouse.db import Warehouse, registered  # noqa: E402
from warehouse.digests import topic_daily  # noqa: E402
from warehouse.events import overdue_rows  # noqa: E402
from warehouse.undo import wal_path_for  # noqa: E402
from yuqing.digest.collect import TREND_DAYS, collect, digest_date  # noqa: E402
from yuqing.digest.routes import Route  # noqa: E402
from yuqing.models import SourceConfig, SourceResult, SourceState  # noqa: E402
from yuqing.track.quality import judgment_quality  # noqa: E402
from yuqing.track.run import DEFAULT_OVERDUE_LOOKBACK_DAYS, overdue  # noqa: E402

T0 = datetime(2025, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=365)
T_END = T0 + SPAN  # the last track run
AS_OF = datetime(2025, 7, 2, 0, 0, tzinfo=UTC)  # 08:00 Asia/Shanghai, mid-year
HOUR_US = 3_600_000_000
T0_US = int(T0.timestamp() * 1_000_000)
SPAN_US = int(SPAN.total_seconds() * 1_000_000)
SOURCES = 1000
SMALL_RUN = 1000  # new items of one ingest run, for the checks a run makes on a full warehouse
CLASSIFIER_VERSION = "bench-2025.1"
RULE_VERSION = "2016-61-80.v1"
TOPICS = ["epidemic", "housing_finance", "wage_arrears", "environment", "food_drug_safety",
          "education_health_eldercare", "work_safety", "hardship_livelihood"]  # fmt: skip
GOAL_LOAD_ROWS_S = 200_000
GOAL_ITEMS = (
    10_000_000  # the size the goals are set for (the default); --quick and smaller runs are not judged
)
GOAL_QUERY_S = 1.0

_TS = pa.timestamp("us", tz="UTC")
_STR_LIST = pa.list_(pa.string())
_HEX = np.array([f"{b:02x}".encode() for b in range(256)], dtype="S2")


def shared_dir() -> Path:
    configured = os.environ.get("YUQING_SHARED")
    return Path(configured) if configured else ROOT.parent / "shared"


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident set size of this process in MB."""
    current = 0.0
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                current = int(line.split()[1]) / 1024
    return current, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------------------------------------
# Corpora


class Corpus:
    """Real titles, article windows, official replies, gazetteer divisions and topic terms."""

    def __init__(self, shared: Path, snippets: int, seed: int) -> None:
        data = shared / "data"
        rnd = random.Random(seed)
        titles: list[str] = []
        texts: list[str] = []
        replies: list[str] = []
        with (data / "clue_tnews_dev" / "dev.json").open(encoding="utf-8") as f:
            titles += [json.loads(line)["sentence"] for line in f]
        with (data / "thucnews_cnews_sample" / "cnews.val.txt").open(encoding="utf-8") as f:
            texts += [line.partition("\t")[2].strip() for line in f]
        csv.field_size_limit(10_000_000)
        for path in sorted((data / "teddycup2020_smart_gov" / "csv").glob("fj[234]_*.csv")):
            with path.open(encoding="utf-8-sig", newline="") as f:
                for row in csv.DictReader(f):
                    titles.append(_clean(row.get("留言主题") or ""))
                    texts.append(_clean(row.get("留言详情") or ""))
                    replies.append(_clean(row.get("答复意见") or ""))
        for path in sorted((data / "food_safety_incidents_cn").glob("*.csv")):
            with path.open(encoding="utf-8-sig", newline="") as f:
                texts += [_clean(row.get("text") or "") for row in csv.DictReader(f)]
        self.titles = pa.array(sorted({t for t in titles if len(t) >= 6}), pa.string())
        texts = [t for t in texts if len(t) >= 120]
        replies = [t for t in replies if len(t) >= 60]
        self.sources_used = len(texts), len(replies)
        self.summaries = pa.array([_window(rnd, rnd.choice(texts)) for _ in range(snippets)], pa.string())
        self.replies = pa.array(
            [_window(rnd, rnd.choice(replies)) for _ in range(snippets // 10)], pa.string()
        )
        codes, names, shorts = [], [], []
        with (ROOT / "classifiers" / "data" / "gazetteer.tsv").open(encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                codes.append(row["code"])
                names.append(row["name"])
                shorts.append(row["short"] or row["name"])
        self.region_codes = pa.array(codes, pa.string())
        self.region_names = pa.array(names, pa.string())
        self.region_evidence = pa.array(shorts, pa.string())
        terms: list[list[str]] = []
        for slug in TOPICS:
            with (ROOT / "classifiers" / "data" / "topics" / f"{slug}.toml").open("rb") as f:
                words = list(tomllib.load(f)["terms"])
            terms += [[words[i % len(words)]] for i in range(8)]
        self.term_lists = pa.array(terms, _STR_LIST)  # 8 per topic, by topic index * 8


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _window(rnd: random.Random, text: str) -> str:
    length = rnd.randint(60, 280)
    start = rnd.randrange(max(1, len(text) - length))
    return text[start : start + length]


# ---------------------------------------------------------------------------------------------
# Vectorised identifiers


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64: a bijection on uint64, so distinct inputs give distinct outputs."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def hex_ids(idx: np.ndarray, salt: int, words: int) -> pa.Array:
    """16·words hex characters per index; the first word alone is unique per index."""
    base = (idx.astype(np.uint64) << np.uint64(2)) ^ np.uint64(salt)
    cols = np.stack([_mix(base | np.uint64(k)) for k in range(words)], axis=1)
    text = np.ascontiguousarray(_HEX[cols.view(np.uint8)])
    width = 16 * words
    offsets = np.arange(0, width * (len(idx) + 1), width, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), len(idx), [None, pa.py_buffer(offsets), pa.py_buffer(text)])


def item_ids(idx: np.ndarray) -> pa.Array:
    return hex_ids(idx, 0x5EED_0001, 2)


def event_ids(opening: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise("ev-", hex_ids(opening, 0x5EED_0003, 1), "")


def _ts(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(values.astype(np.int64), type=pa.int64(), mask=mask).cast(_TS)


def _take(values: pa.Array, idx: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return values.take(pa.array(idx.astype(np.int64), mask=mask))


def _const(value: str, n: int) -> pa.Array:
    return pa.array([value], pa.string()).take(pa.array(np.zeros(n, dtype=np.int64)))


def _dt(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1_000_000, tz=UTC)


# ---------------------------------------------------------------------------------------------
# The generated world: per-item attribute arrays, events, responses, milestones

# Response kinds of an item: 0 none, 1 first_response, 2 + first_information, 3 + press_conference.
_KINDS = pa.array(
    [[], ["first_response"], ["first_information", "first_response"],
     ["press_conference", "first_information", "first_response"]], _STR_LIST,
)  # fmt: skip
_RESP_EVIDENCE = pa.array([[], ["回应"], ["通报", "情况说明"], ["新闻发布会", "通报"]], _STR_LIST)
_SEV_EVIDENCE = pa.array([[], ["重大", "死亡"]], _STR_LIST)
_SEVERITIES = pa.array(["general", "major_emergency"], pa.string())


class World:
    def __init__(self, n_items: int, n_events: int, corpus: Corpus, seed: int) -> None:
        rng = np.random.default_rng(seed)
        n = self.n = n_items
        self.corpus = corpus
        self.t = T0_US + np.sort(rng.integers(0, SPAN_US, n))
        delay = (30_000_000 + rng.exponential(20 * 60e6, n)).astype(np.int64)
        self.no_published = rng.random(n) < 0.05
        delay[self.no_published] = 0  # item_time falls back to the first fetch
        self.fetched = self.t + delay
        weights = 1.0 / (np.arange(SOURCES) + 10.0)
        self.src = rng.choice(SOURCES, n, p=weights / weights.sum()).astype(np.int16)
        n_regions = len(corpus.region_codes)
        self.region = np.where(rng.random(n) < 0.35, -1, rng.integers(0, n_regions, n)).astype(np.int16)
        self.n_topics = rng.choice(3, n, p=[0.6, 0.32, 0.08]).astype(np.int8)
        self.top1 = rng.integers(0, len(TOPICS), n).astype(np.int8)
        self.top2 = ((self.top1 + 1 + rng.integers(0, len(TOPICS) - 1, n)) % len(TOPICS)).astype(np.int8)
        self.severe = (rng.random(n) < 0.03).astype(np.int8)
        self.kind = np.where(rng.random(n) < 0.02, 1, 0).astype(np.int8)
        self.reported = np.zeros(n, dtype=bool)
        self.title = rng.integers(0, len(corpus.titles), n).astype(np.int32)
        self.summary = rng.integers(0, len(corpus.summaries), n).astype(np.int32)
        self.seed = seed
        self._events(rng, n_events)

    def _events(self, rng: np.random.Generator, e: int) -> None:
        n = self.n
        per_hour = n / (SPAN_US / HOUR_US)
        opening = np.sort(rng.choice(n, e, replace=False))
        ev = np.arange(e)
        # members: the opening item and items within the next 48 h (each item in at most one event)
        extra = rng.geometric(0.4, e) - 1
        extra_ev = np.repeat(ev, extra)
        extra_item = opening[extra_ev] + 1 + (rng.random(len(extra_ev)) ** 2 * per_hour * 48).astype(np.int64)
        keep = extra_item < n
        cand_item = np.concatenate([opening, extra_item[keep]])
        cand_ev = np.concatenate([ev, extra_ev[keep]])
        items, first = np.unique(cand_item, return_index=True)  # openings come first: they win
        members_ev = cand_ev[first]
        order = np.lexsort((items, members_ev))
        self.member_item, self.member_ev = items[order], members_ev[order]
        counts = np.bincount(self.member_ev, minlength=e)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        # events take the opening item's topics, region and (4 % major) severity; members follow
        self.n_topics[opening] = np.maximum(self.n_topics[opening], 1)
        self.severe[opening] = (rng.random(e) < 0.04).astype(np.int8)
        opener_of = opening[self.member_ev]
        for column in (self.n_topics, self.top1, self.top2, self.region):
            column[self.member_item] = column[opener_of]
        self.opening = opening
        self.item_count = counts
        pairs = np.unique(self.member_ev.astype(np.int64) * SOURCES + self.src[self.member_item])
        self.source_count = np.bincount(pairs // SOURCES, minlength=e)
        self.started = self.t[opening]
        self.first_detected = np.minimum.reduceat(self.fetched[self.member_item], starts)
        self.last_item = np.maximum.reduceat(self.t[self.member_item], starts)
        major = self.severe[opening] == 1
        self.major = major

        # responses: 60 % of events, 1 min to a few days after the start; 15 % a second, reported one
        r_ev = np.nonzero(rng.random(e) < 0.6)[0]
        second = r_ev[rng.random(len(r_ev)) < 0.15]
        r_ev = np.concatenate([r_ev, second])
        hours = rng.exponential(30.0, len(r_ev)) + 1 / 60
        r_item = opening[r_ev] + np.maximum(1, (hours * per_hour).astype(np.int64))
        keep = r_item < n
        r_ev, r_item = r_ev[keep], r_item[keep]
        _, first = np.unique(r_ev.astype(np.int64) * n + r_item, return_index=True)
        r_ev, r_item = r_ev[first], r_item[first]
        kinds = np.where(major[r_ev], np.where(rng.random(len(r_ev)) < 0.4, 3, 2), 1).astype(np.int8)
        reported = rng.random(len(r_ev)) < 0.2
        self.kind[r_item] = kinds
        self.reported[r_item] = reported
        self.r_ev, self.r_item, self.r_kind, self.r_reported = r_ev, r_item, kinds, reported
        self.r_time = self.t[r_item]

        # milestones, status as of the last track run (T_END)
        by_time = np.lexsort((self.r_time, r_ev))

        def earliest(min_kind: int) -> tuple[np.ndarray, np.ndarray]:
            sel = by_time[self.r_kind[by_time] >= min_kind]
            evs, first = np.unique(r_ev[sel], return_index=True)
            met = np.full(e, -1, dtype=np.int64)
            met[evs] = r_item[sel][first]
            return met, np.where(met >= 0, self.t[np.maximum(met, 0)], 0)

        any_item, any_time = earliest(1)
        fi_item, fi_time = earliest(2)
        pc_item, pc_time = earliest(3)
        general = np.nonzero(~major)[0]
        heavy = np.nonzero(major)[0]
        self.ms_ev = np.concatenate([general, heavy, heavy])
        self.ms_rule = np.concatenate(
            [np.zeros(len(general), np.int8), np.ones(len(heavy), np.int8), np.full(len(heavy), 2, np.int8)]
        )
        self.ms_met_item = np.concatenate([any_item[general], fi_item[heavy], pc_item[heavy]])
        self.ms_met_time = np.concatenate([any_time[general], fi_time[heavy], pc_time[heavy]])
        self.overrides = rng.choice(e, max(1, e // 2000), replace=False)

    # -- item batches ------------------------------------------------------------------------

    def item_batch(
        self, lo: int, hi: int, source_names: pa.Array, source_prefix: pa.Array
    ) -> dict[str, pa.Table]:
        """The staged tables of items lo..hi-1, shaped like warehouse.store's staging."""
        rng = np.random.default_rng([self.seed, lo])
        idx = np.arange(lo, hi)
        n = hi - lo
        c = self.corpus
        ids = item_ids(idx)
        src = self.src[lo:hi]
        url = pc.binary_join_element_wise(_take(source_prefix, src), ids, ".html", "")
        guid = pc.if_else(pa.array(rng.random(n) < 0.7), url, pa.nulls(n, pa.string()))
        kind = self.kind[lo:hi]
        summaries = _take(c.summaries, self.summary[lo:hi])
        if (kind > 0).any():
            replies = _take(c.replies, self.summary[lo:hi] % len(c.replies))
            summaries = pc.if_else(pa.array(kind > 0), replies, summaries)
        items = pa.table(
            {
                "item_id": ids,
                "source": _take(source_names, src),
                "guid": guid,
                "url": url,
                "title": _take(c.titles, self.title[lo:hi]),
                "summary": summaries,
                "published_at": _ts(self.t[lo:hi], self.no_published[lo:hi]),
                "fetched_at": _ts(self.fetched[lo:hi]),
                "item_time": _ts(self.t[lo:hi]),
                "content_hash": hex_ids(idx, 0x5EED_0002, 2),
                "author": pa.repeat("", hi - lo),
                "batch_source": _take(source_names, src),
            },
            schema=staging.ITEM_SCHEMA,
        )
        region = self.region[lo:hi]
        no_region = region < 0
        reported = self.reported[lo:hi]
        tags = pa.table(
            {
                "region_code": _take(c.region_codes, region, no_region),
                "region_name": _take(c.region_names, region, no_region),
                "severity": _take(_SEVERITIES, self.severe[lo:hi]),
                "official_response": pa.array((kind > 0) & ~reported),
                "reported_response": pa.array((kind > 0) & reported),
                "response_kinds": _take(_KINDS, kind),
                "issue": pa.array(kind == 0),  # what is not a response raises the issue
                "region_evidence": _take(c.region_evidence, region, no_region),
                "severity_evidence": _take(_SEV_EVIDENCE, self.severe[lo:hi]),
                "response_evidence": _take(_RESP_EVIDENCE, kind),
                "issue_evidence": pa.array([[] for _ in range(n)], pa.list_(pa.string())),
                "extra": pa.nulls(n, pa.string()),
                "classifier_version": _const(CLASSIFIER_VERSION, n),
            },
        )
        staged = pa.Table.from_arrays(items.columns + tags.columns, schema=staging.STAGED_SCHEMA)
        n_topics = self.n_topics[lo:hi]
        rows = np.concatenate([np.nonzero(n_topics >= 1)[0], np.nonzero(n_topics == 2)[0]])
        topic = np.concatenate([self.top1[lo:hi][n_topics >= 1], self.top2[lo:hi][n_topics == 2]])
        order = np.argsort(rows, kind="stable")
        rows, topic = rows[order], topic[order].astype(np.int64)
        m = len(rows)
        topics = pa.table(
            {
                "item_id": ids.take(pa.array(rows)),
                "topic": _take(pa.array(TOPICS), topic),
                "score": pa.array(np.round(rng.uniform(1.0, 4.0, m), 2)),
                "terms": c.term_lists.take(pa.array(topic * 8 + rng.integers(0, 8, m))),
                "rule": _take(pa.array(["title", "body", "title+body"]), rng.integers(0, 3, m)),
                "classifier_version": _const(CLASSIFIER_VERSION, m),
            },
            schema=staging.TOPIC_SCHEMA,
        )
        return {"_yq_items": staged, "_yq_topics": topics}

    # -- event tables ------------------------------------------------------------------------

    def event_tables(self) -> dict[str, pa.Table]:
        c = self.corpus
        e = len(self.opening)
        opening = self.opening
        ev_ids = event_ids(opening)
        region = self.region[opening]
        no_region = region < 0
        two = self.n_topics[opening] == 2
        topic_values = np.stack([self.top1[opening], self.top2[opening]], axis=1).reshape(-1)
        topic_keep = np.stack([np.ones(e, bool), two], axis=1).reshape(-1)
        offsets = np.concatenate([[0], np.cumsum(1 + two)]).astype(np.int32)
        topics = pa.ListArray.from_arrays(
            pa.array(offsets), _take(pa.array(TOPICS), topic_values[topic_keep])
        )
        items_24h = np.zeros(e, dtype=np.int32)
        heat = (self.item_count + 2 * self.source_count + 2 * items_24h).astype(np.float64)
        events = pa.table(
            {
                "event_id": ev_ids,
                "opening_item_id": item_ids(opening),
                "title": _take(c.titles, self.title[opening]),
                "topics": topics,
                "region_code": _take(c.region_codes, region, no_region),
                "region_name": _take(c.region_names, region, no_region),
                "severity_proposed": _take(_SEVERITIES, self.major.astype(np.int8)),
                "started_at": _ts(self.started),
                "first_detected_at": _ts(self.first_detected),
                "last_item_at": _ts(self.last_item),
                "item_count": pa.array(self.item_count.astype(np.int32)),
                "source_count": pa.array(self.source_count.astype(np.int32)),
                "items_6h": pa.array(items_24h),
                "items_24h": pa.array(items_24h),
                "heat": pa.array(heat),
                "updated_at": _ts(np.full(e, int(T_END.timestamp() * 1_000_000))),
            }
        )
        event_items = pa.table(
            {"item_id": item_ids(self.member_item), "event_id": ev_ids.take(pa.array(self.member_ev))}
        )
        r_ids = item_ids(self.r_item)
        responses = pa.table(
            {
                "event_id": ev_ids.take(pa.array(self.r_ev)),
                "item_id": r_ids,
                "responded_at": _ts(self.r_time),
                "score": pa.array(
                    np.round(np.random.default_rng(self.seed).uniform(1.0, 5.0, len(r_ids)), 2)
                ),
                "evidence": pc.binary_join_element_wise(
                    '{"matched_terms": ["',
                    _take(pa.array(["回应", "通报", "新闻发布会"]), self.r_kind - 1),
                    '"]}',
                    "",
                ),
                "reported": pa.array(self.r_reported),
                "milestone_kinds": _take(_KINDS, self.r_kind),
            }
        )
        rules = [
            ("first_response", "national.general.first_response", "国办发〔2016〕61号", ["*"], 48.0),
            ("first_information", "national.major.first_information", "国办发〔2016〕80号",
             ["first_information", "press_conference"], 5.0),
            ("press_conference", "national.major.press_conference", "国办发〔2016〕61号, 80号",
             ["press_conference"], 24.0),
        ]  # fmt: skip
        rule = self.ms_rule.astype(np.int64)
        hours = np.array([r[4] for r in rules])[rule]
        start = self.started[self.ms_ev]
        deadline = start + (hours * HOUR_US).astype(np.int64)
        met = self.ms_met_item >= 0
        end = int(T_END.timestamp() * 1_000_000)
        status = np.where(met, np.where(self.ms_met_time <= deadline, 0, 1), np.where(end > deadline, 2, 3))
        met_ids = _take(item_ids(np.maximum(self.ms_met_item, 0)), np.arange(len(rule)), ~met)
        no_evidence = pa.array(['{"response_item_ids": [], "matched_terms": []}'] * 1).take(
            pa.array(np.zeros(len(rule), dtype=np.int64))
        )
        evidence = pc.coalesce(
            pc.binary_join_element_wise(
                '{"response_item_ids": ["', met_ids, '"], "matched_terms": ["回应"]}', ""
            ),
            no_evidence,
        )
        reported = np.zeros(len(rule), dtype=bool)
        lookup = np.zeros(self.n, dtype=bool)
        lookup[self.r_item] = self.r_reported
        reported[met] = lookup[self.ms_met_item[met]]
        milestones = pa.table(
            {
                "event_id": ev_ids.take(pa.array(self.ms_ev)),
                "milestone": _take(pa.array([r[0] for r in rules]), rule),
                "rule_id": _take(pa.array([r[1] for r in rules]), rule),
                "rule_version": _const(RULE_VERSION, len(rule)),
                "source_document": _take(pa.array([r[2] for r in rules]), rule),
                "clock": _const("event_start", len(rule)),
                "satisfied_by": _take(pa.array([r[3] for r in rules], _STR_LIST), rule),
                "deadline_hours": pa.array(hours),
                "started_at": _ts(start),
                "deadline_at": _ts(deadline),
                "status": _take(pa.array(["met", "met_late", "overdue", "pending"]), status),
                "met_at": _ts(self.ms_met_time, ~met),
                "met_by_item_id": met_ids,
                "reported": pa.array(reported, mask=~met),
                "evidence": evidence,
                "computed_as_of": _ts(np.full(len(rule), end)),
            }
        )
        ov = self.overrides
        overrides = pa.table(
            {
                "event_id": ev_ids.take(pa.array(ov)),
                "severity": _take(_SEVERITIES, 1 - self.major[ov].astype(np.int8)),
                "analyst": _const("值班分析员", len(ov)),
                "reason": _const("人工复核", len(ov)),
                "at": _ts(self.started[ov] + 6 * HOUR_US),
            }
        )
        return {
            "events": events,
            "event_items": event_items,
            "responses": responses,
            "milestones": milestones,
            "severity_overrides": overrides,
        }


# ---------------------------------------------------------------------------------------------
# Load


def source_configs(corpus: Corpus) -> list[SourceConfig]:
    rnd = random.Random(11)
    codes = corpus.region_codes.to_pylist()
    return [
        SourceConfig(
            name=f"feed-{i:04d}",
            url=f"https://feed{i:04d}.example.cn/rss.xml",
            official=i % 4 == 0,
            region=rnd.choice(codes) if i % 4 == 0 else None,
        )
        for i in range(SOURCES)
    ]


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load(db: Path, world: World, batch: int) -> dict[str, Any]:
    configs = source_configs(world.corpus)
    names = [c.name for c in configs]
    source_names = pa.array(names, pa.string())
    prefixes = pa.array([c.url.replace("rss.xml", "a/") for c in configs], pa.string())
    out: dict[str, Any] = {}
    with Warehouse.open(db) as wh:
        store.sync_sources(wh, configs, as_of=T0)
        generate = write = cpu = 0.0
        batch_rates: list[float] = []
        last: tuple[dict[str, pa.Table], datetime, list[SourceResult]] | None = None
        for k, lo in enumerate(range(0, world.n, batch)):
            hi = min(world.n, lo + batch)
            began = time.perf_counter()
            staged = world.item_batch(lo, hi, source_names, prefixes)
            as_of = _dt(int(world.fetched[lo:hi].max()))
            present, seen = np.unique(world.src[lo:hi], return_counts=True)
            results = [
                SourceResult(
                    names[s],
                    SourceState(names[s], etag=f'"{k}"', last_full_fetch_at=as_of),
                    "new",
                    items_seen=int(c),
                )
                for s, c in zip(present.tolist(), seen.tolist(), strict=True)
            ]
            generate += time.perf_counter() - began
            began, cpu_began = time.perf_counter(), _cpu_s()
            counts = _commit(wh, f"ingest-{k:05d}", as_of, staged, results)
            took = time.perf_counter() - began
            write += took
            batch_rates.append((hi - lo) / took)
            cpu += _cpu_s() - cpu_began
            if counts.new != hi - lo:
                raise SystemExit(f"batch {k}: {counts.new} new items, expected {hi - lo}")
            _log(
                f"  items {hi:>11,}  batch {took:6.2f} s  {(hi - lo) / took:>9,.0f} rows/s  rss {rss_mb()[0]:,.0f} MB"
            )
            last = (staged, as_of, results)
        out["items_s"], out["items_cpu_s"], out["items_generate_s"] = write, cpu, generate
        out["batch_rates"] = batch_rates
        assert last is not None
        staged, as_of, results = last
        began = time.perf_counter()
        counts = _commit(wh, "ingest-rerun", as_of, staged, results)
        out["rerun_rows"], out["rerun_s"] = staged["_yq_items"].num_rows, time.perf_counter() - began
        if counts.new or counts.updated:
            raise SystemExit(f"re-run of the last batch stored {counts.new} new, {counts.updated} updated")
        # What a 15-minute ingest run adds to a year of data: SMALL_RUN new items (the first ones of the
        # last batch under new ids), committed as one more run, for the checks that run makes.
        items = staged["_yq_items"].slice(0, SMALL_RUN)
        ids = items.column("item_id")
        topics = staged["_yq_topics"].filter(pc.is_in(staged["_yq_topics"].column("item_id"), value_set=ids))
        renamed = {  # "z…": not a hex digit, so no stored id
            name: table.set_column(
                table.schema.get_field_index("item_id"),
                "item_id",
                pc.utf8_replace_slice(table.column("item_id"), 0, 1, "z"),
            )
            for name, table in (("_yq_items", items), ("_yq_topics", topics))
        }
        small_as_of = as_of + timedelta(minutes=15)
        counts = _commit(wh, "ingest-small", small_as_of, renamed, results)
        if counts.new != SMALL_RUN:
            raise SystemExit(f"the small run stored {counts.new} new items, expected {SMALL_RUN}")
        out["small_run"] = ("ingest-small", small_as_of, SMALL_RUN)
        del staged, last

        began = time.perf_counter()
        tables = world.event_tables()
        out["events_generate_s"] = time.perf_counter() - began
        out["event_tables"] = {}
        for name, table in tables.items():
            cols = ", ".join(f'"{c}"' for c in table.column_names)
            began = time.perf_counter()
            for lo in range(0, table.num_rows, batch):
                wh.con.register("_bench_rows", table.slice(lo, batch))
                try:
                    with wh.transaction() as con:
                        con.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM _bench_rows")
                finally:
                    wh.con.unregister("_bench_rows")
            out["event_tables"][name] = (table.num_rows, time.perf_counter() - began)
            _log(f"  {name:18} {table.num_rows:>11,} rows {time.perf_counter() - began:6.2f} s")
        with wh.transaction() as con:
            con.execute(
                "INSERT INTO runs (run_id, kind, as_of, started_at, finished_at, status, counts) "
                "VALUES ('track-bench', 'track', $as_of, $as_of, $as_of, 'ok', '{}'::JSON)",
                {"as_of": T_END},
            )
        began = time.perf_counter()
        wh.con.execute("CHECKPOINT")
        out["checkpoint_s"] = time.perf_counter() - began
        out["duckdb_memory"] = wh.con.execute(
            "SELECT tag, memory_usage_bytes / 2^20 FROM duckdb_memory() "
            "WHERE memory_usage_bytes >= 2^20 ORDER BY memory_usage_bytes DESC"
        ).fetchall()
    return out


def _commit(
    wh: Warehouse,
    run_id: str,
    as_of: datetime,
    staged: dict[str, pa.Table],
    results: list[SourceResult],
) -> store.BatchCounts:
    """commit_source_batch after its staging: the same registered tables, the same transaction."""
    with registered(wh.con, **staged), wh.transaction() as con:
        return store._write_batch(con, run_id, as_of, results)


def db_size(db: Path) -> int:
    wal = wal_path_for(db)
    return db.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


# ---------------------------------------------------------------------------------------------
# Queries

ANALYST_QUERIES = {
    # docs/analyst.md "Open overdue events, most severe and most overdue first"
    "analyst: open overdue (v_overdue)": """
        SELECT event_id, title, severity, milestone, rule_id, source_document,
               deadline_at AT TIME ZONE 'Asia/Shanghai' AS deadline_local,
               overdue_by, region_name, topics, item_urls
        FROM v_overdue
        ORDER BY severity = 'major_emergency' DESC, overdue_by DESC""",
    "v_overdue count(*)": "SELECT count(*) FROM v_overdue",
    # docs/analyst.md "How the judgments fare"
    "v_event_judgments count(*)": "SELECT count(*) FROM v_event_judgments",
    # docs/analyst.md "Response rate ... by topic and region"
    "analyst: response rate by topic/region": """
        SELECT topic, coalesce(region_name, '(unknown)') AS region, count(DISTINCT event_id) AS events,
               round(avg(CASE WHEN met_at IS NOT NULL THEN 1 ELSE 0 END), 3) AS response_rate,
               round(avg(CASE WHEN within_24h THEN 1 ELSE 0 END), 3) AS share_within_24h,
               round(avg(CASE WHEN within_48h THEN 1 ELSE 0 END), 3) AS share_within_48h,
               round(median(hours_to_response), 1) AS median_hours
        FROM v_response_times
        WHERE milestone IN ('first_response', 'first_information')
        GROUP BY ALL ORDER BY events DESC, topic, region""",
    # docs/analyst.md "工资拖欠 events in 广东 with no response within 48 h, last month"
    "analyst: wage_arrears 44 last month": """
        WITH last_run AS (
            SELECT max(as_of) AT TIME ZONE 'Asia/Shanghai' AS local_now FROM runs WHERE kind = 'track' AND status = 'ok'
        ), month AS (
            SELECT date_trunc('month', local_now) - INTERVAL 1 MONTH AS first_day,
                   date_trunc('month', local_now) AS next_first_day
            FROM last_run
        )
        SELECT e.event_id, e.title, e.region_code, e.region_name,
               e.started_at AT TIME ZONE 'Asia/Shanghai' AS started_local,
               m.milestone, m.status, m.met_at AT TIME ZONE 'Asia/Shanghai' AS met_local
        FROM v_events AS e
        JOIN v_milestones AS m USING (event_id)
        CROSS JOIN month
        WHERE list_contains(e.topics, 'wage_arrears')
          AND e.region_code LIKE '44%'
          AND (e.started_at AT TIME ZONE 'Asia/Shanghai') >= month.first_day
          AND (e.started_at AT TIME ZONE 'Asia/Shanghai') < month.next_first_day
          AND m.milestone IN ('first_response', 'first_information')
          AND (m.met_at IS NULL OR m.met_at > e.started_at + INTERVAL 48 HOUR)
        ORDER BY e.started_at""",
    # docs/analyst.md "Daily volume per topic"
    "analyst: daily volume (v_topic_daily)": """
        SELECT day, topic, items, events_opened, responses FROM v_topic_daily
        ORDER BY day DESC, items DESC LIMIT 50""",
}


# name, what to time, goal in seconds (None: a part), the SQL to profile when slow, result summary
Case = tuple[str, Callable[[], Any], float | None, list[tuple[str, dict[str, Any]]], Callable[[Any], str]]


def timed(fn: Callable[[], Any], repeat: int, budget: float = 30.0) -> tuple[list[float], Any]:
    """Run ``fn`` up to ``repeat`` times (fewer when one run exceeds ``budget`` seconds)."""
    times: list[float] = []
    result: Any = None
    for _ in range(repeat):
        began = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - began)
        if times[-1] > budget:
            break
    return times, result


def _operators(node: Any, found: list[tuple[float, str, int, str]]) -> None:
    if isinstance(node, dict):
        timing = node.get("timing", node.get("operator_timing"))
        name = node.get("name", node.get("operator_name", node.get("operator_type")))
        if timing is not None and name and name != "RESULT_COLLECTOR":
            extra = node.get("extra_info") or {}
            detail = " ".join(
                f"{k}={v if isinstance(v, str) else ','.join(map(str, v))}"
                for k, v in extra.items()
                if k in ("Table", "Join Type", "Conditions", "Filters", "Groups", "Aggregates", "Function")
            )
            rows = node.get("intermediate_rows", node.get("operator_cardinality", 0))
            found.append((float(timing), str(name), int(rows or 0), detail[:150]))
        for value in node.values():
            if isinstance(value, list | dict):
                _operators(value, found)
    elif isinstance(node, list):
        for value in node:
            _operators(value, found)


def hotspots(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any], top: int = 6) -> list[str]:
    """The operators taking the most time in DuckDB's profile of one run of ``sql``."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        path = f.name
    try:
        con.execute("PRAGMA enable_profiling = 'json'")
        con.execute(f"SET profiling_output = '{path}'")
        began = time.perf_counter()
        con.execute(sql, params).fetchall()
        total = time.perf_counter() - began
        con.execute("PRAGMA disable_profiling")
        with open(path, encoding="utf-8") as fh:
            profile = json.load(fh)
    finally:
        os.unlink(path)
    found: list[tuple[float, str, int, str]] = []
    _operators(profile, found)
    found.sort(reverse=True)
    lines = [f"      profiled run {total:.2f} s; hottest operators (s = CPU time summed over threads):"]
    lines += [
        f"      {t:7.2f} s  {name:24} rows {rows:>11,}  {detail}" for t, name, rows, detail in found[:top]
    ]
    return lines


def run_queries(db: Path, repeat: int, world_events: int, *, full_size: bool = True) -> list[str]:
    import warehouse.digests as digest_sql
    import warehouse.events as events_sql
    from tests.digest.reference import collect_full
    from yuqing.digest.collect import MAX_EVENTS_PER_SECTION, shown_events

    lines: list[str] = []
    all_route = Route.catch_all(["duty@example.gov.cn"])
    gd_wage = Route(
        name="gd-wage",
        recipients=("wage@example.gov.cn",),
        topics=frozenset({"wage_arrears"}),
        regions=("44",),
    )
    since = AS_OF - timedelta(hours=24)
    horizon = AS_OF - timedelta(days=all_route.lookback_days)
    due_until = AS_OF + timedelta(hours=all_route.due_within_hours)
    overdue_horizon = AS_OF - timedelta(days=DEFAULT_OVERDUE_LOOKBACK_DAYS)
    today = digest_date(AS_OF)
    first, last = today - timedelta(days=TREND_DAYS - 1), today
    with Warehouse.open(db) as wh:
        con = wh.con
        threads, memory = con.execute(
            "SELECT current_setting('threads'), current_setting('memory_limit')"
        ).fetchall()[0]
        lines.append(f"duckdb threads {threads}, memory_limit {memory}; as_of {AS_OF:%Y-%m-%d %H:%M} UTC "
                     f"(08:00 Asia/Shanghai), last track run {T_END:%Y-%m-%d %H:%M} UTC")  # fmt: skip
        event_ids_all: list[str] = []
        earliest_all: list[Any] = [None]
        events_params = {"as_of": AS_OF, "since": since, "horizon": horizon, "due_until": due_until}

        def events_all() -> Any:  # as collect() reads them for the catch-all route
            rows = events_as_of(con, as_of=AS_OF, since=since, horizon=horizon, due_until=due_until)
            event_ids_all[:] = [e.event_id for e in rows]
            earliest_all[0] = min((e.started_at for e in rows), default=None)
            events_params["earliest"] = earliest_all[0] or AS_OF
            return rows

        def digest_summary(d: Any) -> str:
            return (f"overdue {len(d.overdue)}, due {len(d.due_soon)}, new {sum(len(g.events) for g in d.new_events)}, "
                    f"responses {len(d.responses)}, omitted {dict(d.omitted)}")  # fmt: skip

        # collect()'s own reads for the catch-all route: every event placed and counted in SQL, then
        # the first item's link and the milestones of the events the sections show.
        placed_params = {**events_params, "seen_after": since, "cap": MAX_EVENTS_PER_SECTION}
        shown_ids: list[str] = []
        shown_params: dict[str, Any] = {"event_ids": shown_ids, "as_of": AS_OF, "earliest": AS_OF}

        def placed_all() -> Any:
            placed = digest_sql.placed_events(con, as_of=AS_OF, since=since, horizon=horizon, due_until=due_until,
                                              cap=MAX_EVENTS_PER_SECTION)  # fmt: skip
            shown = shown_events(placed, all_route, as_of=AS_OF, since=since)
            shown_ids[:] = [e.event_id for e in shown]
            shown_params["earliest"] = min((e.started_at for e in shown), default=AS_OF)
            return placed

        def shown_details() -> Any:
            return digest_sql.shown_details(
                con, shown_ids, as_of=AS_OF, earliest=shown_params["earliest"], since=since
            )

        cases: list[Case] = [
            ("overdue_rows (yuqing overdue SQL)", lambda: overdue_rows(con, AS_OF, overdue_horizon), GOAL_QUERY_S,
             [(events_sql._OVERDUE_SQL, {"as_of": AS_OF, "horizon": overdue_horizon})], lambda r: f"{len(r):,} rows"),
            ("yuqing.track.run.overdue", lambda: overdue(wh, AS_OF), GOAL_QUERY_S, [], lambda r: f"{len(r):,} rows"),
            ("yuqing quality (30 days)", lambda: judgment_quality(wh, AS_OF), GOAL_QUERY_S, [],
             lambda r: f"{r.events.events:,} events, {len(r.by_source):,} sources"),
            ("collect: route all", lambda: collect(wh, AS_OF, all_route), GOAL_QUERY_S, [], digest_summary),
            ("collect_full: route all (reference)", lambda: collect_full(wh, AS_OF, all_route), None, [],
             digest_summary),
            ("collect: wage_arrears + 44", lambda: collect(wh, AS_OF, gd_wage), GOAL_QUERY_S, [], digest_summary),
            ("collect_full: wage_arrears + 44", lambda: collect_full(wh, AS_OF, gd_wage), None, [], digest_summary),
            ("  digest placed_events (all)", placed_all, None,
             [(digest_sql._PLACED_SQL.format(route="", sections=""), placed_params)],
             lambda r: f"{len(r.events):,} events ({len(shown_ids)} shown), {r.counts}"),
            ("  digest shown_details", shown_details, None, [(digest_sql._SHOWN_SQL, shown_params)],
             lambda r: f"{len(r[0]):,} links, {len(r[1]):,} milestones"),
            ("  digest topic_daily", lambda: topic_daily(con, as_of=AS_OF, first=first, last=last), None,
             [(digest_sql._TOPIC_DAILY_SQL, digest_sql.topic_daily_params(as_of=AS_OF, first=first, last=last))],
             lambda r: f"{len(r):,} rows"),
            ("  full read: events_as_of", events_all, None,
             [(reference._EVENTS_SQL.format(route="", sections=reference._SECTIONS_SQL), events_params)],
             lambda r: f"{len(r):,} events"),
            ("  full read: milestones_of (all)", lambda: milestones_of(con, event_ids_all, earliest=earliest_all[0]),
             None, [(reference._MILESTONES_SQL, {"event_ids": event_ids_all, "earliest": earliest_all[0] or AS_OF})],
             lambda r: f"{len(r):,} milestones"),
        ]  # fmt: skip

        def fetch_all(sql: str) -> Callable[[], Any]:
            return lambda: con.execute(sql).fetchall()

        for name, sql in ANALYST_QUERIES.items():
            cases.append(
                (
                    name,
                    fetch_all(sql),
                    None,
                    [(sql, {})],
                    lambda r: f"{len(r):,} rows",
                )
            )
        lines.append(f"{'query':38} {'first s':>8} {'median s':>9} {'runs':>4}  {'goal':>6}  result")
        slow: list[tuple[str, list[tuple[str, dict[str, Any]]]]] = []
        results: dict[str, Any] = {}
        for name, fn, goal, sqls, describe in cases:
            times, result = timed(fn, repeat)
            results[name] = result
            median = statistics.median(times)
            verdict = "" if goal is None else ("-" if not full_size else "ok" if median < goal else "MISSED")
            goal_text = "" if goal is None else f"<{goal:g} s"
            lines.append(f"{name:38} {times[0]:8.3f} {median:9.3f} {len(times):>4}  {goal_text:>6} {verdict:>6}  "
                         f"{describe(result)}")  # fmt: skip
            _log(lines[-1])
            if sqls and median >= 0.5:
                slow.append((name, sqls))
        if not full_size:
            lines.append(f"(goals not judged: they are for {GOAL_ITEMS:,} items; this run is smaller)")
        for route_name in ("route all", "wage_arrears + 44"):
            full = next(v for k, v in results.items() if k.startswith(f"collect_full: {route_name}"))
            same = results[f"collect: {route_name}"] == full
            lines.append(f"collect == collect_full, {route_name}: {'same digest' if same else 'DIFFERENT'}")
        for name, sqls in slow:
            lines.append(f"  profile: {name.strip()}")
            for sql, params in sqls:
                lines += hotspots(con, sql, params)
        ev = con.execute("SELECT count(*) FROM events").fetchall()[0][0]
        if ev != world_events:
            lines.append(f"note: {ev:,} events stored, {world_events:,} generated")
    return lines


# ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=10_000_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=500_000, help="items per load transaction")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each query (median printed)")
    parser.add_argument("--quick", action="store_true", help="200 000 items, 20 000 events")
    parser.add_argument(
        "--db", type=Path, help="keep the database file here (default: a temporary directory)"
    )
    parser.add_argument("--skip-load", action="store_true", help="query the existing --db without loading")
    parser.add_argument("--seed", type=int, default=20250101)
    args = parser.parse_args()
    if args.quick:
        args.items, args.events, args.batch = 200_000, 20_000, min(args.batch, 100_000)
    if args.skip_load and not (args.db and args.db.exists()):
        raise SystemExit("--skip-load needs an existing --db")

    started = time.perf_counter()
    print(f"warehouse benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    load1, load5, _ = os.getloadavg()
    print(f"machine: {platform.machine()}, nproc {os.cpu_count()}, load average {load1:.1f}/{load5:.1f} at start, "
          f"Linux {platform.release()}; Python {platform.python_version()}; duckdb {duckdb.__version__}, "
          f"pyarrow {pa.__version__}, numpy {np.__version__}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-warehouse-") as tmp:
        db = args.db or Path(tmp) / "bench.duckdb"
        if not args.skip_load:
            if db.exists():
                raise SystemExit(f"{db} exists; remove it or pass --skip-load")
            began = time.perf_counter()
            corpus = Corpus(
                shared_dir(), snippets=200_000 if args.items >= 1_000_000 else 20_000, seed=args.seed
            )
            world = World(args.items, args.events, corpus, args.seed)
            prep = time.perf_counter() - began
            print(f"data: {args.items:,} items, {len(world.opening):,} events "
                  f"({len(world.member_item):,} event_items, {len(world.r_item):,} responses, "
                  f"{len(world.ms_ev):,} milestones) over {T0:%Y-%m-%d} .. {T_END:%Y-%m-%d}; "
                  f"{len(corpus.titles):,} real titles, {len(corpus.summaries):,} summary windows of "
                  f"{corpus.sources_used[0]:,} texts, {SOURCES} sources; arrays built in {prep:.1f} s")  # fmt: skip
            stats = load(db, world, args.batch)
            n = args.items
            rate = n / stats["items_s"]
            print(f"load items (+item_topics, source state, fetch_log) in batches of {args.batch:,}: "
                  f"{stats['items_s']:.1f} s = {rate:,.0f} rows/s  (goal >= {GOAL_LOAD_ROWS_S:,}: "
                  f"{('ok' if rate >= GOAL_LOAD_ROWS_S else 'MISSED') if n >= GOAL_ITEMS else f'not judged below {GOAL_ITEMS:,} items'}); process CPU {stats['items_cpu_s']:.1f} s "
                  f"({stats['items_cpu_s'] / stats['items_s']:.2f} cores busy); Arrow generation "
                  f"{stats['items_generate_s']:.1f} s not counted")  # fmt: skip
            rates = stats["batch_rates"]
            print(f"  per batch: median {statistics.median(rates):,.0f} rows/s over {len(rates)} batches "
                  f"(min {min(rates):,.0f}, max {max(rates):,.0f}; first half {statistics.median(rates[: len(rates) // 2 or 1]):,.0f}, "
                  f"second half {statistics.median(rates[len(rates) // 2:]):,.0f})")  # fmt: skip
            print(f"re-run of the last batch (all unchanged): {stats['rerun_rows']:,} rows in {stats['rerun_s']:.2f} s "
                  f"= {stats['rerun_rows'] / stats['rerun_s']:,.0f} rows/s")  # fmt: skip
            parts = ", ".join(
                f"{name} {rows:,} in {secs:.1f} s" for name, (rows, secs) in stats["event_tables"].items()
            )
            print(f"load event tables (Arrow inserts): {parts}; checkpoint {stats['checkpoint_s']:.1f} s")
            peak = rss_mb()[1]
            memory = ", ".join(f"{tag} {mb:,.0f} MB" for tag, mb in stats["duckdb_memory"])
            print(f"peak RSS after load {peak:,.0f} MB; duckdb_memory() before closing: {memory}")
            del world, corpus
            began, cpu_began = time.perf_counter(), _cpu_s()
            with Warehouse.open(db) as wh:
                failures = run_checks(wh, topic_slugs=TOPICS)
            print(f"data checks after load (warehouse.checks.run_checks, every row, as the run after a crash runs them): "
                  f"{len(failures)} failed, {time.perf_counter() - began:.1f} s, process CPU "
                  f"{_cpu_s() - cpu_began:.1f} s" + "".join(f"\n  {f}" for f in failures))  # fmt: skip
            run_id, small_as_of, small_rows = stats["small_run"]
            written = {"sources", "fetch_log", "runs", "items", "item_topics"}
            took = []
            with Warehouse.open(db) as wh:
                for _ in range(3):
                    began = time.perf_counter()
                    failures = run_checks(wh, topic_slugs=TOPICS, written=written, fetch_log_run=run_id,
                                          items_written_at=small_as_of)  # fmt: skip
                    took.append(time.perf_counter() - began)
            print(f"data checks of one run that added {small_rows:,} items (its rows only, as ingest runs them): "
                  f"{len(failures)} failed, median {statistics.median(took):.2f} s of 3"
                  + "".join(f"\n  {f}" for f in failures))  # fmt: skip
        size = db_size(db)
        with duckdb.connect(str(db), read_only=True) as con:
            counts = {
                t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                for t in (
                    "items",
                    "item_topics",
                    "events",
                    "event_items",
                    "responses",
                    "milestones",
                    "fetch_log",
                )
            }
            blocks = con.execute(
                "SELECT total_blocks, block_size, free_blocks FROM pragma_database_size()"
            ).fetchall()[0]
        print("rows: " + ", ".join(f"{t} {c:,}" for t, c in counts.items()))
        print(f"database on disk: {size / 2**30:.2f} GiB ({size / 2**20:,.0f} MiB; {blocks[0]:,} blocks of "
              f"{blocks[1] // 1024} KiB, {blocks[2]:,} free) = {size / counts['items']:,.0f} bytes per item, "
              f"all tables and indexes included")  # fmt: skip
        for line in run_queries(db, args.repeat, counts["events"], full_size=counts["items"] >= GOAL_ITEMS):
            print(line)
    print(f"peak RSS {rss_mb()[1]:,.0f} MB; total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
