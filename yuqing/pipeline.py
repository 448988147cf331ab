"""The library functions behind the CLI and the Prefect flows: ingest, track, digest.

Each step takes an explicit ``as_of``. Ingest is split in four steps so a flow can run the network
part in a few batched tasks: ``plan_ingest`` (read config and state), ``fetch_group`` (network, parse,
normalise, classify; never touches the database), ``store_group`` (one short write transaction per
group) and ``finish_ingest`` (data checks, run record, analyst snapshot). ``ingest`` chains them.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import logging
import os
import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sources.config import load_sources
from sources.encoding import canonical_codec
from sources.http import Fetcher, FetchRequest, FetchSettings, Retrieved, fetch_many_sync
from sources.policy import DEFAULT_POLICY, PolicySettings, plan_fetch, state_after_error, state_after_success
from sources.urls import redact
from warehouse import checks as wh_checks
from warehouse.db import Warehouse, snapshot_path_for
from warehouse.snapshot import publish_snapshot, snapshot_published_at
from warehouse.store import (
    BatchCounts,
    SourceCounts,
    SourceResult,
    abandon_dead_runs,
    commit_source_batch,
    finish_run,
    latest_other_run_status,
    load_source_states,
    settled_status,
    start_run,
    sync_sources,
)
from yuqing.errors import ConfigError, DataCheckError, ParseError, RetrieveError
from yuqing.models import FetchOutcome, Item, SourceConfig, SourceState, Tags
from yuqing.processing import Offload, Processed, classify_batch, process_body, result_of
from yuqing.processing import classify_item as classify_item  # re-exported: retag and callers classify here
from yuqing.processing import classify_items as classify_items
from yuqing.processing import is_backfill as is_backfill
from yuqing.timeutil import fmt_local, shanghai, to_utc

log = logging.getLogger("yuqing.pipeline")

DEFAULT_GROUP_SIZE = 200  # sources per fetch task and per store transaction
# The analyst snapshot is re-published after a run that stored nothing new only once it is this old
# ($YUQING_SNAPSHOT_MAX_AGE: minutes, or a number with s/m/h; 0 publishes after every run).
DEFAULT_SNAPSHOT_MAX_AGE = timedelta(minutes=60)


def shard_of(source_name: str, shards: int) -> int:
    digest = hashlib.sha256(source_name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % shards


def new_run_id(kind: str, as_of: datetime) -> str:
    """Readable and unique: the as_of (Asia/Shanghai) plus a random suffix."""
    return f"{kind}-{shanghai(as_of).strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(4)}"


# --------------------------------------------------------------------------------------- ingest


@dataclass(frozen=True, slots=True)
class FetchJob:
    source: SourceConfig
    state: SourceState
    request: FetchRequest | None  # None: the source is backing off this run


@dataclass(frozen=True, slots=True)
class IngestPlan:
    run_id: str
    as_of: datetime
    db_path: Path
    jobs: tuple[FetchJob, ...]
    abandoned: tuple[str, ...] = ()  # earlier runs whose process died while they were running

    def groups(self, size: int = DEFAULT_GROUP_SIZE, *, shard: int = 0, shards: int = 1) -> list[list[FetchJob]]:
        """Jobs in groups of ``size``; with ``shards`` > 1, only this shard's sources.

        Sources are assigned to shards by a stable hash of their name, so each worker of a sharded
        deployment always polls the same sources (their conditional-GET state stays warm).
        """
        if not 0 <= shard < shards:
            raise ValueError(f"shard must be in [0, {shards}), not {shard}")
        jobs = [j for j in self.jobs if shards == 1 or shard_of(j.source.name, shards) == shard]
        return [jobs[i : i + size] for i in range(0, len(jobs), size)]


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One line of the per-source ingest summary (CLI table, flow artifact)."""

    source: str
    status: str
    seen: int
    new: int
    updated: int
    error: str | None
    charset_declared: str | None
    charset_used: str | None


@dataclass
class IngestReport:
    run_id: str
    as_of: datetime
    rows: list[SourceRow] = field(default_factory=list)
    status: str = "ok"
    snapshot: Path | None = None  # the analyst snapshot (published by this run or an earlier one)
    snapshot_published: bool = False  # this run published it
    snapshot_published_at: datetime | None = None  # when the current snapshot was published (UTC)
    abandoned: tuple[str, ...] = ()  # earlier runs found dead (their rows were left 'running')

    @property
    def new(self) -> int:
        return sum(r.new for r in self.rows)

    @property
    def updated(self) -> int:
        return sum(r.updated for r in self.rows)

    @property
    def failed(self) -> list[SourceRow]:
        return [r for r in self.rows if r.status not in _OK_STATUSES]

    def counts(self) -> dict[str, int]:
        by_status: dict[str, int] = {}
        for r in self.rows:
            by_status[r.status] = by_status.get(r.status, 0) + 1
        return {
            "sources": len(self.rows),
            "items_new": self.new,
            "items_updated": self.updated,
            "items_seen": sum(r.seen for r in self.rows),
            **{f"status_{k}": v for k, v in sorted(by_status.items())},
        }

    def table_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "source": r.source,
                "status": r.status,
                "seen": r.seen,
                "new": r.new,
                "updated": r.updated,
                "charset": _charset_note(r),
                "error": r.error or "",
            }
            for r in self.rows
        ]

    def summary(self) -> str:
        header = f"{'source':<28} {'status':<18} {'seen':>5} {'new':>5} {'upd':>4}  charset / error"
        lines = [f"ingest {self.run_id} as of {fmt_local(self.as_of)} (Asia/Shanghai)", header, "-" * len(header)]
        for r in self.rows:
            note = " ".join(x for x in (_charset_note(r), r.error or "") if x)
            lines.append(f"{_pad(r.source, 28)} {r.status:<18} {r.seen:>5} {r.new:>5} {r.updated:>4}  {note}")
        c = self.counts()
        lines.append(
            f"{c['sources']} sources: {c['items_new']} new items, {c['items_updated']} updated, "
            f"{len(self.failed)} sources failed; run status {self.status}"
        )
        if self.snapshot is not None:
            note = ""
            if not self.snapshot_published and self.snapshot_published_at is not None:
                note = f" (kept: nothing new; published {fmt_local(self.snapshot_published_at)})"
            lines.append(f"analyst snapshot: {self.snapshot}{note}")
        for line in self.abandoned:
            lines.append(f"note: an earlier {line}; marked abandoned, and this run checked everything it may have left")
        return "\n".join(lines)


_OK_STATUSES = {FetchOutcome.NEW.value, FetchOutcome.UNCHANGED.value, FetchOutcome.NOT_MODIFIED.value}


def _charset_note(r: SourceRow) -> str:
    # gb2312 decoded as its superset gb18030 is no mismatch; GBK served as UTF-8 is.
    declared, used = r.charset_declared, r.charset_used
    if declared and used and canonical_codec(declared) != canonical_codec(used):
        return f"declared {declared}, decoded as {used}"
    return ""


def _pad(text: str, width: int) -> str:
    """Left-justify counting CJK characters as two columns, so terminal tables line up."""
    cols = sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
    return text + " " * max(1, width - cols)


def plan_ingest(
    db_path: Path,
    sources_path: Path,
    *,
    as_of: datetime,
    policy: PolicySettings = DEFAULT_POLICY,
    warehouse: Warehouse | None = None,
) -> IngestPlan:
    """Read the sources file and each source's fetch state; decide what this run fetches.

    ``warehouse``: an already open warehouse (of ``db_path``) to use instead of opening it.
    """
    as_of = to_utc(as_of)
    configs = load_sources(sources_path)
    run_id = new_run_id("ingest", as_of)
    with contextlib.ExitStack() as stack:
        wh = warehouse or stack.enter_context(Warehouse.open(db_path))
        # Stored (and published to analysts) without the password a URL may carry; the fetcher has it.
        sync_sources(wh, [replace(c, url=redact(c.url)) for c in configs], as_of=as_of)
        states = load_source_states(wh)
        abandoned = abandon_dead_runs(wh)
        for line in abandoned:
            log.warning("%s", line)
        start_run(wh, run_id, "ingest", as_of)
    jobs = []
    for config in configs:
        state = states.get(config.name) or SourceState(name=config.name)
        jobs.append(FetchJob(config, state, plan_fetch(config, state, as_of=as_of, policy=policy)))
    return IngestPlan(run_id=run_id, as_of=as_of, db_path=Path(db_path), jobs=tuple(jobs), abandoned=tuple(abandoned))


def _result_for(
    job: FetchJob,
    outcome: Retrieved | RetrieveError | None,
    *,
    as_of: datetime,
    policy: PolicySettings,
    processed: Processed | ParseError | None = None,
) -> SourceResult:
    """The SourceResult of one job; ``processed``: what a worker process made of the body, if one did."""
    name = job.source.name
    if outcome is None:
        until = fmt_local(job.state.backoff_until)
        return SourceResult(
            source=name,
            state=job.state,
            status=FetchOutcome.SKIPPED_BACKOFF,
            error=f"backing off until {until} after {job.state.consecutive_failures} failure(s): "
            f"{job.state.last_error or job.state.last_status or ''}".strip(),
        )
    if isinstance(outcome, RetrieveError):
        return SourceResult(
            source=name,
            state=state_after_error(job.state, outcome, as_of=as_of, policy=policy),
            status=outcome.outcome,
            disposition=outcome.disposition.value,
            http_status=outcome.status,
            error=str(outcome),
        )
    elapsed_ms = int(outcome.elapsed * 1000)
    if outcome.not_modified:
        return SourceResult(
            source=name,
            state=state_after_success(job.state, outcome, outcome=FetchOutcome.NOT_MODIFIED, as_of=as_of),
            status=FetchOutcome.NOT_MODIFIED,
            http_status=outcome.status,
            bytes=0,
            elapsed_ms=elapsed_ms,
            items_seen=0,
        )
    if processed is None:
        try:
            processed = process_body(job.source, outcome, fetched_at=as_of)
        except ParseError as e:
            processed = e
    if isinstance(processed, ParseError):
        return SourceResult(
            source=name,
            state=state_after_error(job.state, processed, as_of=as_of, policy=policy),
            status=FetchOutcome.PARSE_ERROR,
            disposition="soft",
            http_status=outcome.status,
            error=str(processed),
            bytes=len(outcome.body),
            elapsed_ms=elapsed_ms,
        )
    items, feed, tags = processed.items, processed, processed.tags
    state = state_after_success(job.state, outcome, outcome=FetchOutcome.NEW, as_of=as_of)
    if processed.held_back:
        # A run as of a past time left out entries published after as_of (``processing.is_backfill``):
        # the feed's validators are not kept, so the next run (a later as_of) fetches the feed in full and
        # stores them then (docs/ops.md "Backfills and replays").
        state = replace(state, etag=None, last_modified=None)
    # NEW vs UNCHANGED is settled when the batch is written (only the warehouse knows what is new).
    return SourceResult(
        source=name,
        state=state,
        status=FetchOutcome.NEW,
        http_status=outcome.status,
        error=("charset: no clean decoding, bad bytes replaced" if feed.charset_lossy else None),
        charset_declared=feed.charset_declared,
        charset_used=feed.charset_used,
        bytes=len(outcome.body),
        elapsed_ms=elapsed_ms,
        items_seen=len(items),
        items=items,
        tags=tags,
    )


def fetch_group(
    jobs: Sequence[FetchJob],
    *,
    as_of: datetime,
    settings: FetchSettings | None = None,
    policy: PolicySettings = DEFAULT_POLICY,
    fetcher: Fetcher | None = None,
    offload: Offload | None = None,
) -> list[SourceResult]:
    """Fetch, parse, normalise and classify a group of sources. Feed failures are results, not raises.

    With a ``fetcher`` (shared by the groups of a run; ``settings`` is then the fetcher's), each
    feed is parsed as soon as it has arrived while the others are still being fetched. Bodies are
    parsed and classified in worker processes as well as on this thread (``offload``, shared by the
    groups of a run; by default one for this group, see :class:`yuqing.processing.Offload`).
    """
    as_of = to_utc(as_of)
    with contextlib.ExitStack() as stack:
        if offload is None:
            offload = stack.enter_context(Offload())
        if fetcher is None:
            requests = [j.request for j in jobs if j.request is not None]
            fetched = iter(fetch_many_sync(requests, settings=settings or default_fetch_settings()))
            indices = [i for i, job in enumerate(jobs) if job.request is not None]
            pending = _Pending(
                frozenset(indices), [(i, _handed(jobs[i], next(fetched), as_of, offload)) for i in indices]
            )
        else:
            pending = _submit(fetcher, jobs, as_of=as_of, offload=offload)
        return _collect(jobs, pending, as_of=as_of, policy=policy, offload=offload)


# A fetch's outcome, and the worker process's future when one took its body.
_Fetched = tuple["Retrieved | RetrieveError", "concurrent.futures.Future[Processed | str] | None"]


@dataclass(frozen=True, slots=True)
class _Pending:
    """A group's fetches under way: which jobs, and their outcomes as they arrive."""

    indices: frozenset[int]  # of the jobs that fetch (a source backing off does not)
    arrivals: Iterable[tuple[int, _Fetched]]  # (job index, outcome), in the order they complete


_NOTHING = _Pending(frozenset(), ())


def _handed(
    job: FetchJob, outcome: Retrieved | RetrieveError, as_of: datetime, offload: Offload | None
) -> _Fetched:
    """The outcome, and the body handed to a worker process if it is a feed to parse and one is free."""
    if offload is None or isinstance(outcome, RetrieveError) or outcome.not_modified:
        return outcome, None
    return outcome, offload.submit(job.source, outcome, fetched_at=as_of)


def _submit(fetcher: Fetcher, jobs: Sequence[FetchJob], *, as_of: datetime, offload: Offload | None) -> _Pending:
    """Start fetching the jobs; each body is handed to a worker process (when one is free) as soon as
    it arrives, on the fetch thread, so workers keep busy while this thread stores a group."""
    indices = [i for i, job in enumerate(jobs) if job.request is not None]

    def hand(k: int, outcome: Retrieved | RetrieveError) -> tuple[int, _Fetched]:
        return indices[k], _handed(jobs[indices[k]], outcome, as_of, offload)

    batch = fetcher.start([job.request for job in jobs if job.request is not None], then=hand)
    return _Pending(frozenset(indices), (arrival for _, arrival in batch))


def _collect(
    jobs: Sequence[FetchJob],
    pending: _Pending,
    *,
    as_of: datetime,
    policy: PolicySettings,
    offload: Offload | None = None,
) -> list[SourceResult]:
    """Results of a submitted group in job order, each processed as soon as its fetch completes
    (here, or in a worker process that took it; their results are collected last)."""
    results: list[SourceResult | None] = [
        None if i in pending.indices else _result_for(job, None, as_of=as_of, policy=policy)
        for i, job in enumerate(jobs)
    ]
    in_workers: list[tuple[int, Retrieved, concurrent.futures.Future[Processed | str]]] = []
    for i, (outcome, worker) in pending.arrivals:
        if worker is None and offload is not None and offload.started:
            worker = _handed(jobs[i], outcome, as_of, offload)[1]  # a worker may have become free
        if worker is not None and isinstance(outcome, Retrieved):
            in_workers.append((i, outcome, worker))
        else:
            results[i] = _result_for(jobs[i], outcome, as_of=as_of, policy=policy)
    for i, outcome, worker in in_workers:
        processed: Processed | ParseError | None = None  # None: parsed here instead
        if worker.done() or (offload is not None and offload.warm):
            processed = result_of(worker, url=outcome.url)  # None when the worker died
        else:
            worker.cancel()  # the workers are still starting: rather than wait for them, parse it here
        results[i] = _result_for(jobs[i], outcome, as_of=as_of, policy=policy, processed=processed)
    return [r for r in results if r is not None]


def default_fetch_settings() -> FetchSettings:
    """The fetcher's address policy from the environment. By default only public addresses are fetched, so no
    feed (or redirect) can send yuqing to a service on this machine or its network. ``YUQING_ALLOW_LOOPBACK=1``
    admits 127.0.0.0/8 and ::1 (the demo, the tests and the benchmarks set it: their feeds are served there);
    ``YUQING_ALLOW_PRIVATE=1`` admits every private and special-purpose address (an intranet's own feeds)."""
    def flag(name: str) -> bool:
        return os.environ.get(name, "").strip().lower() in {"1", "true", "yes"}

    from sources.http import LOOPBACK_NETWORKS

    return FetchSettings(
        allow_private=flag("YUQING_ALLOW_PRIVATE"),
        allowed_networks=LOOPBACK_NETWORKS if flag("YUQING_ALLOW_LOOPBACK") else (),
    )


def _rows_from(results: Sequence[SourceResult], counts: BatchCounts) -> list[SourceRow]:
    rows = []
    for r in results:
        c = counts.by_source.get(r.source, SourceCounts())
        rows.append(
            SourceRow(
                source=r.source,
                status=settled_status(r.status, c),
                seen=c.seen,
                new=c.new,
                updated=c.updated,
                error=r.error,
                charset_declared=r.charset_declared,
                charset_used=r.charset_used,
            )
        )
    return rows


def store_group(
    db_path: Path,
    run_id: str,
    as_of: datetime,
    results: Sequence[SourceResult],
    *,
    warehouse: Warehouse | None = None,
) -> list[SourceRow]:
    """Write one group's items, tags, source states and fetch_log rows in one transaction.

    ``warehouse``: an already open warehouse (of ``db_path``) to write through instead of opening it.
    """
    if warehouse is not None:
        counts = commit_source_batch(warehouse, run_id, to_utc(as_of), list(results))
        return _rows_from(results, counts)
    with Warehouse.open(db_path) as wh:
        counts = commit_source_batch(wh, run_id, to_utc(as_of), list(results))
    return _rows_from(results, counts)


def snapshot_max_age() -> timedelta:
    """``$YUQING_SNAPSHOT_MAX_AGE`` (minutes, or a number with an s/m/h suffix), else 60 minutes."""
    raw = os.environ.get("YUQING_SNAPSHOT_MAX_AGE", "").strip().lower()
    if not raw:
        return DEFAULT_SNAPSHOT_MAX_AGE
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smh]?)", raw)
    if match is None:
        from yuqing.errors import ConfigError

        raise ConfigError(f"YUQING_SNAPSHOT_MAX_AGE={raw!r}: expected minutes, or a number with s, m or h")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "": "minutes"}[match.group(2)]
    return timedelta(**{unit: float(match.group(1))})


def finish_ingest(
    db_path: Path,
    plan: IngestPlan,
    rows: Sequence[SourceRow],
    *,
    publish: bool | None = None,
    max_snapshot_age: timedelta | None = None,
    warehouse: Warehouse | None = None,
) -> IngestReport:
    """Data checks, the run record and the analyst snapshot. A failed check fails the run.

    The snapshot is published when ``publish`` is True; when it is None (the default), when the run
    stored new or updated items, when there is no snapshot yet, or when the snapshot is older than
    ``max_snapshot_age`` (default :func:`snapshot_max_age`). A run that changed nothing analysts
    see then costs no copy of the whole warehouse. ``publish=False`` never publishes.
    """
    if warehouse is not None:
        return _finish(warehouse, plan, rows, publish=publish, max_snapshot_age=max_snapshot_age)
    with Warehouse.open(db_path) as wh:
        return _finish(wh, plan, rows, publish=publish, max_snapshot_age=max_snapshot_age)


def _topic_slugs() -> tuple[str, ...]:
    """The classifier's topic slugs, for the data checks. A run that classified nothing (every feed
    answered 304) reads them from the topic files instead of building the whole classifier."""
    from classifiers import Classifier

    if Classifier.default.cache_info().currsize == 0:
        try:
            from classifiers.lexicon import TOPICS_DIR, load_topics

            return tuple(spec.slug for spec in load_topics(TOPICS_DIR))
        except (ImportError, AttributeError):
            pass
    return Classifier.default().topic_slugs


def _written(wh: Warehouse, run_id: str, report: IngestReport) -> set[str] | None:
    """The tables this run wrote, for the data checks, which then read only this run's rows (its
    fetch_log rows, the items it inserted or updated); None (check every row of every table) unless
    the latest other run ended with its checks passed. A run killed after writing items stays
    ``running``, so the run after it checks everything it may have left."""
    if latest_other_run_status(wh, run_id) not in ("ok", "partial"):
        return None
    written = {"sources", "fetch_log", "runs"}
    if report.new or report.updated:
        written |= {"items", "item_topics"}
    return written


def _finish(
    wh: Warehouse,
    plan: IngestPlan,
    rows: Sequence[SourceRow],
    *,
    publish: bool | None,
    max_snapshot_age: timedelta | None,
) -> IngestReport:
    report = IngestReport(run_id=plan.run_id, as_of=plan.as_of, rows=list(rows), abandoned=plan.abandoned)
    written = _written(wh, plan.run_id, report)
    slugs = _topic_slugs() if written is None or "item_topics" in written else None
    scoped = written is not None  # to this run's rows: earlier rows were checked by their runs
    failures = wh_checks.run_checks(
        wh,
        topic_slugs=slugs,
        written=written,
        fetch_log_run=plan.run_id if scoped else None,
        items_written_at=plan.as_of if scoped else None,
    )
    if failures:
        report.status = "failed"
        finish_run(wh, plan.run_id, "failed", counts=report.counts(), error="; ".join(failures))
        raise DataCheckError("data checks failed after ingest:\n" + "\n".join(f"- {f}" for f in failures))
    report.status = "partial" if report.failed else "ok"
    finish_run(wh, plan.run_id, report.status, counts=report.counts())
    published_at = snapshot_published_at(wh)
    if publish is None:
        max_age = snapshot_max_age() if max_snapshot_age is None else max_snapshot_age
        # A source that failed or recovered changes what ops read in v_source_health: that is a change too.
        before = {job.source.name: job.state.last_status for job in plan.jobs}
        health_changed = any(
            (r.status in _OK_STATUSES) != (before.get(r.source) in _OK_STATUSES)
            for r in report.rows
            if r.status != FetchOutcome.SKIPPED_BACKOFF.value
        )
        publish = (
            report.new > 0
            or report.updated > 0
            or health_changed
            or published_at is None
            or datetime.now(UTC) - published_at >= max_age
        )
    if publish:
        report.snapshot = publish_snapshot(wh)
        report.snapshot_published = True
        report.snapshot_published_at = snapshot_published_at(wh)
    elif published_at is not None:
        report.snapshot = wh.snapshot_path
        report.snapshot_published_at = published_at
    return report


def ingest(
    db_path: Path,
    sources_path: Path,
    *,
    as_of: datetime,
    settings: FetchSettings | None = None,
    policy: PolicySettings = DEFAULT_POLICY,
    group_size: int | None = None,
) -> IngestReport:
    """One ingest cycle: every source fetched (or skipped while backing off), stored group by group.

    ``group_size`` sources are fetched and committed together (default 200, or
    ``$YUQING_INGEST_GROUP_SIZE``; sources that brought no items are committed with a later group);
    one set of HTTP clients serves the whole run, and the next group is fetched while the current one
    is parsed, classified and stored.
    """
    group_size = group_size or int(os.environ.get("YUQING_INGEST_GROUP_SIZE", DEFAULT_GROUP_SIZE))
    with contextlib.ExitStack() as stack:
        # Closed last (after the fetcher): worker processes, started only once enough bodies arrived.
        offload = stack.enter_context(Offload())
        # Started first: its thread loads the HTTP stack while this one opens the warehouse.
        fetcher = stack.enter_context(Fetcher(settings or default_fetch_settings()))
        # The warehouse is opened once and held to the end of the run (plan, one group's commit
        # after another, then the run record).
        wh = stack.enter_context(Warehouse.open(db_path))
        plan = plan_ingest(db_path, sources_path, as_of=as_of, policy=policy, warehouse=wh)
        try:
            groups = plan.groups(group_size)
            rows: list[SourceRow] = []
            # The next group is on the wire while this one is parsed, classified and stored; at most
            # two groups' bodies are held at a time.
            pending = _submit(fetcher, groups[0], as_of=plan.as_of, offload=offload) if groups else _NOTHING
            # Results without items (304s, failures, sources backing off) wait for the next group that
            # has items, or the end of the run, and are written in its transaction: a run of 304s is one
            # transaction instead of one per group. A crash before that write loses only their fetch_log
            # rows and state updates (the next run polls those sources again); never an item or an ETag
            # whose items were not stored.
            held: list[SourceResult] = []
            for n, group in enumerate(groups):
                following = (
                    _submit(fetcher, groups[n + 1], as_of=plan.as_of, offload=offload) if n + 1 < len(groups) else _NOTHING
                )
                current, pending = pending, following
                held.extend(_collect(group, current, as_of=plan.as_of, policy=policy, offload=offload))
                if any(r.items for r in held):
                    rows.extend(store_group(db_path, plan.run_id, plan.as_of, held, warehouse=wh))
                    held = []
            if held:
                rows.extend(store_group(db_path, plan.run_id, plan.as_of, held, warehouse=wh))
            return finish_ingest(db_path, plan, rows, warehouse=wh)
        except DataCheckError:
            raise  # the run record already says failed, with the checks that failed
        except BaseException as e:
            # Whatever stopped the run (a storage error, a bug, Ctrl-C): its record says so, instead of 'running'.
            with contextlib.suppress(Exception):
                finish_run(wh, plan.run_id, "failed", error=f"{type(e).__name__}: {e}"[:500])
            raise


# ---------------------------------------------------------------------------------------- track


@dataclass(frozen=True, slots=True)
class TrackSummary:
    """A track run's report plus the overdue milestones as of its as_of (CLI text, flow artifact)."""

    report: Any  # yuqing.track.run.TrackReport
    overdue: list[Any]  # list[yuqing.track.run.OverdueRow]
    snapshot: Path | None = None
    alerts: AlertStep | None = None  # urgent alerts raised (and sent) by this run

    def counts(self) -> dict[str, int]:
        r = self.report
        return {
            "items_seen": r.items_seen,
            "members": r.members,
            "events_touched": r.events_touched,
            "responses_linked": r.responses_linked,
            "milestones": r.milestones,
            "overdue": len(self.overdue),
            "alerts_raised": self.alerts.raised if self.alerts else 0,
        }

    def summary(self) -> str:
        r = self.report
        head = (
            f"track {r.run_id} as of {fmt_local(r.as_of)} (Asia/Shanghai): {r.items_seen} new items looked at, "
            f"{r.members} joined or opened events, {r.events_touched} events updated, "
            f"{r.responses_linked} responses linked, {len(self.overdue)} overdue milestones"
        )
        if self.alerts is not None:
            head += "\n" + self.alerts.summary()
        return head + ("\n\n" + format_overdue(self.overdue) if self.overdue else "")

    def markdown(self) -> str:
        r = self.report
        lines = [
            f"# track as of {fmt_local(r.as_of)} (Asia/Shanghai)",
            "",
            f"- new items looked at: {r.items_seen}; joined or opened events: {r.members}",
            f"- events updated: {r.events_touched}; responses linked: {r.responses_linked}",
            f"- overdue milestones: {len(self.overdue)}",
            *([f"- {self.alerts.summary()}"] if self.alerts is not None else []),
            "",
        ]
        if self.overdue:
            lines += ["| overdue by | milestone | severity | region | event | rule |", "|---|---|---|---|---|---|"]
            for row in self.overdue:
                title = row.title.replace("|", "／")
                lines.append(
                    f"| {_hours(row.overdue_by)} | {row.milestone} | {row.severity} | {row.region_name or '—'} "
                    f"| {title} (`{row.event_id}`) | {row.rule_id} |"
                )
        return "\n".join(lines)


def _hours(delta: Any) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.1f} d" if hours >= 48 else f"{hours:.1f} h"


@dataclass
class AlertStep:
    """What a track run did about urgent alerts (yuqing/alerts): raised into the ledger, then delivered."""

    raised: int = 0
    skipped: str | None = None  # why alerts were not evaluated (no routes, a backfill)
    error: str | None = None  # the routes file could not be read: tracking went on, alerts did not
    delivery: Any = None  # yuqing.alerts.run.DeliveryReport, when this run delivered

    @property
    def ok(self) -> bool:
        return self.error is None and (self.delivery is None or self.delivery.ok)

    def summary(self) -> str:
        if self.error:
            return f"alerts: NOT evaluated: {self.error}"
        if self.skipped:
            return f"alerts: not evaluated ({self.skipped})"
        line = f"alerts: {self.raised} raised"
        if self.delivery is not None:
            line += "; " + self.delivery.summary().removeprefix("alerts: ")
        return line


def alert_routes(routes_path: Path | None) -> tuple[Any, ...]:
    """The routes that alert, from ``routes_path`` or ``$YUQING_ROUTES``; none when neither names a file
    (ConfigError when the file named is missing or invalid)."""
    from yuqing.alerts.run import alerting
    from yuqing.digest import load_routes

    path = routes_path or (Path(os.environ["YUQING_ROUTES"]) if os.environ.get("YUQING_ROUTES") else None)
    if path is None:
        return ()
    return tuple(alerting(load_routes(path)))


def dimensions(wh: Warehouse) -> None:
    """Bring ``dim_topics`` and ``dim_regions`` in line with the classifier's topic files and gazetteer."""
    from classifiers.lexicon import TOPICS_DIR, load_topics
    from classifiers.region import dimension_rows
    from warehouse.store import sync_dimensions
    from yuqing.digest.model import TOPIC_LABELS

    specs = load_topics(TOPICS_DIR)
    known = list(TOPIC_LABELS)
    order = sorted(specs, key=lambda t: (known.index(t.slug) if t.slug in known else len(known), t.slug))
    sync_dimensions(wh, [(t.slug, t.name, n + 1) for n, t in enumerate(order)], dimension_rows())


def track(
    db_path: Path,
    *,
    as_of: datetime,
    history: bool = False,
    routes_path: Path | None = None,
    alerts: bool | None = None,
    deliver: bool = True,
    resolve_secret: Callable[[str], str] | None = None,
) -> TrackSummary:
    """Group events, link responses, compute deadlines; raise urgent alerts; publish the analyst snapshot.

    ``history``: items that were older than the lookback when first fetched may open events too (a backfill
    of history). ``alerts``: None (default) raises alerts unless the run is a backfill (as_of more than an
    hour behind the clock), True raises them anyway, False never. ``deliver``: send the raised alerts once
    the warehouse is closed (the flows send them in a task of their own instead: ``deliver_alerts``).
    """
    from yuqing.alerts.run import raise_alerts
    from yuqing.track.run import overdue as overdue_rows
    from yuqing.track.run import run_track

    as_of = to_utc(as_of)
    step = AlertStep()
    routes: tuple[Any, ...] = ()
    if alerts is False:
        step.skipped = "turned off for this run"
    elif alerts is None and is_backfill(as_of):
        step.skipped = "a backfill: as_of is more than an hour behind the clock; --alerts sends them anyway"
    else:
        try:
            routes = alert_routes(routes_path)
        except ConfigError as e:
            step.error = str(e)
            log.error("alerts: %s", e)
        if not routes and step.error is None:
            step.skipped = "no route has alert_channels"
    with Warehouse.open(db_path) as wh:
        dimensions(wh)
        report = run_track(wh, as_of, history=history)
        if routes:
            step.raised = raise_alerts(wh, as_of, routes)
        rows = overdue_rows(wh, as_of)
        snapshot = publish_snapshot(wh)
    if routes and deliver:
        step.delivery = deliver_alerts(db_path, as_of=as_of, routes=routes, resolve_secret=resolve_secret)
    return TrackSummary(report=report, overdue=rows, snapshot=snapshot, alerts=step)


def deliver_alerts(
    db_path: Path,
    *,
    as_of: datetime,
    routes: Sequence[Any] | None = None,
    routes_path: Path | None = None,
    resolve_secret: Callable[[str], str] | None = None,
) -> Any:
    """Send the alerts due as of ``as_of`` (yuqing.alerts.run.DeliveryReport). The warehouse is opened only
    to claim them and to record the outcomes."""
    from yuqing.alerts.channels import SendContext
    from yuqing.alerts.run import deliver_alerts as deliver

    if routes is None:
        routes = alert_routes(routes_path)
    return deliver(
        lambda: Warehouse.open(db_path),
        to_utc(as_of),
        routes,
        SendContext.from_environment(resolve_secret),
    )


@contextlib.contextmanager
def reader(db_path: Path) -> Iterator[Warehouse]:
    """What read-only commands (``overdue``, ``event``) read: the published snapshot, never the live file, which
    stays free for the writers (a query there held a running track for 38 s). Where no snapshot was published yet
    (an older warehouse), the live file opened read-only."""
    from warehouse.migrate import verify
    from warehouse.snapshot import connect_snapshot

    if snapshot_path_for(db_path).exists():
        con = connect_snapshot(db_path)
        try:
            yield Warehouse(con, str(snapshot_path_for(db_path)), read_only=True, schema_version=verify(con))
        finally:
            con.close()
        return
    with Warehouse.open(db_path, read_only=True) as wh:
        yield wh


def snapshot_note(db_path: Path) -> str | None:
    """"read from the snapshot published <time>": said wherever a command reads the snapshot."""
    published = snapshot_published_at(path=snapshot_path_for(db_path))
    return None if published is None else f"(read from the snapshot published {fmt_local(published)} Asia/Shanghai)"


def overdue(db_path: Path, *, as_of: datetime, lookback_days: int | None = 30) -> list[Any]:
    from yuqing.track.run import overdue as overdue_rows

    with reader(db_path) as wh:
        return list(overdue_rows(wh, to_utc(as_of), lookback_days=lookback_days))


def set_severity(db_path: Path, event_id: str, severity: str, *, analyst: str, reason: str) -> str:
    """An analyst's severity for an event; its milestones are recomputed and a new snapshot published, so every
    reader sees it at once."""
    from yuqing.track.run import set_severity_override

    with Warehouse.open(db_path) as wh:
        set_severity_override(wh, event_id, severity, analyst, reason)
        publish_snapshot(wh)
    return f"{event_id}: severity set to {severity} by {analyst} ({reason}); snapshot republished"


def format_overdue(rows: Sequence[Any]) -> str:
    if not rows:
        return "no overdue milestones"
    header = f"{'overdue by':>10}  {'milestone':<17} {'severity':<15} {'deadline (Asia/Shanghai)':<24} {'region':<14} event"
    lines = [header, "-" * (len(header) + 30)]
    for r in rows:
        lines.append(
            f"{_hours(r.overdue_by):>10}  {r.milestone:<17} {r.severity:<15} {fmt_local(r.deadline_at):<24} "
            f"{_pad(r.region_name or '—', 14)}{r.title}  [{r.event_id}; {r.rule_id}]"
        )
    return "\n".join(lines)


def explain_event(db_path: Path, event_id: str) -> str:
    from yuqing.track.run import explain_event as explain

    with reader(db_path) as wh:
        return explain(wh, event_id)


# --------------------------------------------------------------------------------------- digest


def digest(
    db_path: Path,
    *,
    as_of: datetime,
    to: Sequence[str] | None = None,
    out: Path | None = None,
    routes_path: Path | None = None,
    force: bool = False,
    resolve_secret: Callable[[str], str] | None = None,
    hold: Callable[[], contextlib.AbstractContextManager[Any]] | None = None,
) -> str:
    """Build the digest as of ``as_of``; write it to ``out`` (.eml + .html) or send it by SMTP.

    The warehouse is open only while the ledger is read or written: never while the SMTP server is talked to or
    between retries. ``hold``: what else to hold while it is open (the flows' warehouse concurrency slot).

    ``resolve_secret`` turns a secret's name into its value: the flows pass a Prefect Secret block
    lookup, so ``YUQING_SMTP_PASSWORD_BLOCK`` can name the block holding the SMTP password.

    A failed data check stops the digest: officials must never act on a half-loaded warehouse.
    """
    from yuqing.digest import Route, SmtpSettings, load_routes, raise_for_failures, send_digests, write_digest

    as_of = to_utc(as_of)

    @contextlib.contextmanager
    def session() -> Iterator[Warehouse]:
        with hold() if hold is not None else contextlib.nullcontext(), Warehouse.open(db_path) as opened:
            yield opened

    with session() as wh:
        from classifiers import Classifier

        wh_checks.assert_checks(wh, topic_slugs=Classifier.default().topic_slugs)
        if out is not None:
            route = Route.catch_all(list(to or ()))
            return write_digest(wh, as_of, out, route=route).summary()
        if to:
            routes: tuple[Any, ...] = (Route.catch_all(list(to)),)
        else:
            path = routes_path or Path(os.environ.get("YUQING_ROUTES", "routes.toml"))
            if not path.exists():
                from yuqing.errors import ConfigError

                raise ConfigError(
                    f"no routes file at {path}: pass --to ADDR, --routes FILE or set YUQING_ROUTES "
                    "(see yuqing/digest/routes.example.toml)"
                )
            routes = load_routes(path)
        smtp = SmtpSettings.from_env(resolve_secret=resolve_secret)
    journal = Path(db_path).with_name(f".{Path(db_path).name}.digest-journal")
    results = send_digests(session, as_of, routes, smtp, force=force, journal=journal)
    raise_for_failures(results)
    return "\n".join(r.summary() for r in results)


def alerts_command(
    db_path: Path,
    *,
    as_of: datetime,
    routes_path: Path | None,
    send: bool,
    limit: int = 50,
    test: str | None = None,
) -> int:
    """``yuqing alerts``: with ``test``, a test message on every channel of that route; with ``send``, deliver
    what is due as of ``as_of``; then print the ledger."""
    from yuqing.alerts.channels import SendContext
    from yuqing.alerts.run import ledger_text, test_route

    if test is not None:
        routes = {r.name: r for r in alert_routes(routes_path)}
        if test not in routes:
            raise ConfigError(
                f"no route named {test!r} has alert_channels (routes that alert: {', '.join(routes) or 'none'})"
            )
        results = test_route(
            lambda: Warehouse.open(db_path), routes[test], SendContext.from_environment(), as_of=to_utc(as_of)
        )
        for channel, error in results:
            print(f"{test}/{channel}: " + ("ok" if error is None else f"FAILED: {error}"))
        return 0 if all(error is None for _, error in results) else 1
    status = 0
    if send:
        report = deliver_alerts(db_path, as_of=to_utc(as_of), routes_path=routes_path)
        print(report.summary())
        status = 0 if report.ok else 1
    with Warehouse.open(db_path) as wh:
        print(ledger_text(wh, limit=limit))
    return status


# ---------------------------------------------------------------------------------------- retag


def retag(db_path: Path, *, batch_size: int = 5000, progress: bool = True) -> str:
    """Re-classify every stored item with the current lexicons (after ops change them)."""
    import sys

    from classifiers import Classifier
    from warehouse.store import load_source_configs
    from warehouse.store import retag as store_retag

    classifier = Classifier.default()

    def show(done: int, total: int) -> None:
        if progress and total:
            width = 30
            filled = int(width * done / total)
            sys.stderr.write(f"\rretag [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
            sys.stderr.flush()

    with Warehouse.open(db_path) as wh:
        configs = load_source_configs(wh)

        def classify_stored(items: Sequence[Item]) -> list[Tags]:
            return classify_batch(classifier, items, configs)

        n = store_retag(wh, classify_stored, batch_size, show, skip_version=classifier.version)
        publish_snapshot(wh)
    if progress:
        sys.stderr.write("\n")
    return f"re-classified {n} items with classifier {classifier.version}"
