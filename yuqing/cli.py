"""The ``yuqing`` command (README.md "Commands").

Every command is one row of ``COMMANDS``: its help, its arguments and the function that runs it. Commands call
the library directly; only ``serve`` goes through Prefect. Imports are lazy so that a one-off command such as
``yuqing tag`` starts in well under a second.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from yuqing.errors import StorageError, YuqingError
from yuqing.textsafe import TerminalWriter
from yuqing.vocab import SEVERITIES


def _db_default() -> str:
    from yuqing.settings import Settings  # not at import: `yuqing tag` starts without it

    return Settings.of().DB or "yuqing.duckdb"


def _as_of(args: argparse.Namespace) -> datetime:
    from yuqing.timeutil import parse_as_of

    return parse_as_of(args.as_of)


def _routes(args: argparse.Namespace) -> Path | None:
    from yuqing.settings import Settings

    routes = args.routes or Settings.of().ROUTES
    return Path(routes) if routes else None


# --- arguments -------------------------------------------------------------------------------------------


def _no_args(p: argparse.ArgumentParser) -> None:
    pass


def _as_of_arg(p: argparse.ArgumentParser, help: str | None = None) -> None:
    p.add_argument("--as-of", dest="as_of", help=help)


def _routes_arg(p: argparse.ArgumentParser, help: str = "routes file with the alert settings") -> None:
    p.add_argument("--routes", help=f"{help} (default: $YUQING_ROUTES)")


def _demo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--out-dir", default="demo-out", help="where the demo writes its digest (default: demo-out)"
    )
    p.add_argument("--keep-db", action="store_true", help="do not start from a fresh database")


def _ingest_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sources", help="sources file (TOML; default: $YUQING_SOURCES or ./sources.toml)")
    _as_of_arg(p, "ISO 8601 timestamp with offset (default: now)")


def _track_args(p: argparse.ArgumentParser) -> None:
    _as_of_arg(p)
    p.add_argument(
        "--history",
        action="store_true",
        help="let items that were already older than the lookback (30 days) when first fetched open events "
        "too, those set aside before included (a backfill of history; docs/ops.md)",
    )
    _routes_arg(p)
    p.add_argument(
        "--alerts",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="raise and send urgent alerts (default: yes, except in a backfill, when as_of is more than an hour "
        "behind the clock; docs/alerts.md)",
    )


def _alerts_args(p: argparse.ArgumentParser) -> None:
    _as_of_arg(p)
    _routes_arg(p)
    p.add_argument(
        "--send",
        action="store_true",
        help="send the alerts that are due (pending, or failed and due a retry)",
    )
    p.add_argument("--limit", type=int, default=50, help="ledger rows to show (default 50)")
    p.add_argument("--test", metavar="ROUTE", help="send a test message on every alert channel of ROUTE")


def _digest_args(p: argparse.ArgumentParser) -> None:
    _as_of_arg(p)
    p.add_argument("--to", nargs="+", metavar="ADDR", help="send to these addresses instead of the routes")
    p.add_argument("--out", help="write the .eml (and an .html preview) to this file instead of sending")
    _routes_arg(p, "routes file (TOML)")
    p.add_argument("--force", action="store_true", help="send again even if today's digest was sent")


def _window_args(p: argparse.ArgumentParser, json_help: str, window: str) -> None:
    """--as-of, --json and --lookback-days: a read over the events that started in a window before TS."""
    _as_of_arg(p)
    p.add_argument("--json", action="store_true", help=json_help)
    p.add_argument(
        "--lookback-days", dest="lookback_days", type=int, default=30, metavar="N", help=f"{window} (default 30)"
    )


def _overdue_args(p: argparse.ArgumentParser) -> None:
    _window_args(p, "one JSON object per overdue milestone", "only events that started in the N days before TS, as the digest; 0 = no limit")


def _quality_args(p: argparse.ArgumentParser) -> None:
    _window_args(p, "one JSON object", "events that started in the N days before TS; 0 = every stored event")
    p.add_argument(
        "--export",
        metavar="FILE",
        help="also write the items behind the corrections of the classifier (JSON lines) for labelling",
    )


def _event_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("event_id")


def _analyst_args(p: argparse.ArgumentParser, why: str = "why") -> None:
    p.add_argument("--analyst", required=True, help="who decided")
    p.add_argument("--reason", required=True, help=why)


def _severity_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("event_id")
    p.add_argument("severity", choices=SEVERITIES)
    _analyst_args(p)


def _link_args(p: argparse.ArgumentParser) -> None:
    from yuqing.vocab import MILESTONES

    p.add_argument("event_id")
    p.add_argument("item_id", help="the response item (items.item_id; `yuqing event` and v_items show them)")
    _analyst_args(p, "why it answers the event (or, with --remove, why it does not)")
    p.add_argument("--remove", action="store_true", help="it does not answer the event: remove the link")
    p.add_argument(
        "--kinds",
        nargs="+",
        choices=MILESTONES,
        metavar="KIND",
        help=f"the milestones it meets ({', '.join(MILESTONES)}; default: the item's own response kinds, "
        "else first_information and first_response)",
    )


def _dismiss_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("event_id")
    _analyst_args(p, "why the event needs no answer (or, with --undo, why it does)")
    p.add_argument("--undo", action="store_true", help="take an earlier dismissal back")
    p.add_argument(
        "--at",
        metavar="TS",
        help="when it takes effect (ISO 8601 with an offset; default now): flags as of TS or later follow it",
    )


def _merge_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("event_ids", nargs="+", metavar="EVENT_ID", help="the events that are one incident (two or more)")
    _analyst_args(p, "why they are one incident (or, with --undo, why not)")
    p.add_argument(
        "--undo", action="store_true", help="take back the merges that made EVENT_ID: the grouper reads its reports again"
    )


def _split_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("event_id")
    p.add_argument("item_ids", nargs="*", metavar="ITEM_ID", help="its reports that are another matter (`yuqing event` lists them)")
    _analyst_args(p, "why they are another matter (or, with --undo, why not)")
    p.add_argument(
        "--undo", action="store_true", help="take back the splits standing on EVENT_ID's reports: the grouper reads them again"
    )


def _retag_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--batch-size", type=int, default=5000)


# --- commands --------------------------------------------------------------------------------------------


def _run_demo(args: argparse.Namespace, db: Path) -> int:
    from yuqing.demo import run_demo

    return run_demo(db, out_dir=Path(args.out_dir), fresh=not args.keep_db)


def _run_ingest(args: argparse.Namespace, db: Path) -> int:
    from yuqing import pipeline
    from yuqing.settings import Settings

    sources = Path(args.sources or Settings.of().SOURCES or "sources.toml")
    print(pipeline.ingest(db, sources, as_of=_as_of(args)).summary())
    return 0


def _run_track(args: argparse.Namespace, db: Path) -> int:
    from yuqing import pipeline

    report = pipeline.track(
        db, as_of=_as_of(args), history=args.history, routes_path=_routes(args), alerts=args.alerts
    )
    print(report.summary())
    return 0 if report.alerts is None or report.alerts.ok else 1


def _run_alerts(args: argparse.Namespace, db: Path) -> int:
    from yuqing import pipeline

    return pipeline.alerts_command(
        db, as_of=_as_of(args), routes_path=_routes(args), send=args.send, limit=args.limit, test=args.test
    )


def _run_digest(args: argparse.Namespace, db: Path) -> int:
    from yuqing import pipeline

    out = pipeline.digest(
        db,
        as_of=_as_of(args),
        to=args.to,
        out=Path(args.out) if args.out else None,
        routes_path=_routes(args),
        force=args.force,
    )
    print(out)
    return 0


def _run_tag(args: argparse.Namespace, db: Path) -> int:
    from yuqing.tagcmd import run_tag

    return run_tag(sys.stdin, sys.stdout)


def _lookback(args: argparse.Namespace) -> int | None:
    if args.lookback_days < 0:
        raise ValueError("--lookback-days must be >= 0 (0 = no limit)")
    return args.lookback_days or None


def _print_read(args: argparse.Namespace, db: Path, objects: Sequence[dict[str, Any]], text: Callable[[], str]) -> int:
    """What a read command found: with --json one JSON object a line, else ``text()``; then the note of the snapshot
    read (to stderr beside JSON)."""
    from yuqing import pipeline

    note = pipeline.snapshot_note(db)
    if args.json:
        for obj in objects:
            print(json.dumps(obj, ensure_ascii=False))
    else:
        print(text())
    if note:
        print(note, file=sys.stderr if args.json else sys.stdout)
    return 0


def _run_overdue(args: argparse.Namespace, db: Path) -> int:
    from yuqing import pipeline

    rows = pipeline.overdue(db, as_of=_as_of(args), lookback_days=_lookback(args))
    return _print_read(args, db, [row.as_json() for row in rows], lambda: pipeline.format_overdue(rows))


def _run_quality(args: argparse.Namespace, db: Path) -> int:
    from yuqing import pipeline
    from yuqing.reports import format_quality

    as_of, lookback = _as_of(args), _lookback(args)
    report = pipeline.judgment_quality(db, as_of=as_of, lookback_days=lookback)
    if args.export:
        done = pipeline.export_label_candidates(db, Path(args.export), as_of=as_of, lookback_days=lookback)
        print(done, file=sys.stderr if args.json else sys.stdout)
    return _print_read(args, db, [report.as_json()], lambda: format_quality(report))


def _run_event(args: argparse.Namespace, db: Path) -> int:
    from yuqing import pipeline

    print(pipeline.explain_event(db, args.event_id))
    note = pipeline.snapshot_note(db)
    if note:
        print(note)
    return 0


def _run_severity(args: argparse.Namespace, db: Path) -> int:
    from yuqing import pipeline

    print(pipeline.set_severity(db, args.event_id, args.severity, analyst=args.analyst, reason=args.reason))
    return 0


def _run_link(args: argparse.Namespace, db: Path) -> int:
    from yuqing import pipeline
    from yuqing.track.run import LinkDecision

    kinds = tuple(args.kinds or ())
    decision = LinkDecision(args.event_id, args.item_id, args.analyst, args.reason, args.remove, kinds)
    print(pipeline.link_response(db, decision))
    return 0


def _run_dismiss(args: argparse.Namespace, db: Path) -> int:
    from yuqing import pipeline
    from yuqing.timeutil import parse_as_of

    at = parse_as_of(args.at) if args.at else None
    print(pipeline.dismiss(db, args.event_id, analyst=args.analyst, reason=args.reason, undo=args.undo, at=at))
    return 0


def _run_merge(args: argparse.Namespace, db: Path) -> int:
    from yuqing import pipeline

    print(pipeline.merge(db, args.event_ids, analyst=args.analyst, reason=args.reason, undo=args.undo))
    return 0


def _run_split(args: argparse.Namespace, db: Path) -> int:
    from yuqing import pipeline

    print(pipeline.split(db, args.event_id, args.item_ids, analyst=args.analyst, reason=args.reason, undo=args.undo))
    return 0


def _run_retag(args: argparse.Namespace, db: Path) -> int:
    from yuqing import pipeline

    print(pipeline.retag(db, batch_size=args.batch_size))
    return 0


def _run_serve(args: argparse.Namespace, db: Path) -> int:
    from yuqing.serve import serve

    return serve(db)


@dataclass(frozen=True, slots=True)
class Command:
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Path], int]
    # Only reads the warehouse (given these arguments): a mistyped --db must not create an empty warehouse
    # and report "nothing overdue".
    reads_only: Callable[[argparse.Namespace], bool] = lambda args: False
    uses_db: bool = True


COMMANDS: dict[str, Command] = {
    "demo": Command(
        "run the whole pipeline on the bundled feed snapshots over 127.0.0.1", _demo_args, _run_demo
    ),
    "ingest": Command("one ingest cycle", _ingest_args, _run_ingest),
    "track": Command("group events, link responses, compute deadlines and flags", _track_args, _run_track),
    "alerts": Command(
        "the urgent-alert ledger; --send delivers the alerts due now",
        _alerts_args,
        _run_alerts,
        lambda args: not (args.send or args.test),
    ),
    "digest": Command(
        "build and send (or write) the daily digest", _digest_args, _run_digest, lambda args: bool(args.out)
    ),
    "tag": Command(
        "classify JSON lines from stdin: {id,title,text[,url,source]} -> tags on stdout",
        _no_args,
        _run_tag,
        uses_db=False,
    ),
    "overdue": Command("events overdue as of TS", _overdue_args, _run_overdue, lambda args: True),
    "event": Command(
        "explain one event: items, responses, milestones, evidence",
        _event_args,
        _run_event,
        lambda args: True,
    ),
    "quality": Command(
        "analysts' corrections of the tracker's judgments: dismissed events, removed and added links, by what opened "
        "each event, its source and topic",
        _quality_args,
        _run_quality,
        lambda args: True,
    ),
    "severity": Command(
        "an analyst's severity for an event (wins over the proposal)", _severity_args, _run_severity
    ),
    "link": Command(
        "an analyst's word that an item answers an event (or, --remove, that it does not)", _link_args, _run_link
    ),
    "dismiss": Command(
        "an analyst's word that an event needs no answer: no flags, alerts or digest until a new report",
        _dismiss_args,
        _run_dismiss,
    ),
    "merge": Command(
        "an analyst's word that events are one incident: one event, one clock, in every track run after (--undo: not)",
        _merge_args,
        _run_merge,
    ),
    "split": Command(
        "an analyst's word that reports of an event are another matter: they leave it, in every track run after "
        "(--undo: not)",
        _split_args,
        _run_split,
    ),
    "retag": Command("re-classify stored items (after lexicon changes)", _retag_args, _run_retag),
    "serve": Command(
        "serve the ingest/track/digest deployments on their schedules (Prefect)", _no_args, _run_serve
    ),
}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="yuqing",
        description="政务舆情 monitoring: ingest feeds, classify, track response deadlines, send the digest.",
    )
    p.add_argument("--db", help="DuckDB file (default: $YUQING_DB or ./yuqing.duckdb)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in COMMANDS.items():
        command.arguments(sub.add_parser(name, help=command.help))
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    db = Path(args.db or _db_default()) if COMMANDS[args.command].uses_db else Path()
    # Human-readable output shows control and bidi characters instead of obeying them (yuqing/textsafe.py);
    # JSON output (tag, --json) escapes them itself.
    sys.stderr = TerminalWriter(sys.stderr)
    if args.command != "tag" and not getattr(args, "json", False):
        sys.stdout = TerminalWriter(sys.stdout)
    command = COMMANDS[args.command]
    try:
        if command.reads_only(args) and str(db) != ":memory:" and not db.exists():
            raise StorageError(
                f"no warehouse at {db} (check --db or YUQING_DB): `yuqing {args.command}` only reads, "
                "so it creates none"
            )
        return command.run(args, db)
    except YuqingError as e:
        print(f"yuqing {args.command}: error: {e}", file=sys.stderr)
        return 2
    except ValueError as e:  # bad --as-of and similar user input
        print(f"yuqing {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`yuqing overdue --json | head`): stop quietly, as other command-line tools do, with
        # stdout pointed at /dev/null so the interpreter's final flush does not fail again.
        if sys.__stdout__ is not None:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.__stdout__.fileno())
        return 141


if __name__ == "__main__":
    raise SystemExit(main())
