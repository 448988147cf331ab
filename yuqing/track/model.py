"""The small frozen dataclasses the trackers decide over.

``TrackItem`` is an item as the trackers see it (its tags and whether its source is official);
``Event``, ``Response`` and ``Milestone`` are what they decide. Times are aware UTC datetimes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

from yuqing.vocab import Severity

from .regions import trimmed

MAJOR = Severity.MAJOR.value
GENERAL = "general"
SEVERITY_RANK = {GENERAL: 0, MAJOR: 1}

# Milestone statuses (docs/design.md "Events, responses, deadlines"), as of a given as_of.
PENDING = "pending"  # deadline not passed, no qualifying response yet
MET = "met"  # a qualifying response at or before the deadline
MET_LATE = "met_late"  # first qualifying response after the deadline (and at or before as_of)
OVERDUE = "overdue"  # as_of is past the deadline and no qualifying response at or before as_of
STATUSES = (PENDING, MET, MET_LATE, OVERDUE)


@dataclass(frozen=True, slots=True)
class TrackItem:
    item_id: str
    source: str
    url: str | None
    title: str
    summary: str
    item_time: datetime
    fetched_at: datetime
    topics: tuple[str, ...]
    region_code: str | None
    region_name: str | None
    severity: str
    source_official: bool  # the source is an official body (sources.official)
    official_response: bool  # the item is itself an official body's response release
    reported_response: bool  # a media item reporting an official body's response
    response_kinds: tuple[str, ...] = ()
    topic_terms: tuple[str, ...] = ()  # lexicon terms the classifier matched (not distinctive)
    source_region: str | None = None  # the source's division code (sources.region); None = national
    issue: bool = False  # the classifier's issue label: raises a matter a government body must answer
    author: str = ""  # who wrote it, as its feed names them (items.author): a reply may address them by handle
    relays_release: bool = False  # a report carrying an authority's own release (``vocab.ReleaseRelay``)

    @property
    def official(self) -> bool:
        """From an official source, or itself an official body's release."""
        return self.source_official or self.official_response

    @property
    def outside_reporter(self) -> bool:
        """An official source relaying a major emergency in another jurisdiction: the source is national
        (no region) or its region does not contain the item's, the item names a specific place, and the
        classifier proposes major_emergency. E.g. 应急管理部 or 证监会发布 relaying a leader's instruction
        on the 十堰 explosion (420300). A government account's routine work about another place (a party-day
        activity, a commendation) is not an incident report and opens nothing."""
        place = trimmed(self.region_code)
        if not self.source_official or not place or self.severity != MAJOR:
            return False
        own = trimmed(self.source_region)
        return not own or not place.startswith(own)

    @property
    def may_open(self) -> bool:
        """Who may open or join an event (docs/design.md "Events"):
        * an issue (the classifier's label) that is not an official body's release;
        * an item from an official source only as an outside reporter of a major emergency in
          another jurisdiction (``outside_reporter``): the duty to inform exists whoever reported
          the incident first; a province's own posts about its own province, a ministry's national
          campaigns and its routine work elsewhere open nothing;
        * nothing else: official releases and media relays of them answer events, they never open one.
        """
        if self.official_response:
            return False
        if self.source_official:
            return self.outside_reporter
        return self.issue

    @property
    def is_response(self) -> bool:
        return self.official_response or self.reported_response


@dataclass(frozen=True, slots=True, eq=False)
class EventProfile:
    """What linking compares of an event, from its members (stored with it in ``events``): the kinds of
    incident any member reports (a bit mask of ``incidents.toml``'s kinds), the most specific places they
    name (6-digit codes as int with their levels), and their rarest terms (bigram codes and weights, as
    arrays: an event holds a few hundred bytes of them, not a tuple of Python numbers)."""

    kinds: int = 0
    place_codes: tuple[int, ...] = ()
    place_levels: tuple[int, ...] = ()
    term_codes: npt.NDArray[np.int64] = field(default_factory=lambda: np.empty(0, np.int64))
    term_weights: npt.NDArray[np.float32] = field(default_factory=lambda: np.empty(0, np.float32))
    key_terms: tuple[int, ...] = ()  # the members' headlines' rarest terms (bucket keys for linking)


@dataclass(frozen=True, slots=True)
class Event:
    event_id: str
    opening_item_id: str
    title: str
    topics: tuple[str, ...]
    region_code: str | None
    region_name: str | None
    severity_proposed: str
    started_at: datetime  # when the incident happened, if a member states it; else the earliest item_time
    first_detected_at: datetime  # earliest fetched_at
    last_item_at: datetime
    item_ids: tuple[str, ...]
    item_count: int
    source_count: int
    items_6h: int  # items in the 6 h before as_of
    items_24h: int
    severity_override: str | None = None
    clock_basis: str = "earliest report"  # why the clock starts at started_at (a stated time, or not)
    severity_basis: str = ""  # why severity_proposed (counts reported, or the reports' wording)
    profile: EventProfile = field(default_factory=EventProfile, compare=False)  # derived from the members

    @property
    def severity(self) -> str:
        """The analyst's override wins over the classifier's proposal."""
        return self.severity_override or self.severity_proposed

    @property
    def heat(self) -> float:
        return heat(self.item_count, self.source_count, self.items_6h, self.items_24h)


@dataclass(frozen=True, slots=True)
class Authored:
    """One item an author wrote (``TrackItem.author``): when, and the event it is a member of (None: none), for a
    reply that greets its author (``responses._addressed_link``)."""

    at: float  # item_time, epoch seconds
    event_id: str | None


@dataclass(frozen=True, slots=True)
class Response:
    """A response item linked to the event it answers, with its score and evidence."""

    event_id: str
    item_id: str
    responded_at: datetime  # the response item's item_time
    visible_at: datetime  # max(item_time, fetched_at): from when a run with as_of can see it
    score: float
    matched_terms: tuple[str, ...]
    reported: bool  # True: a media report of a response (the reporting item is the evidence)
    kinds: tuple[str, ...]  # milestone kinds it can satisfy
    rule: str = ""  # why it answers the event: place agreement, kind, jurisdiction


@dataclass(frozen=True, slots=True)
class ResponseDecision:
    """An analyst's latest word on whether an item answers an event (``yuqing link``), with the item's times."""

    event_id: str
    item_id: str
    linked: bool  # True: it answers the event; False: it does not (a link the matcher made is removed)
    kinds: tuple[str, ...]  # milestone kinds it meets, when linked
    analyst: str
    reason: str
    item_time: datetime
    visible_at: datetime  # max(item_time, fetched_at)
    official: bool  # the item is itself an official response (else a report of one)


@dataclass(frozen=True, slots=True)
class Deadline:
    """One rule row: which milestone, how long, and the document it comes from."""

    rule_id: str
    milestone: str
    severity: str
    hours: float
    source_document: str
    satisfied_by: tuple[str, ...]  # response kinds that meet it; "*" = any response
    clock: str  # "event_start" | "first_detected"


@dataclass(frozen=True, slots=True)
class Milestone:
    event_id: str
    milestone: str
    rule_id: str
    rule_version: str
    source_document: str
    clock: str
    started_at: datetime  # the clock start
    deadline_hours: float
    deadline_at: datetime
    status: str
    met_at: datetime | None
    met_by_item_id: str | None
    reported: bool | None
    evidence_item_ids: tuple[str, ...]
    matched_terms: tuple[str, ...]
    clock_basis: str = ""  # where the clock started: a stated incident time, or the earliest report


def event_id_for(opening_item_id: str) -> str:
    """Deterministic: the same opening item always yields the same event id."""
    return "ev-" + hashlib.sha1(opening_item_id.encode("utf-8")).hexdigest()[:16]


def heat(item_count: int, source_count: int, items_6h: int, items_24h: int) -> float:
    """Attention score: breadth (sources) and recency weigh more than raw volume."""
    return float(item_count + 2 * source_count + 2 * items_24h + 4 * items_6h)


def max_severity(values: list[str]) -> str:
    return max(values, key=lambda s: SEVERITY_RANK.get(s, 0)) if values else GENERAL
