"""The ``track`` flow: group items into events, link responses, compute deadlines and flags."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from flows.common import current_run_name, resolve_as_of, retry_condition, warehouse_lock
from yuqing import pipeline

TRACK_TIMEOUT_SECONDS = 15 * 60
TRACK_RETRIES = 2
TRACK_RETRY_DELAY_SECONDS = 10.0

ARTIFACT_KEY = "track-report"


@task(
    name="track",
    retries=TRACK_RETRIES,
    retry_delay_seconds=TRACK_RETRY_DELAY_SECONDS,
    retry_condition_fn=retry_condition,
    cache_policy=NO_CACHE,
    persist_result=False,
)
def track_task(db_path: Path, as_of: datetime) -> pipeline.TrackSummary:
    with warehouse_lock():
        return pipeline.track(db_path, as_of=as_of)


@flow(name="track", flow_run_name=current_run_name, timeout_seconds=TRACK_TIMEOUT_SECONDS)
def track(db_path: str, as_of: str | None = None) -> str:
    """Events, responses and deadlines in ``db_path`` as of ``as_of`` (ISO 8601 with offset; default now)."""
    report = track_task(Path(db_path), resolve_as_of(as_of))
    # New events and overdue milestones, for ops in the run's Artifacts tab.
    headline = _headline(report)
    create_markdown_artifact(markdown=report.markdown(), key=ARTIFACT_KEY, description=headline)
    get_run_logger().info("%s", headline)
    return headline


def _headline(report: pipeline.TrackSummary) -> str:
    return "track: " + ", ".join(f"{k}={v}" for k, v in report.counts().items())
