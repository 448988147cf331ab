"""What a digest says, as small frozen dataclasses: ``collect`` fills them, ``render`` reads them.

Nothing here does I/O. Texts are stored as they came from the warehouse; ``render`` cleans them
(tags stripped, whitespace collapsed, links checked) so that a value cannot reach the mail unchecked,
whatever produced the ``DigestData``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from classifiers.lexicon import topic_vocabulary
from yuqing.models import EventFacts, Opening
from yuqing.vocab import Milestone, Severity

# Display order and Chinese names of the topics, from the topic files (``name``, ``order``): the priority topics
# first, in the work plans' order, then any topic ops added, by slug.
TOPIC_LABELS: dict[str, str] = dict(topic_vocabulary())
NO_TOPIC = ""  # events with no topic are grouped last, under 其他

# Milestones (docs/design.md "Events, responses, deadlines"): label and the baseline deadline shown beside it.
MILESTONE_LABELS: dict[str, str] = {
    Milestone.FIRST_INFORMATION: "首次权威信息发布",  # 国办发〔2016〕80号: 5 h
    Milestone.PRESS_CONFERENCE: "新闻发布会",  # 国办发〔2016〕61号、80号: 24 h
    Milestone.FIRST_RESPONSE: "首次回应",  # 国办发〔2016〕61号: 48 h
}

SEVERITY_LABELS: dict[str, str] = {
    Severity.MAJOR: "重大突发",
    Severity.GENERAL: "一般",
}


# Why an event was opened, in the reader's words: the incident rule's kinds (classifiers/issue.py), whose wording the
# opening item's issue evidence gives («rule: first case: 确诊首例; place named»).
RULE_KIND_LABELS: dict[str, str] = {
    "incident": "事故事件",
    "complaint": "投诉诉求",
    "allegation": "违规指控",
    "outbreak": "本地病例",
    "first case": "首例病例",
}


def opening_basis(evidence: tuple[str, ...] | None, severity: str = "") -> str:
    """Why an event was opened, from its opening item's issue evidence (``EventRef.opened_by``, read by
    ``Opening.of``): the incident rule and the wording it found, else the model's probability that the item raises an
    issue, so a reader can tell a reported explosion from the model's guess at 0.46. An opening item that is no issue
    is an official source's report of a major emergency elsewhere when the event is a major emergency, else an item
    re-classified since it opened the event; '' where it is not known."""
    opening = Opening.of(evidence, severity)
    if opening is None:
        return ""
    if opening.how == "official_major":
        return "官方来源转述外地重大突发事件"
    if opening.how == "reclassified":
        return "开启事件的条目已改判为非问题"
    if opening.how == "rule":
        label = RULE_KIND_LABELS.get(opening.rule, opening.rule)
        return f"规则（{label}：{opening.cue}）" if opening.cue else f"规则（{label}）"
    return f"模型（概率 {opening.p:.2f}）"


def topic_label(slug: str) -> str:
    if slug == NO_TOPIC:
        return "其他"
    return TOPIC_LABELS.get(slug, slug)


def topic_order(slug: str) -> tuple[int, str]:
    order = list(TOPIC_LABELS)
    if slug in TOPIC_LABELS:
        return (order.index(slug), slug)
    return (len(order) + (1 if slug == NO_TOPIC else 0), slug)


@dataclass(frozen=True, slots=True)
class EventRef(EventFacts):
    """The facts about an event that a digest line shows."""

    severity_overridden: bool  # an analyst set the severity (the override wins over the classifier)
    started_at: datetime
    first_detected_at: datetime
    item_count: int
    source_count: int
    url: str | None  # link to the event's first item; unchecked here, checked by render
    opened_by: tuple[str, ...] | None = None  # why its opening item opened it (``opening_basis``); None: not known
    reopened: tuple[str, str] | None = None  # (analyst, reason) of a dismissal a later report undid; None: none
    # (reports, the latest one's time) that joined it since the last digest, when it was known then; None: none
    raised: tuple[int, datetime] | None = None


@dataclass(frozen=True, slots=True)
class MilestoneState:
    """One milestone of one event, as of the digest's as_of."""

    milestone: str
    rule_id: str
    source_document: str  # 国办发〔2016〕61号 / 80号 … as recorded by the rule
    deadline_at: datetime
    met_at: datetime | None  # the response's time; None: not met as of the digest's as_of
    met_visible_at: datetime | None  # when the response became known (fetched)
    reported: bool  # met by a media report of the response, not by the official release itself
    evidence_url: str | None  # the item that met it
    by_analyst: bool = False  # the response that met it was linked by an analyst (``yuqing link``)


@dataclass(frozen=True, slots=True)
class OverdueLine:
    milestone: MilestoneState
    overdue_by: timedelta


@dataclass(frozen=True, slots=True)
class OverdueEvent:
    """An event past the deadline of one or more milestones; listed once with all of them."""

    event: EventRef
    milestones: tuple[OverdueLine, ...]  # most overdue first
    # The event's other milestones (due soon, answered): an event is listed once, in its first section.
    also: tuple[DueLine | ResponseLine, ...] = ()

    @property
    def overdue_by(self) -> timedelta:
        return max(m.overdue_by for m in self.milestones)


@dataclass(frozen=True, slots=True)
class DueLine:
    milestone: MilestoneState
    remaining: timedelta


@dataclass(frozen=True, slots=True)
class DueSoonEvent:
    event: EventRef
    milestones: tuple[DueLine, ...]  # soonest first
    also: tuple[ResponseLine, ...] = ()  # answered milestones of the same event

    @property
    def remaining(self) -> timedelta:
        return min(m.remaining for m in self.milestones)


@dataclass(frozen=True, slots=True)
class TopicGroup:
    topic: str  # slug; NO_TOPIC for events without a topic
    events: tuple[EventRef, ...]


@dataclass(frozen=True, slots=True)
class ResponseLine:
    milestone: MilestoneState
    on_time: bool


@dataclass(frozen=True, slots=True)
class ResponseEvent:
    event: EventRef
    responses: tuple[ResponseLine, ...]


@dataclass(frozen=True, slots=True)
class TrendRow:
    topic: str
    counts: tuple[int, ...]  # items per day, aligned with DigestData.trend_days

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True, slots=True)
class DigestData:
    """Everything one route's digest shows, as of ``as_of``."""

    route: str
    route_label: str | None
    route_topics: tuple[str, ...]  # the route's filter, shown as the digest's scope
    route_regions: tuple[str, ...]
    as_of: datetime  # UTC
    since: datetime  # UTC; "new" and "responses" sections cover (since, as_of]
    due_within_hours: int
    overdue: tuple[OverdueEvent, ...]
    due_soon: tuple[DueSoonEvent, ...]
    new_events: tuple[TopicGroup, ...]
    responses: tuple[ResponseEvent, ...]
    trend_days: tuple[date, ...]
    trend: tuple[TrendRow, ...]
    omitted: tuple[tuple[str, int], ...] = ()  # (section, rows left out by the per-section cap)
    new_listed_above: int = (
        0  # new events already listed under overdue / due soon (each event is listed once)
    )

    @property
    def new_count(self) -> int:
        return sum(len(g.events) for g in self.new_events)

    @property
    def is_empty(self) -> bool:
        """Nothing to act on or to know: no overdue, due, new events or responses (trend alone is not news)."""
        return not (self.overdue or self.due_soon or self.new_events or self.responses)
