"""Small frozen dataclasses passed between sources/, classifiers/, warehouse/ and the trackers.

These are the in-memory contracts between folders. Persisted keys (item ids, content hashes)
are pinned by golden tests, so a refactor cannot silently re-key the warehouse.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from yuqing.vocab import Severity


class FetchOutcome(enum.StrEnum):
    """Fixed vocabulary for every fetch attempt, stored in fetch_log.status and shown to ops."""

    NEW = "new"  # fetched and parsed; at least one item not seen before
    UNCHANGED = "unchanged"  # fetched and parsed; nothing new
    NOT_MODIFIED = "not_modified"  # 304 on a conditional GET
    PARSE_ERROR = "parse_error"  # body is not a usable feed
    TIMEOUT = "timeout"  # total deadline or read timeout exceeded
    TOO_LARGE = "too_large"  # body over the cap after decompression
    HTTP_ERROR = "http_error"  # 4xx/5xx other than 429
    RATE_LIMITED = "rate_limited"  # 429 (Retry-After honoured)
    TOO_MANY_REDIRECTS = "too_many_redirects"  # redirect loop or > 5 hops
    CONNECT_ERROR = "connect_error"  # DNS, refused, reset, TLS
    BLOCKED = "blocked"  # address policy refused the host (private/loopback... not allow-listed)
    SKIPPED_BACKOFF = "skipped_backoff"  # not attempted: the source is backing off after failures


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """One ``[[source]]`` table of the sources file (docs/sources.md)."""

    name: str
    url: str
    kind: str = "feed"
    official: bool = False
    region: str | None = None


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the fetcher remembers about a source between runs (stored in the ``sources`` table)."""

    name: str
    etag: str | None = None
    last_modified: str | None = None
    last_full_fetch_at: datetime | None = None
    consecutive_failures: int = 0
    backoff_until: datetime | None = None
    last_status: str | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class Item:
    """A normalised feed entry: plain text, absolute link, UTC times, stable key."""

    item_id: str
    source: str
    guid: str | None
    url: str | None
    title: str
    summary: str
    published_at: datetime | None  # what the feed said (UTC); None when absent or unparseable
    fetched_at: datetime  # when this run fetched it (UTC)
    item_time: datetime  # published_at when plausible (not after fetch), else fetched_at
    content_hash: str
    author: str = ""  # who wrote it, as the feed names them; "" when it names none


@dataclass(frozen=True, slots=True)
class TopicTag:
    slug: str
    score: float
    terms: tuple[str, ...]  # matched lexicon terms (evidence)
    rule: str  # which rule decided (e.g. "title", "body", "source-default")


@dataclass(frozen=True, slots=True)
class Tags:
    """Everything the classifiers say about one item, with evidence and the classifier version."""

    topics: tuple[TopicTag, ...]
    region_code: str | None
    region_name: str | None
    region_evidence: str | None
    severity: str  # "major_emergency" | "general"
    severity_evidence: tuple[str, ...]
    official_response: bool
    response_kinds: tuple[
        str, ...
    ]  # milestone kinds it can satisfy: first_information, press_conference, first_response
    reported_response: bool
    response_evidence: tuple[str, ...]
    classifier_version: str
    issue: bool = False  # raises a matter a government body must answer (opens events)
    issue_evidence: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def topic_slugs(self) -> list[str]:
        return [t.slug for t in self.topics]


@dataclass(frozen=True, slots=True)
class SourceResult:
    """What one source's fetch produced in a run: its new state, its fetch_log row and its items.

    ``tags[i]`` is the classification of ``items[i]``. ``items_seen`` defaults to ``len(items)``.
    """

    source: str
    state: SourceState
    status: FetchOutcome | str
    disposition: str | None = None
    http_status: int | None = None
    error: str | None = None
    charset_declared: str | None = None
    charset_used: str | None = None
    bytes: int | None = None
    elapsed_ms: int | None = None
    items_seen: int | None = None
    items: list[Item] = field(default_factory=list)
    tags: list[Tags] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.state.name != self.source:
            raise ValueError(f"state is for {self.state.name!r}, result for {self.source!r}")
        FetchOutcome(self.status)  # raises ValueError outside the vocabulary
        if len(self.tags) != len(self.items):
            raise ValueError(
                f"{self.source}: {len(self.items)} items but {len(self.tags)} tags; tags must align with items"
            )


@dataclass(frozen=True, slots=True)
class EventFacts:
    """What every reader names an event by: its id, headline, topics, place, and severity (an analyst's, where one
    was set). The alert, digest and warehouse records of an event extend it."""

    event_id: str
    title: str
    topics: tuple[str, ...]
    region_code: str | None
    region_name: str | None
    severity: str


@dataclass(frozen=True, slots=True)
class Opening:
    """Why an event's opening item opened it, read from its issue evidence (``warehouse.rows.opened_by``): ``how`` is
    ``rule`` (the incident rule: ``rule`` its kind, ``cue`` the wording it found), ``model`` (``p`` the model's
    probability that the item raises an issue), ``official_major`` (an official source's report of a major emergency
    elsewhere) or ``reclassified`` (the item is no issue now: re-classified since it opened the event)."""

    how: str
    rule: str = ""
    cue: str = ""
    p: float | None = None

    @classmethod
    def of(cls, evidence: tuple[str, ...] | None, severity: str = "") -> Opening | None:
        """``None`` where the evidence is not known (no such item, or an issue with none recorded)."""
        if evidence is None:
            return None
        if not evidence:
            return cls("official_major" if severity == Severity.MAJOR else "reclassified")
        for e in evidence:
            if e.startswith("rule: "):
                kind, _, rest = e.removeprefix("rule: ").partition(": ")
                return cls("rule", rule=kind, cue=rest.split(";", 1)[0].strip())
        for e in evidence:
            if e.startswith("p="):
                try:
                    return cls("model", p=float(e.removeprefix("p=")))
                except ValueError:
                    return None
        return None
