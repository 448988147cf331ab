"""The ``track`` flow: group items into events, link responses, compute deadlines and flags."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows import recovery
from flows.common import (
    current_run_name,
    resolve_as_of,
    secret_value,
    site_path,
    step,
    warehouse_lock,
)
from yuqing import pipeline
from yuqing.errors import DeliveryError

TRACK_TIMEOUT_SECONDS = 15 * 60
TRACK_RETRIES = 2
TRACK_RETRY_DELAY_SECONDS = 10.0

ARTIFACT_KEY = "track-report"
ALERTS_ARTIFACT_KEY = "alerts-report"


@step("track", retries=TRACK_RETRIES, delay=TRACK_RETRY_DELAY_SECONDS)
def track_task(
    db_path: Path, as_of: datetime, routes_path: Path | None = None, alerts: bool | None = None
) -> pipeline.TrackSummary:
    # Alerts are raised here, under the warehouse slot, and sent by ``alerts_task`` after it is released.
    with warehouse_lock():
        return pipeline.track(
            db_path,
            as_of=as_of,
            routes_path=routes_path,
            alerts=alerts,
            deliver=False,
            resolve_secret=secret_value,
        )


@step("alerts")
def alerts_task(db_path: Path, as_of: datetime, routes_path: Path | None = None) -> str:
    """Send the urgent alerts due as of ``as_of``, outside the warehouse slot: a channel that is down costs
    one bounded attempt and never holds ingest or track. Failed alerts are in the ledger and retried by the
    next run; this task fails so that the flow run shows them."""
    report = pipeline.deliver_alerts(
        db_path, as_of=as_of, routes_path=routes_path, resolve_secret=secret_value
    )
    if not report.ok:
        raise DeliveryError(report.summary())
    return report.summary()


def send_alerts(
    db: Path, when: datetime, summary: pipeline.TrackSummary, routes_path: Path | None
) -> str | None:
    """After a track step: deliver what it raised (and what is waiting), reporting a failure in the run's log
    and artifacts without failing the flow's own work."""
    step = summary.alerts
    logger = get_run_logger()
    if step is None or step.skipped:
        return None
    if step.error:
        logger.error("%s", step.summary())
        create_markdown_artifact(markdown=f"# alerts\n\n{step.summary()}", key=ALERTS_ARTIFACT_KEY)
        return step.summary()
    state = alerts_task(db, when, routes_path, return_state=True)
    if state.is_completed():
        line = f"alerts: {step.raised} raised; " + str(state.result()).removeprefix("alerts: ")
        logger.info("%s", line)
    else:
        line = f"alerts: {step.raised} raised; " + str(state.message or "delivery failed")
        logger.error("%s", line)
    create_markdown_artifact(markdown=f"# alerts\n\n{line}", key=ALERTS_ARTIFACT_KEY, description=line[:200])
    return line


@flow(name="track", flow_run_name=current_run_name, timeout_seconds=TRACK_TIMEOUT_SECONDS)
def track(
    db_path: str, as_of: str | None = None, routes_path: str | None = None, alerts: bool | None = None
) -> str:
    """Events, responses and deadlines in ``db_path`` as of ``as_of`` (ISO 8601 with offset; default now), and
    the urgent alerts of the routes in ``routes_path`` (default ``$YUQING_ROUTES``; docs/alerts.md)."""
    recovery.at_flow_start()  # label this run; mark runs a killed process left RUNNING crashed
    when = resolve_as_of(as_of)
    routes = site_path(routes_path) if routes_path else None
    report = track_task(site_path(db_path), when, routes, alerts)
    # New events and overdue milestones, for ops in the run's Artifacts tab.
    headline = _headline(report)
    create_markdown_artifact(markdown=report.markdown(), key=ARTIFACT_KEY, description=headline)
    get_run_logger().info("%s", headline)
    send_alerts(site_path(db_path), when, report, routes)
    return headline


def _headline(report: pipeline.TrackSummary) -> str:
    return "track: " + ", ".join(f"{k}={v}" for k, v in report.counts().items())
