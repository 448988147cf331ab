"""The ``ingest`` flow: plan, fetch groups of sources in parallel, store each group, finish.

Fetching is network only and runs in parallel; every step that opens the warehouse holds the warehouse
concurrency slot, so a run's writes are short transactions that queue behind other flows' writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.futures import PrefectFuture
from prefect.states import Completed
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from prefect.tasks import exponential_backoff

from flows import recovery
from flows.common import (
    FETCH_BACKOFF_SECONDS,
    FETCH_RETRIES,
    RETRY_JITTER,
    current_run_name,
    resolve_as_of,
    site_path,
    step,
    warehouse_lock,
)
from flows.track import send_alerts, track_task
from yuqing import pipeline
from yuqing.models import SourceResult
from yuqing.processing import Offload

# A run every 15 min must be done well before the next-but-one: past this the run fails as TimedOut.
INGEST_TIMEOUT_SECONDS = 20 * 60
# Fetch tasks running at once. Each fetches its group on its own; more threads than this buys little on a
# small machine and makes many feeds time out together on a slow uplink.
FETCH_WORKERS = 4
# A failed write (the database file locked by a process outside Prefect, a full disk) is tried again soon.
STORE_RETRIES = 2
STORE_RETRY_DELAY_SECONDS = 5.0

ARTIFACT_KEY = "ingest-report"

# (cast: the runner is generic in its future type, which mypy cannot infer from the constructor)
_FETCH_RUNNER = cast("TaskRunner[PrefectFuture[Any]]", ThreadPoolTaskRunner(max_workers=FETCH_WORKERS))


@step("plan-ingest", retries=STORE_RETRIES, delay=STORE_RETRY_DELAY_SECONDS)
def plan_task(db_path: Path, sources_path: Path, as_of: datetime) -> pipeline.IngestPlan:
    with warehouse_lock():
        return pipeline.plan_ingest(db_path, sources_path, as_of=as_of)


@step(
    "fetch-group",
    retries=FETCH_RETRIES,
    delay=exponential_backoff(FETCH_BACKOFF_SECONDS),
    jitter=RETRY_JITTER,
)
def fetch_task(
    jobs: list[pipeline.FetchJob], as_of: datetime, offload: Offload | None = None
) -> list[SourceResult]:
    return pipeline.fetch_group(jobs, as_of=as_of, offload=offload)


@step("store-group", retries=STORE_RETRIES, delay=STORE_RETRY_DELAY_SECONDS)
def store_task(
    db_path: Path, run_id: str, as_of: datetime, results: list[SourceResult]
) -> list[pipeline.SourceRow]:
    with warehouse_lock():
        return pipeline.store_group(db_path, run_id, as_of, results)


@step("finish-ingest", retries=STORE_RETRIES, delay=STORE_RETRY_DELAY_SECONDS)
def finish_task(
    db_path: Path, plan: pipeline.IngestPlan, rows: list[pipeline.SourceRow]
) -> pipeline.IngestReport:
    with warehouse_lock():
        return pipeline.finish_ingest(db_path, plan, rows)


@flow(
    name="ingest",
    flow_run_name=current_run_name,
    timeout_seconds=INGEST_TIMEOUT_SECONDS,
    task_runner=_FETCH_RUNNER,
)
def ingest(
    sources_path: str,
    db_path: str,
    as_of: str | None = None,
    shard: int = 0,
    shards: int = 1,
    track_new: bool = True,
    routes_path: str | None = None,
    alerts: bool | None = None,
) -> Any:
    """One ingest cycle of the sources in ``sources_path`` into ``db_path``; its headline. A run in which some
    sources failed ends Completed with the state name ``Partial``.

    ``as_of``: ISO 8601 with offset (default: now). ``shard``/``shards``: take only the sources whose stable
    hash falls in this shard, so several runs can split one sources file between workers. ``track_new``: when
    the run stored new or changed items, group and flag them at once (a track run as of the same time), so a
    new item reaches ``v_overdue`` within one ingest cycle instead of waiting for the hourly track run; its urgent
    alerts (the routes in ``routes_path``, default ``$YUQING_ROUTES``) go out from there too; ``alerts``: as
    ``yuqing track --alerts`` (None: not in a backfill).
    """
    recovery.at_flow_start()  # label this run; mark runs a killed process left RUNNING crashed
    logger = get_run_logger()
    when = resolve_as_of(as_of)
    db = site_path(db_path)
    plan = plan_task(db, site_path(sources_path), when)
    groups = plan.groups(pipeline.DEFAULT_GROUP_SIZE, shard=shard, shards=shards)
    logger.info("run %s: %d sources to fetch in %d groups", plan.run_id, sum(map(len, groups)), len(groups))
    # One set of worker processes for parsing and classifying serves every fetch task of the run (they run
    # on threads of this process), instead of one set per group of sources.
    with Offload() as offload:

        def start(group: Sequence[pipeline.FetchJob]) -> pipeline.Started:
            return fetch_task.submit(list(group), as_of=when, offload=offload).result

        def store(results: list[SourceResult]) -> list[pipeline.SourceRow]:
            return store_task(db, plan.run_id, when, results)

        # The CLI's loop: groups stored in order while the next FETCH_WORKERS are fetched, so writes overlap the
        # remaining fetches.
        rows = pipeline.run_groups(groups, start, store, ahead=FETCH_WORKERS)
    report = finish_task(db, plan, rows)
    for line in report.abandoned:
        logger.warning("an earlier %s; marked abandoned, this run checked everything it may have left", line)
    # Per source: status, items seen/new/updated, charset mismatch, error (the run's Artifacts tab).
    create_table_artifact(table=report.table_rows(), key=ARTIFACT_KEY, description=_headline(report))
    logger.info("%s", _headline(report))
    if track_new and (report.new or report.updated):
        routes = site_path(routes_path) if routes_path else None
        tracked = track_task(db, when, routes, alerts)
        logger.info("track after ingest: %s", ", ".join(f"{k}={v}" for k, v in tracked.counts().items()))
        send_alerts(db, when, tracked, routes)
    if report.failed:
        # Completed, but named "Partial": ops can alert on the state name (docs/ops.md "Alerting on runs").
        failed = ", ".join(f"{r.source} ({r.status})" for r in report.failed[:10])
        logger.warning("%d source(s) failed: %s", len(report.failed), failed)
        return Completed(message=f"{len(report.failed)} source(s) failed: {failed}"[:500], name="Partial",
                         data=_headline(report))  # fmt: skip
    return _headline(report)


def _headline(report: pipeline.IngestReport) -> str:
    # Counts only: the full per-source table is the artifact, and logs never carry more than counts.
    counts = ", ".join(f"{k}={v}" for k, v in report.counts().items())
    return f"ingest {report.run_id}: {report.status}; {counts}"
