"""``render``: DigestData -> subject, plain text and HTML. Pure; no I/O beyond reading the templates.

Every value from a feed passes ``safety.plain_text`` / ``safety.safe_url`` here, and the HTML template
is rendered with autoescape on, so a hostile title is shown as text and never becomes markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path

import css_inline
import jinja2

from yuqing.digest.model import (
    MILESTONE_LABELS,
    SEVERITY_LABELS,
    DigestData,
    DueLine,
    EventRef,
    MilestoneState,
    OverdueLine,
    ResponseLine,
    opening_basis,
    topic_label,
)
from yuqing.digest.safety import header_text, plain_text, safe_url
from yuqing.timeutil import fmt_local
from yuqing.vocab import Severity

TEMPLATES = Path(__file__).parent / "templates"
SUBJECT_PREFIX = "【舆情回应提醒】"
BAR_MAX_PERCENT = 100
BAR_MIN_PERCENT = 4  # a day with a single item still shows a visible bar


@dataclass(frozen=True, slots=True)
class RenderedDigest:
    subject: str
    text: str
    html: str


# --- view model: only cleaned strings reach the templates --------------------------------------------


@dataclass(frozen=True, slots=True)
class Link:
    text: str  # shown; for an unsafe link the URL itself as inert text
    href: str | None  # only absolute http(s) URLs


@dataclass(frozen=True, slots=True)
class EventView:
    event_id: str
    title: str
    severity: str
    major: bool
    region: str
    topics: str
    started: str
    detected: str
    counts: str
    link: Link | None
    basis: str = ""  # why the event was opened (``opening_basis``); '' not known
    reopened: str = ""  # who dismissed it and why, before a later report brought it back; '' never dismissed
    raised: str = ""  # the reports since the last digest of an event known then; '' none


@dataclass(frozen=True, slots=True)
class MilestoneView:
    label: str  # 首次回应 (first_response)
    rule: str
    deadline: str
    when: str  # "逾期 3小时20分" / "剩余 4小时" / "2021-06-15 10:00 按时"
    note: str
    evidence: Link | None


@dataclass(frozen=True, slots=True)
class EventBlock:
    event: EventView
    milestones: tuple[MilestoneView, ...]


@dataclass(frozen=True, slots=True)
class GroupView:
    label: str
    events: tuple[EventView, ...]


@dataclass(frozen=True, slots=True)
class TrendCell:
    count: int
    percent: int  # bar width in % of the cell; 0 for no bar


@dataclass(frozen=True, slots=True)
class TrendView:
    label: str
    cells: tuple[TrendCell, ...]
    total: int


def fmt_duration(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时" if hours else f"{days}天"
    if hours:
        return f"{hours}小时{mins}分" if mins else f"{hours}小时"
    return f"{mins}分钟"


def _link(url: str | None) -> Link | None:
    if not url:
        return None
    safe = safe_url(url)
    if safe is not None:
        return Link(text=plain_text(safe, limit=80), href=safe)
    # Not http(s) (javascript:, data:, file:, relative...): shown as inert text, never as a link.
    return Link(text=plain_text(url, limit=80), href=None)


def _event_view(e: EventRef) -> EventView:
    severity = SEVERITY_LABELS.get(e.severity, plain_text(e.severity, limit=30))
    if e.severity_overridden:
        severity += "（人工核定）"
    region_name = plain_text(e.region_name, limit=40)
    region_code = plain_text(e.region_code, limit=12)
    if region_name and region_code:
        region = f"{region_name}（{region_code}）"
    else:
        region = region_name or region_code or "地区未识别"
    return EventView(
        event_id=plain_text(e.event_id, limit=40),
        title=plain_text(e.title) or "（无标题）",
        severity=severity,
        major=e.severity == Severity.MAJOR,
        region=region,
        topics="、".join(topic_label(plain_text(t, limit=40)) for t in e.topics) or "其他",
        started=fmt_local(e.started_at),
        detected=fmt_local(e.first_detected_at),
        counts=f"{e.item_count} 条 / {e.source_count} 个来源",
        link=_link(e.url),
        basis=plain_text(opening_basis(e.opened_by, e.severity), limit=80),
        reopened=_reopened(e.reopened),
        raised=f"{e.raised[0]} 条，最近 {fmt_local(e.raised[1])}（自上次提醒以来）" if e.raised else "",
    )


def _reopened(dismissal: tuple[str, str] | None) -> str:
    if dismissal is None:
        return ""
    analyst, reason = (plain_text(x, limit=60) for x in dismissal)
    return f"曾由 {analyst} 撤销（{reason}），其后有新的报道"



def _milestone_label(m: MilestoneState) -> str:
    slug = plain_text(m.milestone, limit=40)
    label = MILESTONE_LABELS.get(m.milestone)
    return f"{label}（{slug}）" if label else slug


def _rule(m: MilestoneState) -> str:
    rule = plain_text(m.rule_id, limit=60) or "—"
    document = plain_text(m.source_document, limit=60)
    return f"{rule}（{document}）" if document else rule


def _scope(data: DigestData) -> str:
    if not data.route_topics and not data.route_regions:
        return "全部话题、全部地区"
    topics = "、".join(topic_label(plain_text(t, limit=40)) for t in data.route_topics) or "全部话题"
    regions = "、".join(plain_text(r, limit=12) + "*" for r in data.route_regions) or "全部地区"
    return f"{topics} · 地区代码 {regions}"


def _milestone_view(m: MilestoneState, when: str, note: str = "") -> MilestoneView:
    return MilestoneView(
        label=_milestone_label(m),
        rule=_rule(m),
        deadline=fmt_local(m.deadline_at),
        when=when,
        note=note,
        evidence=_link(m.evidence_url),
    )


def _answered(m: MilestoneState, on_time: bool) -> str:
    if m.met_at is None:
        return "已回应"
    if on_time:
        return f"{fmt_local(m.met_at)} 按时回应"
    return f"{fmt_local(m.met_at)} 逾期回应（超时 {fmt_duration(m.met_at - m.deadline_at)}）"


def _counts(data: DigestData) -> tuple[int, int, int, int]:
    extra = dict(data.omitted)
    return (
        len(data.overdue) + extra.get("overdue", 0),
        len(data.due_soon) + extra.get("due_soon", 0),
        data.new_count + data.new_listed_above + extra.get("new", 0),
        sum(len(r.responses) for r in data.responses) + extra.get("responses", 0),
    )


def subject_of(data: DigestData) -> str:
    overdue, due, new, _ = _counts(data)
    day = fmt_local(data.as_of)[:10]
    subject = f"{SUBJECT_PREFIX}{day} 逾期 {overdue} · {data.due_within_hours}小时内到期 {due} · 新事件 {new}"
    if data.route_label:
        subject += f" ｜ {plain_text(data.route_label, limit=40)}"
    return header_text(subject, limit=200)


def _line_view(line: OverdueLine | DueLine | ResponseLine) -> MilestoneView:
    if isinstance(line, OverdueLine):
        return _milestone_view(line.milestone, f"逾期 {fmt_duration(line.overdue_by)}")
    if isinstance(line, DueLine):
        return _milestone_view(line.milestone, f"剩余 {fmt_duration(line.remaining)}")
    return _milestone_view(
        line.milestone,
        _answered(line.milestone, line.on_time),
        note=("媒体转述" if line.milestone.reported else "官方发布") + ("，人工关联" if line.milestone.by_analyst else ""),
    )


def _context(data: DigestData) -> dict[str, object]:
    overdue_n, due_n, new_n, responses_n = _counts(data)
    overdue = tuple(
        EventBlock(_event_view(o.event), tuple(_line_view(line) for line in (*o.milestones, *o.also)))
        for o in data.overdue
    )
    due_soon = tuple(
        EventBlock(
            _event_view(d.event),
            tuple(_line_view(line) for line in d.milestones) + tuple(_line_view(line) for line in d.also),
        )
        for d in data.due_soon
    )
    responses = tuple(
        EventBlock(_event_view(r.event), tuple(_line_view(line) for line in r.responses))
        for r in data.responses
    )
    groups = tuple(
        GroupView(topic_label(plain_text(g.topic, limit=40)), tuple(_event_view(e) for e in g.events))
        for g in data.new_events
    )
    peak = max((c for row in data.trend for c in row.counts), default=0)
    trend = tuple(
        TrendView(
            label=topic_label(plain_text(row.topic, limit=40)),
            cells=tuple(
                TrendCell(
                    count=c,
                    percent=0
                    if c == 0 or peak == 0
                    else max(BAR_MIN_PERCENT, round(BAR_MAX_PERCENT * c / peak)),
                )
                for c in row.counts
            ),
            total=row.total,
        )
        for row in data.trend
    )
    omitted_labels = {"overdue": "逾期", "due_soon": "即将到期", "new": "新事件", "responses": "回应"}
    return {
        "subject": subject_of(data),
        "as_of": fmt_local(data.as_of),
        "since": fmt_local(data.since),
        "route": plain_text(data.route, limit=64),
        "route_label": plain_text(data.route_label, limit=40),
        "scope": _scope(data),
        "due_hours": data.due_within_hours,
        "counts": {"overdue": overdue_n, "due": due_n, "new": new_n, "responses": responses_n},
        "overdue": overdue,
        "due_soon": due_soon,
        "new_groups": groups,
        "new_listed_above": data.new_listed_above,
        "responses": responses,
        "trend_days": tuple(d.strftime("%m-%d") for d in data.trend_days),
        "trend": trend,
        "omitted": tuple((omitted_labels.get(s, s), n) for s, n in data.omitted),
        "empty": data.is_empty,
    }


@cache
def _environments() -> tuple[jinja2.Environment, jinja2.Environment]:
    loader = jinja2.FileSystemLoader(TEMPLATES)
    # HTML: autoescape ON, so every {{ value }} is escaped; StrictUndefined turns a typo into an error
    # instead of a silently empty section.
    html_env = jinja2.Environment(
        loader=loader, autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    # Plain text is never interpreted as markup by a mail client; escaping it would show "&lt;".
    text_env = jinja2.Environment(
        loader=loader,
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return html_env, text_env


def render(data: DigestData) -> RenderedDigest:
    html_env, text_env = _environments()
    context = _context(data)
    return RenderedDigest(
        subject=str(context["subject"]),
        text=text_env.get_template("digest.txt.j2").render(context),
        html=_INLINER.inline(html_env.get_template("digest.html.j2").render(context)),
    )


# The template's stylesheet into style attributes (mail clients drop <style> blocks); nothing is fetched.
_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False)
