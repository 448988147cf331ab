"""Which alerts hold as of T: a pure function of the events' milestones, the routes and T.

Four conditions (docs/alerts.md):

* ``new_major``: a major-emergency event, detected within the route's ``alert_max_age_hours`` or with its
  first-information clock still running;
* ``due_soon``: an unmet milestone whose deadline is within the route's lead time for it;
* ``overdue``: an unmet milestone whose deadline passed within ``alert_max_age_hours`` ("has just become
  overdue": older ones are the digest's business, which is what keeps an outage or a first run quiet);
* ``met``: a milestone met within ``alert_max_age_hours`` (routes with ``alert_on_met``).

Each holds for a route when the event matches the route's topics and regions and its severity reaches the
route's ``alert_min_severity``; it is raised once per channel of the route.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from warehouse.alerts import CandidateRow, Raised
from yuqing.digest.model import MILESTONE_LABELS, SEVERITY_LABELS
from yuqing.digest.routes import Route
from yuqing.digest.safety import plain_text, safe_url
from yuqing.timeutil import fmt_local
from yuqing.vocab import Milestone, Severity

NEW_MAJOR, DUE_SOON, OVERDUE, MET = "new_major", "due_soon", "overdue", "met"
EVENT = "event"  # the milestone column of an event-level condition
CONDITION_LABELS = {
    NEW_MAJOR: "新的重大突发事件",
    DUE_SOON: "即将到期",
    OVERDUE: "已逾期",
    MET: "已回应",
}
RULE_TEXT: dict[str, str] = {
    Milestone.FIRST_INFORMATION: "重大突发事件 5 小时内发布权威信息",
    Milestone.PRESS_CONFERENCE: "重大突发事件 24 小时内举行新闻发布会",
    Milestone.FIRST_RESPONSE: "政务舆情 48 小时内回应",
}


@dataclass(frozen=True, slots=True)
class Hit:
    """A condition that holds for one route (before it is split by channel)."""

    row: CandidateRow
    condition: str
    milestone: str  # EVENT for new_major


def holds(rows: Sequence[CandidateRow], route: Route, as_of: datetime) -> list[Hit]:
    """The conditions that hold for ``route`` as of ``as_of``."""
    settings = route.alerts
    if settings is None:
        return []
    max_age = timedelta(hours=settings.max_age_hours)
    out: list[Hit] = []
    for row in rows:
        if not route.matches(row.topics, row.region_code) or not settings.wants_severity(row.severity):
            continue
        met = row.met_at is not None and row.met_at <= as_of
        if (
            row.milestone == Milestone.FIRST_INFORMATION
            and row.severity == Severity.MAJOR
            and (row.first_detected_at >= as_of - max_age or row.deadline_at >= as_of)
        ):
            out.append(Hit(row, NEW_MAJOR, EVENT))
        lead = settings.lead_hours.get(row.milestone, 0.0)
        if not met and lead > 0 and row.deadline_at - timedelta(hours=lead) <= as_of < row.deadline_at:
            out.append(Hit(row, DUE_SOON, row.milestone))
        if not met and as_of - max_age <= row.deadline_at < as_of:
            out.append(Hit(row, OVERDUE, row.milestone))
        if settings.on_met and met and row.met_at is not None and row.met_at >= as_of - max_age:
            out.append(Hit(row, MET, row.milestone))
    return out


def raise_all(
    rows: Sequence[CandidateRow],
    routes: Sequence[Route],
    as_of: datetime,
    links: Callable[[set[str]], dict[str, list[tuple[str, str, str | None]]]],
) -> list[Raised]:
    """Every (event, milestone, condition, route, channel) that holds as of ``as_of``, with its content.
    ``links(event_ids)`` gives the first reports of the events that alert (source, title, url)."""
    hits = [(route, hit) for route in routes if route.alerts is not None for hit in holds(rows, route, as_of)]
    if not hits:
        return []
    found = links({hit.row.event_id for _route, hit in hits})
    out: list[Raised] = []
    for route, hit in hits:
        assert route.alerts is not None
        content = describe(hit, as_of, found.get(hit.row.event_id, []))
        for channel in route.alerts.channels:
            out.append(
                Raised(
                    key=(hit.row.event_id, hit.milestone, hit.condition, route.name, channel.name),
                    raised_as_of=as_of,
                    deadline_at=None if hit.condition == NEW_MAJOR else hit.row.deadline_at,
                    summary=content["summary"],
                    content=content,
                )
            )
    return out


_STATED = re.compile(r"^stated «(?P<wording>[^»]*)»")


def clock_basis_text(basis: str | None) -> str:
    """Why the clock starts where it does, in the reader's words."""
    m = _STATED.match(basis or "")
    if m:
        return f"报道所述事发时间「{plain_text(m['wording'], limit=30)}」"
    if basis == "first detected":
        return "首次发现时间"
    return "最早报道的发布时间"


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f} 小时"


def describe(hit: Hit, as_of: datetime, links: list[tuple[str, str, str | None]]) -> dict[str, Any]:
    """What an alert says, as plain data (escaped for each channel when it is sent). Titles are reduced
    to plain single-line text here; links are kept only as absolute http(s) URLs."""
    row = hit.row
    title = plain_text(row.title)
    where = plain_text(row.region_name, limit=40) or "地区未定"
    label = MILESTONE_LABELS.get(row.milestone, row.milestone)
    heading = CONDITION_LABELS[hit.condition] + ("" if hit.condition == NEW_MAJOR else f"：{label}")
    if hit.condition == DUE_SOON:
        state = f"{label}截止 {fmt_local(row.deadline_at)}，还剩 {_hours(row.deadline_at - as_of)}"
    elif hit.condition == OVERDUE:
        state = f"{label}截止 {fmt_local(row.deadline_at)}，已逾期 {_hours(as_of - row.deadline_at)}，尚无权威回应"
    elif hit.condition == MET:
        how = "（媒体报道的回应）" if row.reported else ""
        state = f"{label}已于 {fmt_local(row.met_at)} 回应{how}"
    else:
        state = f"首次权威信息发布截止 {fmt_local(row.deadline_at)}（时钟起点后 {row.deadline_hours:g} 小时）"
    rule_key = Milestone.FIRST_INFORMATION.value if hit.condition == NEW_MAJOR else row.milestone
    items = [
        {"source": plain_text(source, limit=40), "title": plain_text(t), "url": safe_url(url)}
        for source, t, url in links
    ]
    met_by = None
    if hit.condition == MET and row.met_by_item_id:
        met_by = {"title": plain_text(row.met_by_title), "url": safe_url(row.met_by_url)}
    return {
        "event_id": row.event_id,
        "condition": hit.condition,
        "condition_label": CONDITION_LABELS[hit.condition],
        "milestone": hit.milestone,
        "milestone_label": label if hit.condition != NEW_MAJOR else "",
        "heading": heading,
        "title": title,
        "region": where,
        "region_code": row.region_code,
        "severity": row.severity,
        "severity_label": SEVERITY_LABELS.get(row.severity, row.severity),
        "topics": list(row.topics),
        "started_at": fmt_local(row.started_at),
        "clock_basis": clock_basis_text(row.clock_basis),
        "deadline_at": fmt_local(row.deadline_at),
        "deadline_iso": row.deadline_at.isoformat(),
        "state": state,
        "rule": f"{row.source_document}（{RULE_TEXT.get(rule_key, rule_key)}）",
        "items": items,
        "met_by": met_by,
        "as_of": fmt_local(as_of),
        "summary": f"[{CONDITION_LABELS[hit.condition]}] {title} · {where} · {state}",
    }
