"""The ``yuqing`` command (README.md "Commands").

Commands call the library directly; only ``serve`` goes through Prefect. Imports are lazy so that a
one-off command such as ``yuqing tag`` starts in well under a second.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from yuqing.errors import StorageError, YuqingError
from yuqing.textsafe import TerminalWriter
from yuqing.vocab import SEVERITIES


def _db_default() -> str:
    return os.environ.get("YUQING_DB", "yuqing.duckdb")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="yuqing",
        description="政务舆情 monitoring: ingest feeds, classify, track response deadlines, send the digest.",
    )
    p.add_argument("--db", default=_db_default(), help="DuckDB file (default: $YUQING_DB or ./yuqing.duckdb)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    d = sub.add_parser("demo", help="run the whole pipeline on the bundled feed snapshots over 127.0.0.1")
    d.add_argument("--out-dir", default="demo-out", help="where the demo writes its digest (default: demo-out)")
    d.add_argument("--keep-db", action="store_true", help="do not start from a fresh database")

    i = sub.add_parser("ingest", help="one ingest cycle")
    i.add_argument("--sources", default=os.environ.get("YUQING_SOURCES", "sources.toml"), help="sources file (TOML)")
    i.add_argument("--as-of", dest="as_of", help="ISO 8601 timestamp with offset (default: now)")

    t = sub.add_parser("track", help="group events, link responses, compute deadlines and flags")
    t.add_argument("--as-of", dest="as_of")
    t.add_argument(
        "--history",
        action="store_true",
        help="let items that were already older than the lookback (30 days) when first fetched open events "
        "too, those set aside before included (a backfill of history; docs/ops.md)",
    )
    t.add_argument(
        "--routes", default=os.environ.get("YUQING_ROUTES"), help="routes file with the alert settings"
    )
    t.add_argument(
        "--alerts",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="raise and send urgent alerts (default: yes, except in a backfill, when as_of is more than an hour "
        "behind the clock; docs/alerts.md)",
    )

    a = sub.add_parser("alerts", help="the urgent-alert ledger; --send delivers the alerts due now")
    a.add_argument("--as-of", dest="as_of")
    a.add_argument(
        "--routes", default=os.environ.get("YUQING_ROUTES"), help="routes file with the alert settings"
    )
    a.add_argument(
        "--send",
        action="store_true",
        help="send the alerts that are due (pending, or failed and due a retry)",
    )
    a.add_argument("--limit", type=int, default=50, help="ledger rows to show (default 50)")
    a.add_argument("--test", metavar="ROUTE", help="send a test message on every alert channel of ROUTE")

    g = sub.add_parser("digest", help="build and send (or write) the daily digest")
    g.add_argument("--as-of", dest="as_of")
    g.add_argument("--to", nargs="+", metavar="ADDR", help="send to these addresses instead of the routes")
    g.add_argument("--out", help="write the .eml (and an .html preview) to this file instead of sending")
    g.add_argument("--routes", default=os.environ.get("YUQING_ROUTES"), help="routes file (TOML)")
    g.add_argument("--force", action="store_true", help="send again even if today's digest was sent")

    sub.add_parser("tag", help="classify JSON lines from stdin: {id,title,text[,url,source]} -> tags on stdout")

    o = sub.add_parser("overdue", help="events overdue as of TS")
    o.add_argument("--as-of", dest="as_of")
    o.add_argument("--json", action="store_true", help="one JSON object per overdue milestone")
    o.add_argument(
        "--lookback-days",
        dest="lookback_days",
        type=int,
        default=30,
        metavar="N",
        help="only events that started in the N days before TS (default 30, as the digest; 0 = no limit)",
    )

    e = sub.add_parser("event", help="explain one event: items, responses, milestones, evidence")
    e.add_argument("event_id")

    v = sub.add_parser("severity", help="an analyst's severity for an event (wins over the proposal)")
    v.add_argument("event_id")
    v.add_argument("severity", choices=SEVERITIES)
    v.add_argument("--analyst", required=True, help="who decided")
    v.add_argument("--reason", required=True, help="why")

    r = sub.add_parser("retag", help="re-classify stored items (after lexicon changes)")
    r.add_argument("--batch-size", type=int, default=5000)

    sub.add_parser("serve", help="serve the ingest/track/digest deployments on their schedules (Prefect)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    db = Path(args.db)
    # Human-readable output shows control and bidi characters instead of obeying them (yuqing/textsafe.py);
    # JSON output (tag, --json) escapes them itself.
    sys.stderr = TerminalWriter(sys.stderr)
    if args.command != "tag" and not getattr(args, "json", False):
        sys.stdout = TerminalWriter(sys.stdout)
    try:
        return _dispatch(args, db)
    except YuqingError as e:
        print(f"yuqing {args.command}: error: {e}", file=sys.stderr)
        return 2
    except ValueError as e:  # bad --as-of and similar user input
        print(f"yuqing {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


# Commands that only read: a mistyped --db must not create an empty warehouse and report "nothing overdue".
_READERS = {"overdue", "event", "alerts"}


def _dispatch(args: argparse.Namespace, db: Path) -> int:
    from yuqing.timeutil import parse_as_of

    cmd = args.command
    reads_only = cmd in _READERS and not (cmd == "alerts" and (args.send or args.test))
    if (reads_only or (cmd == "digest" and args.out)) and str(db) != ":memory:" and not db.exists():
        raise StorageError(
            f"no warehouse at {db} (check --db or YUQING_DB): `yuqing {cmd}` only reads, so it creates none"
        )
    if cmd == "tag":
        from yuqing.tagcmd import run_tag

        return run_tag(sys.stdin, sys.stdout)
    if cmd == "demo":
        from yuqing.demo import run_demo

        return run_demo(db, out_dir=Path(args.out_dir), fresh=not args.keep_db)
    if cmd == "ingest":
        from yuqing import pipeline

        report = pipeline.ingest(db, Path(args.sources), as_of=parse_as_of(args.as_of))
        print(report.summary())
        return 0
    if cmd == "track":
        from yuqing import pipeline

        track_report = pipeline.track(
            db,
            as_of=parse_as_of(args.as_of),
            history=args.history,
            routes_path=Path(args.routes) if args.routes else None,
            alerts=args.alerts,
        )
        print(track_report.summary())
        return 0 if track_report.alerts is None or track_report.alerts.ok else 1
    if cmd == "alerts":
        from yuqing import pipeline

        return pipeline.alerts_command(
            db,
            as_of=parse_as_of(args.as_of),
            routes_path=Path(args.routes) if args.routes else None,
            send=args.send,
            limit=args.limit,
            test=args.test,
        )
    if cmd == "overdue":
        from yuqing import pipeline

        if args.lookback_days < 0:
            raise ValueError("--lookback-days must be >= 0 (0 = no limit)")
        rows = pipeline.overdue(db, as_of=parse_as_of(args.as_of), lookback_days=args.lookback_days or None)
        note = pipeline.snapshot_note(db)
        if args.json:
            for row in rows:
                print(json.dumps(row.as_json(), ensure_ascii=False))
            if note:
                print(note, file=sys.stderr)
        else:
            print(pipeline.format_overdue(rows))
            if note:
                print(note)
        return 0
    if cmd == "event":
        from yuqing import pipeline

        print(pipeline.explain_event(db, args.event_id))
        note = pipeline.snapshot_note(db)
        if note:
            print(note)
        return 0
    if cmd == "severity":
        from yuqing import pipeline

        print(pipeline.set_severity(db, args.event_id, args.severity, analyst=args.analyst, reason=args.reason))
        return 0
    if cmd == "digest":
        from yuqing import pipeline

        out = pipeline.digest(
            db,
            as_of=parse_as_of(args.as_of),
            to=args.to,
            out=Path(args.out) if args.out else None,
            routes_path=Path(args.routes) if args.routes else None,
            force=args.force,
        )
        print(out)
        return 0
    if cmd == "retag":
        from yuqing import pipeline

        print(pipeline.retag(db, batch_size=args.batch_size))
        return 0
    if cmd == "serve":
        from yuqing.serve import serve

        return serve(db)
    raise AssertionError(f"unhandled command {cmd}")


if __name__ == "__main__":
    raise SystemExit(main())
