"""The library functions behind the CLI and the Prefect flows: ingest, track, alerts, digest, retag, readers.

Each step takes an explicit ``as_of``. The ingest loop lives in ``yuqing/ingest.py`` and is re-exported here,
so the CLI and the flows call every step through this module.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warehouse import checks as wh_checks
from warehouse.db import Warehouse, snapshot_path_for
from warehouse.snapshot import publish_snapshot, snapshot_published_at
from yuqing.errors import ConfigError, StorageError
from yuqing.ingest import DEFAULT_GROUP_SIZE as DEFAULT_GROUP_SIZE
from yuqing.ingest import DEFAULT_SNAPSHOT_MAX_AGE as DEFAULT_SNAPSHOT_MAX_AGE
from yuqing.ingest import FetchJob as FetchJob
from yuqing.ingest import IngestPlan as IngestPlan
from yuqing.ingest import IngestReport as IngestReport
from yuqing.ingest import SourceRow as SourceRow
from yuqing.ingest import Started as Started
from yuqing.ingest import default_fetch_settings as default_fetch_settings
from yuqing.ingest import fetch_group as fetch_group
from yuqing.ingest import finish_ingest as finish_ingest
from yuqing.ingest import ingest as ingest
from yuqing.ingest import new_run_id as new_run_id
from yuqing.ingest import plan_ingest as plan_ingest
from yuqing.ingest import run_groups as run_groups
from yuqing.ingest import shard_of as shard_of
from yuqing.ingest import snapshot_max_age as snapshot_max_age
from yuqing.ingest import store_group as store_group
from yuqing.models import Item, Tags
from yuqing.processing import classify_batch, is_backfill
from yuqing.reports import AlertStep as AlertStep
from yuqing.reports import TrackSummary as TrackSummary
from yuqing.reports import format_overdue as format_overdue
from yuqing.settings import Settings
from yuqing.timeutil import fmt_local, to_utc

if TYPE_CHECKING:
    from yuqing.track.run import LinkDecision

log = logging.getLogger("yuqing.pipeline")

# ---------------------------------------------------------------------------------------- track


def alert_routes(routes_path: Path | None) -> tuple[Any, ...]:
    """The routes that alert, from ``routes_path`` or ``$YUQING_ROUTES``; none when neither names a file
    (ConfigError when the file named is missing or invalid)."""
    from yuqing.alerts.run import alerting
    from yuqing.digest import load_routes

    routes_env = Settings.of().ROUTES
    path = routes_path or (Path(routes_env) if routes_env else None)
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
    """ "read from the snapshot published <time>": said wherever a command reads the snapshot."""
    published = snapshot_published_at(path=snapshot_path_for(db_path))
    return (
        None
        if published is None
        else f"(read from the snapshot published {fmt_local(published)} Asia/Shanghai)"
    )


def overdue(db_path: Path, *, as_of: datetime, lookback_days: int | None = 30) -> list[Any]:
    from yuqing.track.run import overdue as overdue_rows

    with reader(db_path) as wh:
        return list(overdue_rows(wh, to_utc(as_of), lookback_days=lookback_days))


def judgment_quality(db_path: Path, *, as_of: datetime, lookback_days: int | None = 30) -> Any:
    from yuqing.track.quality import judgment_quality as report

    with reader(db_path) as wh:
        return report(wh, to_utc(as_of), lookback_days=lookback_days)


def export_label_candidates(db_path: Path, out: Path, *, as_of: datetime, lookback_days: int | None = 30) -> str:
    """Write the items behind analysts' corrections of the classifier as a labelling batch (JSON lines) to ``out``."""
    from yuqing.track.quality import label_candidates

    with reader(db_path) as wh:
        rows = label_candidates(wh, to_utc(as_of), lookback_days=lookback_days)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    except OSError as e:
        raise StorageError(f"cannot write {out}: {e.strerror or e}") from e
    return (
        f"{len(rows)} items behind analysts' corrections written to {out}: label them by reading "
        "(training/LABELLING.md), then retrain with them (training/README.md, \"A deployment's own labels\")"
    )


def set_severity(db_path: Path, event_id: str, severity: str, *, analyst: str, reason: str) -> str:
    """An analyst's severity for an event; its milestones are recomputed and a new snapshot published, so every
    reader sees it at once."""
    from yuqing.track.run import set_severity_override

    with Warehouse.open(db_path) as wh:
        set_severity_override(wh, event_id, severity, analyst, reason)
        publish_snapshot(wh)
    return f"{event_id}: severity set to {severity} by {analyst} ({reason}); snapshot republished"


def link_response(db_path: Path, decision: LinkDecision) -> str:
    """An analyst's word that an item answers an event (or does not); the event's milestones are recomputed and a
    new snapshot published, so every reader sees it at once."""
    from yuqing.track.run import decide_response

    with Warehouse.open(db_path) as wh:
        event_id, ms = decide_response(wh, decision)
        publish_snapshot(wh)
    what = "no longer answers" if decision.remove else "answers"
    states = "; ".join(
        f"{m.milestone} {m.status}" + (f" by {m.met_by_item_id} at {fmt_local(m.met_at)}" if m.met_at else "")
        for m in ms
    )
    return (
        f"{event_id}: {decision.item_id} {what} it, by {decision.analyst} ({decision.reason}); milestones: {states}; "
        "snapshot republished"
    )


def merge(db_path: Path, event_ids: Sequence[str], *, analyst: str, reason: str, undo: bool = False) -> str:
    """An analyst's word that events are one incident (or, ``undo``, taking back the merges that made one event); the
    events' responses and milestones are recomputed and a new snapshot published, so every reader sees it at once."""
    from yuqing.track.merges import Word, unmerge
    from yuqing.track.merges import merge as join

    if undo and len(event_ids) != 1:
        raise ValueError("--undo takes one event: the one the merge made")
    with Warehouse.open(db_path) as wh:
        if undo:
            r = unmerge(wh, event_ids[0], Word(analyst, reason))
        else:
            r = join(wh, event_ids, Word(analyst, reason))
        publish_snapshot(wh)
    return _regrouped(r, analyst, reason)


def split(db_path: Path, event_id: str, item_ids: Sequence[str], *, analyst: str, reason: str, undo: bool = False) -> str:
    """An analyst's word that reports of an event are another matter (or, ``undo``, taking back the splits that stand on
    its reports); the events' responses and milestones are recomputed and a new snapshot published."""
    from yuqing.track.merges import Word, unsplit
    from yuqing.track.merges import split as part

    if undo and item_ids:
        raise ValueError("--undo takes the event alone: every split standing on its reports is taken back")
    with Warehouse.open(db_path) as wh:
        if undo:
            r = unsplit(wh, event_id, Word(analyst, reason))
        else:
            r = part(wh, event_id, item_ids, Word(analyst, reason))
        publish_snapshot(wh)
    return _regrouped(r, analyst, reason)


def _regrouped(r: Any, analyst: str, reason: str) -> str:
    """One line on what a ``yuqing.track.merges.Regrouping`` did."""
    states = "; ".join(
        f"{m.event_id} {m.milestone} {m.status}" + (f" by {m.met_by_item_id} at {fmt_local(m.met_at)}" if m.met_at else "")
        for m in r.milestones
    )
    what = {
        "merged": f"{', '.join(r.from_ids)} merged into {r.event_ids[0]}",
        "split": f"{r.from_ids[0]} split into {', '.join(r.event_ids)}",
    }.get(r.decision, f"{', '.join(r.from_ids)}: {r.decision}; the grouper read the reports again: {', '.join(r.event_ids)}")
    return (
        f"{what} by {analyst} ({reason}; {', '.join(r.decision_ids)}): {r.items} reports; milestones: {states or 'none'}; "
        "snapshot republished"
    )


def dismiss(
    db_path: Path, event_id: str, *, analyst: str, reason: str, undo: bool = False, at: datetime | None = None
) -> str:
    """An analyst's word that an event needs no answer (or, ``undo``, that it does after all); a new snapshot is
    published, so every reader sees it at once."""
    from yuqing.track.run import dismiss as record

    with Warehouse.open(db_path) as wh:
        d = record(wh, event_id, analyst, reason, undo=undo, at=at)
        publish_snapshot(wh)
    when = fmt_local(d.at)
    if not d.dismissed:
        return (
            f"{d.event_id}: dismissal taken back by {analyst} as of {when} ({reason}); open milestones flagged "
            f"again: {d.open_milestones}; snapshot republished"
        )
    return (
        f"{d.event_id}: dismissed by {analyst} as of {when} ({reason}); open milestones no longer flagged: "
        f"{d.open_milestones}; members covered: {d.covered} (a report that is an issue joining it later reopens "
        "it); snapshot republished"
    )


def explain_event(db_path: Path, event_id: str) -> str:
    from yuqing.track.explain import explain_event as explain

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
            path = routes_path or Path(Settings.of().ROUTES or "routes.toml")
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
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from classifiers import Classifier
    from warehouse.items import retag as store_retag
    from warehouse.store import load_source_configs

    classifier = Classifier.default()
    bar = Progress(
        TextColumn("retag"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not progress,
        transient=False,
    )
    task = bar.add_task("retag", total=None)

    def show(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    with bar, Warehouse.open(db_path) as wh:
        configs = load_source_configs(wh)

        def classify_stored(items: Sequence[Item]) -> list[Tags]:
            return classify_batch(classifier, items, configs)

        n = store_retag(wh, classify_stored, batch_size, show, skip_version=classifier.version)
        publish_snapshot(wh)
    return f"re-classified {n} items with classifier {classifier.version}"
