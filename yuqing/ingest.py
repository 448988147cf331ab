"""The ingest loop: plan, fetch, store, finish (the CLI's ``yuqing ingest`` and the ingest flow's tasks).

Each step takes an explicit ``as_of``. Ingest is split in four steps so a flow can run the network part in a
few batched tasks: ``plan_ingest`` (read config and state), ``fetch_group`` (network, parse, normalise, classify;
never touches the database), ``store_group`` (one short write transaction per group) and ``finish_ingest``
(data checks, run record, analyst snapshot). ``ingest`` chains them. ``yuqing.pipeline`` re-exports them.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import hashlib
import logging
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sources.config import load_sources
from sources.fetcher import Fetcher
from sources.http import FetchRequest, FetchSettings, Retrieved
from sources.policy import DEFAULT_POLICY, PolicySettings, plan_fetch, state_after_error, state_after_success
from sources.urls import redact
from warehouse import checks as wh_checks
from warehouse.db import Warehouse
from warehouse.runs import abandon_dead_runs, finish_run, latest_other_run_status, start_run
from warehouse.snapshot import publish_snapshot, snapshot_published_at
from warehouse.store import (
    BatchCounts,
    SourceCounts,
    commit_source_batch,
    load_source_states,
    sync_sources,
)
from yuqing.errors import DataCheckError, ParseError, RetrieveError
from yuqing.models import FetchOutcome, SourceConfig, SourceResult, SourceState
from yuqing.processing import Offload, Processed, process_body, result_of
from yuqing.reports import OK_STATUSES, IngestReport, SourceRow
from yuqing.settings import Settings
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

    def groups(
        self, size: int = DEFAULT_GROUP_SIZE, *, shard: int = 0, shards: int = 1
    ) -> list[list[FetchJob]]:
        """Jobs in groups of ``size``; with ``shards`` > 1, only this shard's sources.

        Sources are assigned to shards by a stable hash of their name, so each worker of a sharded
        deployment always polls the same sources (their conditional-GET state stays warm).
        """
        if not 0 <= shard < shards:
            raise ValueError(f"shard must be in [0, {shards}), not {shard}")
        jobs = [j for j in self.jobs if shards == 1 or shard_of(j.source.name, shards) == shard]
        return [jobs[i : i + size] for i in range(0, len(jobs), size)]


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
    return IngestPlan(
        run_id=run_id, as_of=as_of, db_path=Path(db_path), jobs=tuple(jobs), abandoned=tuple(abandoned)
    )


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

    Each feed is parsed as soon as it has arrived while the others are still being fetched, through ``fetcher``
    (shared by the groups of a run, ``settings`` then being the fetcher's; by default one for this group). Bodies are
    parsed and classified in worker processes as well as on this thread (``offload``, shared by the
    groups of a run; by default one for this group, see :class:`yuqing.processing.Offload`).
    """
    as_of = to_utc(as_of)
    with contextlib.ExitStack() as stack:
        if offload is None:
            offload = stack.enter_context(Offload())
        if fetcher is None:  # a group on its own (a flow task): a fetcher for it alone
            fetcher = stack.enter_context(Fetcher(settings or default_fetch_settings()))
        pending = _submit(fetcher, jobs, as_of=as_of, offload=offload)
        return _collect(jobs, pending, as_of=as_of, policy=policy, offload=offload)


# A fetch's outcome, and the worker process's future when one took its body.
_Fetched = tuple["Retrieved | RetrieveError", "concurrent.futures.Future[Processed | str] | None"]


@dataclass(frozen=True, slots=True)
class _Pending:
    """A group's fetches under way: which jobs, and their outcomes as they arrive."""

    indices: frozenset[int]  # of the jobs that fetch (a source backing off does not)
    arrivals: Iterable[tuple[int, _Fetched]]  # (job index, outcome), in the order they complete



def _handed(
    job: FetchJob, outcome: Retrieved | RetrieveError, as_of: datetime, offload: Offload | None
) -> _Fetched:
    """The outcome, and the body handed to a worker process if it is a feed to parse and one is free."""
    if offload is None or isinstance(outcome, RetrieveError) or outcome.not_modified:
        return outcome, None
    return outcome, offload.submit(job.source, outcome, fetched_at=as_of)


def _submit(
    fetcher: Fetcher, jobs: Sequence[FetchJob], *, as_of: datetime, offload: Offload | None
) -> _Pending:
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


def default_fetch_settings(loopback: bool = False) -> FetchSettings:
    """The fetcher's address policy from the environment. By default only public addresses are fetched, so no
    feed (or redirect) can send yuqing to a service on this machine or its network. ``YUQING_ALLOW_LOOPBACK=1``
    admits 127.0.0.0/8 and ::1 (the tests and the benchmarks set it: their feeds are served there), as does
    ``loopback`` (the demo and its replay, which serve their own feeds there);
    ``YUQING_ALLOW_PRIVATE=1`` admits every private and special-purpose address (an intranet's own feeds)."""
    from sources.http import LOOPBACK_NETWORKS

    def flag(value: str | None) -> bool:
        return (value or "").strip().lower() in {"1", "true", "yes"}

    env = Settings.of()
    return FetchSettings(
        allow_private=flag(env.ALLOW_PRIVATE),
        allowed_networks=LOOPBACK_NETWORKS if loopback or flag(env.ALLOW_LOOPBACK) else (),
    )


def _rows_from(results: Sequence[SourceResult], counts: BatchCounts) -> list[SourceRow]:
    rows = []
    for r in results:
        c = counts.by_source.get(r.source, SourceCounts())
        rows.append(
            SourceRow(
                source=r.source,
                status=c.status or FetchOutcome(r.status).value,
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

    raw = (Settings.of().SNAPSHOT_MAX_AGE or "").strip().lower()
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
            (r.status in OK_STATUSES) != (before.get(r.source) in OK_STATUSES)
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


# A group on the wire: called, it waits for the group's results (fetched, parsed and classified).
Started = Callable[[], list[SourceResult]]


def run_groups(
    groups: Sequence[Sequence[FetchJob]],
    start: Callable[[Sequence[FetchJob]], Started],
    store: Callable[[list[SourceResult]], list[SourceRow]],
    *,
    ahead: int = 1,
) -> list[SourceRow]:
    """The ingest loop, the CLI's and the flow's: every group fetched, and stored in the order of the groups.

    ``start(group)`` puts a group on the wire; up to ``ahead`` more groups are fetched while one is processed and
    stored. Results without items (304s, failures, sources backing off) wait for the next group that has items, or
    the end of the run, and are written in its ``store``: a run of 304s is one transaction instead of one per group.
    A crash before that write loses only their fetch_log rows and state updates (the next run polls those sources
    again); never an item or an ETag whose items were not stored. Returns the stored rows, in source order.
    """
    upcoming = iter(groups)
    in_flight: collections.deque[Started] = collections.deque()

    def top_up(limit: int) -> None:
        while len(in_flight) < limit and (group := next(upcoming, None)) is not None:
            in_flight.append(start(group))

    rows: list[SourceRow] = []
    held: list[SourceResult] = []
    top_up(1)
    while in_flight:
        current = in_flight.popleft()
        top_up(ahead)  # the next groups go on the wire before this one is waited for
        arrived = current()
        held.extend(arrived)
        if any(r.items for r in arrived):  # what was held before brought none
            rows.extend(store(held))
            held = []
    if held:
        rows.extend(store(held))
    return rows


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
    group_size = group_size or int(Settings.of().INGEST_GROUP_SIZE or DEFAULT_GROUP_SIZE)
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

            def start(group: Sequence[FetchJob]) -> Started:
                pending = _submit(fetcher, group, as_of=plan.as_of, offload=offload)
                return lambda: _collect(group, pending, as_of=plan.as_of, policy=policy, offload=offload)

            def store(results: list[SourceResult]) -> list[SourceRow]:
                return store_group(db_path, plan.run_id, plan.as_of, results, warehouse=wh)

            # The next group is on the wire while this one is parsed, classified and stored; at most two
            # groups' bodies are held at a time.
            rows = run_groups(plan.groups(group_size), start, store, ahead=1)
            return finish_ingest(db_path, plan, rows, warehouse=wh)
        except DataCheckError:
            raise  # the run record already says failed, with the checks that failed
        except BaseException as e:
            # Whatever stopped the run (a storage error, a bug, Ctrl-C): its record says so, instead of 'running'.
            with contextlib.suppress(Exception):
                finish_run(wh, plan.run_id, "failed", error=f"{type(e).__name__}: {e}"[:500])
            raise
