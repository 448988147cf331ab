"""What a run reports: the ingest and track summaries (CLI text, flow artifacts) and the overdue table.

The runs (``yuqing/ingest.py``, ``yuqing/pipeline.py``) fill these in; the CLI prints their ``summary()``, the
flows publish their ``table_rows()`` / ``markdown()`` as Prefect artifacts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sources.encoding import canonical_codec
from yuqing.models import FetchOutcome
from yuqing.textsafe import pad_columns
from yuqing.timeutil import fmt_local


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
        return [r for r in self.rows if r.status not in OK_STATUSES]

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
        lines = [
            f"ingest {self.run_id} as of {fmt_local(self.as_of)} (Asia/Shanghai)",
            header,
            "-" * len(header),
        ]
        for r in self.rows:
            note = " ".join(x for x in (_charset_note(r), r.error or "") if x)
            lines.append(
                f"{pad_columns(r.source, 28)} {r.status:<18} {r.seen:>5} {r.new:>5} {r.updated:>4}  {note}"
            )
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
            lines.append(
                f"note: an earlier {line}; marked abandoned, and this run checked everything it may have left"
            )
        return "\n".join(lines)


OK_STATUSES = {FetchOutcome.NEW.value, FetchOutcome.UNCHANGED.value, FetchOutcome.NOT_MODIFIED.value}


def _charset_note(r: SourceRow) -> str:
    # gb2312 decoded as its superset gb18030 is no mismatch; GBK served as UTF-8 is.
    declared, used = r.charset_declared, r.charset_used
    if declared and used and canonical_codec(declared) != canonical_codec(used):
        return f"declared {declared}, decoded as {used}"
    return ""


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
            lines += [
                "| overdue by | milestone | severity | region | event | rule |",
                "|---|---|---|---|---|---|",
            ]
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


def format_overdue(rows: Sequence[Any]) -> str:
    from yuqing.digest.model import opening_basis

    if not rows:
        return "no overdue milestones"
    header = f"{'overdue by':>10}  {'milestone':<17} {'severity':<15} {'deadline (Asia/Shanghai)':<24} {'region':<14} event"
    lines = [header, "-" * (len(header) + 30)]
    for r in rows:
        basis = opening_basis(r.opened_by, r.severity)
        lines.append(
            f"{_hours(r.overdue_by):>10}  {r.milestone:<17} {r.severity:<15} {fmt_local(r.deadline_at):<24} "
            f"{pad_columns(r.region_name or '—', 14)}{r.title}  [{r.event_id}; {r.rule_id}]"
            + (f"  立案依据：{basis}" if basis else "")
        )
    return "\n".join(lines)


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f} %" if whole else "      —"


def format_quality(report: Any, *, top: int = 10) -> str:
    """``yuqing quality``: a ``yuqing.track.quality.QualityReport`` as a text table."""
    r, c = report, report.corrections
    span = "every stored event" if r.since.year == 1 else f"events started since {fmt_local(r.since)}"
    lines = [
        f"Analysts' corrections of the tracker's judgments: {span}, as of {fmt_local(r.as_of)} (Asia/Shanghai).",
        "An event or link nobody corrected counts as right: the shares are lower bounds on the errors.",
        "",
        f"{'events opened':<46}{r.events.events:>7}",
        f"{'  reviewed (any analyst decision)':<46}{r.events.reviewed:>7}",
        f"{'  dismissed (needs no answer)':<46}{r.events.dismissed:>7}  {_share(r.events.dismissed, r.events.events)}",
        f"{'  dismissed, reopened by a later report':<46}{r.events.reopened:>7}",
    ]

    def table(title: str, tallies: dict[str, Any], limit: int | None = None) -> None:
        shown = list(tallies.items())[:limit] if limit else list(tallies.items())
        lines.extend(["", f"{title:<46}{'events':>7}  {'reviewed':>8}  {'dismissed':>9}"])
        for key, t in shown:
            lines.append(
                f"  {pad_columns(key, 44)}{t.events:>7}  {t.reviewed:>8}  {t.dismissed:>9}  {_share(t.dismissed, t.events)}"
            )
        if len(shown) < len(tallies):
            lines.append(f"  … {len(tallies) - len(shown)} more")

    table("by what opened the event", r.by_basis)
    table("by the opening item's source", r.by_source, top)
    table("by topic", r.by_topic)
    lines += [
        "",
        f"{'responses linked':<46}{c.links:>7}",
        f"{'  links the matcher made':<46}{c.matcher_links:>7}",
        f"{'    removed by analysts (no answer)':<46}{c.links_removed:>7}  {_share(c.links_removed, c.matcher_links)}",
        f"{'  linked by analysts (the matcher missed them)':<46}{c.links_added:>7}  {_share(c.links_added, c.links)}",
        "",
        f"{'severity raised to major_emergency':<46}{c.severity_raised:>7}",
        f"{'severity lowered from major_emergency':<46}{c.severity_lowered:>7}",
        "",
        f"{'merged by analysts (one incident, kept apart)':<46}{r.merges:>7}  merges of {r.merged_events} events",
        f"{'split by analysts (another matter, joined)':<46}{r.splits:>7}",
    ]
    return "\n".join(lines)
