"""The ``digest`` flow: bring tracking up to date, then build and send (or write) the daily digest."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows import recovery
from flows.common import (
    _exception_of,
    current_run_name,
    resolve_as_of,
    retry_condition,
    secret_value,
    site_path,
    step,
    warehouse_lock,
)
from flows.track import send_alerts, track_task
from yuqing import pipeline
from yuqing.errors import DeliveryError

DIGEST_TIMEOUT_SECONDS = 15 * 60
# The task is retried for what the library does not retry itself (the warehouse busy, a lost connection to it).
# SMTP failures are not: the library has already made YUQING_SMTP_MAX_ATTEMPTS attempts with backoff, and those
# are the attempts the ledger counts (docs/digest.md); the next scheduled run tries a failed route again.
DIGEST_RETRIES = 2
DIGEST_RETRY_DELAY_SECONDS = 60.0


def _digest_retry_condition(task: Any, task_run: Any, state: Any) -> bool:
    return retry_condition(task, task_run, state) and not isinstance(_exception_of(state), DeliveryError)


ARTIFACT_KEY = "digest-report"
QUALITY_KEY = "judgment-quality"


@step("digest", retries=DIGEST_RETRIES, delay=DIGEST_RETRY_DELAY_SECONDS, condition=_digest_retry_condition)
def digest_task(
    db_path: Path,
    as_of: datetime,
    to: list[str] | None,
    out: Path | None,
    routes_path: Path | None,
    force: bool,
) -> str:
    with warehouse_lock():
        return pipeline.digest(
            db_path, as_of=as_of, to=to, out=out, routes_path=routes_path, force=force, resolve_secret=secret_value
        )


@flow(name="digest", flow_run_name=current_run_name, timeout_seconds=DIGEST_TIMEOUT_SECONDS)
def digest(
    db_path: str,
    as_of: str | None = None,
    routes_path: str | None = None,
    force: bool = False,
    to: list[str] | None = None,
    out: str | None = None,
) -> str:
    """The digest as of ``as_of`` (default now), sent per ``routes_path`` or to ``to``, or written to ``out``.

    Tracking runs first so the digest never reports the previous hour's deadlines.
    """
    recovery.at_flow_start()  # label this run; mark runs a killed process left RUNNING crashed
    when = resolve_as_of(as_of)
    db = site_path(db_path)
    tracked = track_task(db, when)
    send_alerts(db, when, tracked, site_path(routes_path) if routes_path else None)
    result = digest_task(
        db, when, to, site_path(out) if out else None, site_path(routes_path) if routes_path else None, force
    )
    create_markdown_artifact(markdown=result, key=ARTIFACT_KEY, description="daily digest")
    logger = get_run_logger()
    for line in result.splitlines() or ["digest: nothing to report"]:
        logger.info("%s", line)  # every route's outcome
    publish_quality(db, when)
    return result


def publish_quality(db: Path, when: datetime) -> None:
    """Beside the digest, what analysts have corrected of the judgments over the last 30 days (``yuqing quality``), as
    a markdown artifact: the day's versions show ops leads where the overdue list is weakest and whether it drifts. A
    report that cannot be read is logged, and the digest's run stays as it was."""
    from yuqing.reports import format_quality

    try:
        report = pipeline.judgment_quality(db, as_of=when)
    except Exception as exc:  # a side report: the digest has been sent either way
        get_run_logger().warning("judgment quality not reported: %s", exc)
        return
    text = format_quality(report)
    create_markdown_artifact(
        markdown=f"```\n{text}\n```", key=QUALITY_KEY, description="analysts' corrections of the judgments, 30 days"
    )
