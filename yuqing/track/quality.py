"""How the tracker's judgments fare with the analysts who read them: ``yuqing quality``, a summary of
``warehouse.decisions.judgments`` (``summarise`` is pure), and the items behind the corrections for labelling.

An analyst corrects a judgment by dismissing an event that needs no answer (the ``issue`` that opened it was wrong),
by linking a response the matcher missed or removing one it made wrongly, by overriding a proposed severity, by
merging events the grouper kept apart and by splitting off reports it joined (``docs/analyst.md``). Counted over the
events that started in a window, and split by what opened each event (the incident rule, or the model at its
probability), by the source of its opening item and by topic, these corrections say where the overdue list is
weakest. An event or link nobody corrected counts as right, so every share is a lower
bound on the errors: it measures what analysts found, not what they did not read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from warehouse import decisions
from warehouse.rows import into
from yuqing.models import Opening
from yuqing.timeutil import to_utc, utcnow
from yuqing.vocab import Severity

# The model's probability bands, as a reader weighs an event it opened: near the threshold its issues are right about
# half the time (docs/design.md "Measuring events"), well above it nearly always.
MODEL_BANDS: tuple[tuple[float, str], ...] = ((0.8, "model, p ≥ 0.8"), (0.6, "model, 0.6 ≤ p < 0.8"), (0.0, "model, p < 0.6"))
NOT_RECORDED = "not recorded"
LOOKBACK_DAYS = 30  # the events read by default: those that started in the 30 days before the report, as the digest
NO_TOPIC = "(no topic)"


@dataclass(frozen=True, slots=True)
class JudgmentGroup:
    """Events alike in all the report tells apart, and what analysts had said of them by the report's time (a row of
    ``warehouse.decisions.judgments``)."""

    events: int
    topics: tuple[str, ...]
    source: str | None
    opened_by: tuple[str, ...] | None  # the opening item's issue evidence: the rule's kind, the model's p (``Opening``)
    severity_proposed: str
    severity_override: str | None
    dismissed: bool  # the latest dismissal dismisses them
    dismissal_holds: bool  # … and no later report reopened them
    reviewed: bool  # an analyst made any decision on them (a dismissal or its undoing, a severity, a link)
    links: int  # responses linked to them (the matcher's and the analysts')
    links_added: int  # of them, linked by an analyst
    links_removed: int  # the matcher's links an analyst removed


def basis(j: JudgmentGroup) -> str:
    """What opened the event, as the report groups it: the incident rule's kind, the model's probability band, an
    official source's report of a major emergency elsewhere, or an opening item re-classified since."""
    opening = Opening.of(j.opened_by, j.severity_proposed)
    if opening is None:
        return NOT_RECORDED
    if opening.how == "rule":
        return f"rule: {opening.rule}"
    if opening.how == "model" and opening.p is not None:
        return next(label for floor, label in MODEL_BANDS if opening.p >= floor)
    if opening.how == "official_major":
        return "official source: major emergency elsewhere"
    return "opening item re-classified since"


@dataclass(slots=True)
class Tally:
    """Events; of them those an analyst made any decision on, those analysts dismissed (the dismissal holds) and those
    a later report reopened."""

    events: int = 0
    reviewed: int = 0
    dismissed: int = 0
    reopened: int = 0

    def add(self, j: JudgmentGroup) -> None:
        self.events += j.events
        self.reviewed += j.events if j.reviewed else 0
        self.dismissed += j.events if j.dismissal_holds else 0
        self.reopened += j.events if j.dismissed and not j.dismissal_holds else 0

    @property
    def dismissed_share(self) -> float | None:
        return self.dismissed / self.events if self.events else None

    def as_json(self) -> dict[str, Any]:
        return {"events": self.events, "reviewed": self.reviewed, "dismissed": self.dismissed, "reopened": self.reopened}


@dataclass(slots=True)
class Corrections:
    """Analysts' corrections beyond dismissals: links and severities."""

    links: int = 0  # responses linked (the matcher's standing and the analysts')
    links_added: int = 0  # of them, by analysts: the matcher missed them
    links_removed: int = 0  # links the matcher made that analysts removed
    severity_raised: int = 0  # proposals an analyst raised to a major emergency
    severity_lowered: int = 0  # … or lowered from one

    def add(self, j: JudgmentGroup) -> None:
        self.links += j.links
        self.links_added += j.links_added
        self.links_removed += j.links_removed
        if j.severity_override is not None and j.severity_override != j.severity_proposed:
            self.severity_raised += j.events if j.severity_override == Severity.MAJOR else 0
            self.severity_lowered += j.events if j.severity_proposed == Severity.MAJOR else 0

    @property
    def matcher_links(self) -> int:
        """The links the matcher made: those standing that no analyst added, and those analysts removed (a removal
        made before the matcher linked the item, as a precaution, counts as one of its links too)."""
        return self.links - self.links_added + self.links_removed


@dataclass(frozen=True, slots=True)
class QualityReport:
    since: datetime
    as_of: datetime
    events: Tally
    by_basis: dict[str, Tally]  # rules first, then the model's bands from the highest, then the rest
    by_source: dict[str, Tally]  # most dismissed first, then most events
    by_topic: dict[str, Tally]  # the same order
    corrections: Corrections
    merges: int = 0  # analysts' merges standing: each joined events the grouper kept apart (one incident)
    merged_events: int = 0  # the events they joined
    splits: int = 0  # analysts' splits standing: each took another matter out of an event the grouper joined

    def as_json(self) -> dict[str, Any]:
        def tallies(d: Mapping[str, Tally]) -> list[dict[str, Any]]:
            return [{"key": k, **t.as_json()} for k, t in d.items()]

        c = self.corrections
        return {
            "since": self.since.isoformat(),
            "as_of": self.as_of.isoformat(),
            "events": self.events.as_json(),
            "by_basis": tallies(self.by_basis),
            "by_source": tallies(self.by_source),
            "by_topic": tallies(self.by_topic),
            "links": {
                "linked": c.links,
                "by_matcher": c.matcher_links,
                "added_by_analysts": c.links_added,
                "removed_by_analysts": c.links_removed,
            },
            "severity": {"raised": c.severity_raised, "lowered": c.severity_lowered},
            "merges": {"merges": self.merges, "events_merged": self.merged_events},
            "splits": self.splits,
        }


def _basis_order(key: str) -> tuple[int, int, str]:
    if key.startswith("rule: "):
        return (0, 0, key)
    bands = [label for _floor, label in MODEL_BANDS]
    if key in bands:
        return (1, bands.index(key), key)
    return (2, key == NOT_RECORDED, key)


def _by_dismissals(d: Mapping[str, Tally]) -> dict[str, Tally]:
    return dict(sorted(d.items(), key=lambda kv: (-kv[1].dismissed, -kv[1].events, kv[0])))


def summarise(rows: Iterable[JudgmentGroup], since: datetime, as_of: datetime) -> QualityReport:
    total, corrections = Tally(), Corrections()
    by_basis: dict[str, Tally] = {}
    by_source: dict[str, Tally] = {}
    by_topic: dict[str, Tally] = {}
    for j in rows:
        total.add(j)
        corrections.add(j)
        by_basis.setdefault(basis(j), Tally()).add(j)
        by_source.setdefault(j.source or NOT_RECORDED, Tally()).add(j)
        for topic in j.topics or (NO_TOPIC,):
            by_topic.setdefault(topic, Tally()).add(j)
    basis_ordered = dict(sorted(by_basis.items(), key=lambda kv: _basis_order(kv[0])))
    return QualityReport(since, as_of, total, basis_ordered, _by_dismissals(by_source), _by_dismissals(by_topic), corrections)


SITE_SOURCE = "site"  # the ``source_dataset`` of a deployment's own items in a labelling batch


def label_candidate(row: Any) -> dict[str, Any]:
    """An item behind an analyst's correction (a row of ``warehouse.decisions.corrected_items``) as a row of a
    labelling batch (``training/LABELLING.md``): what the analyst decided and what the classifier had said are context
    for the reader, not labels."""
    return {
        "id": row.item_id,
        "source_dataset": SITE_SOURCE,
        "title": row.title,
        "text": row.summary or "",
        "meta": {
            "source": row.source,
            "published": row.item_time.isoformat(),
            "decision": row.decision,
            "event_id": row.event_id,
            "analyst": row.analyst,
            "reason": row.reason,
            "classified": {
                "topics": list(row.topics),
                "official_response": bool(row.official_response),
                "reported_response": bool(row.reported_response),
                "issue": bool(row.issue),
            },
        },
    }


def _window(as_of: datetime | None, lookback_days: int | None) -> tuple[datetime, datetime]:
    """(as_of, the earliest start of an event it reads): ``lookback_days`` before ``as_of`` (default now); ``None``:
    every stored event."""
    as_of = to_utc(as_of) if as_of is not None else utcnow()
    if lookback_days is not None and lookback_days < 0:
        raise ValueError(f"lookback_days must be >= 0 or None, not {lookback_days}")
    return as_of, datetime.min.replace(tzinfo=UTC) if lookback_days is None else as_of - timedelta(days=lookback_days)


def judgment_quality(
    wh: Any, as_of: datetime | None = None, *, lookback_days: int | None = LOOKBACK_DAYS
) -> QualityReport:
    """What analysts had said, by ``as_of``, of the tracker's judgments on the events that started in the
    ``lookback_days`` before it (``None``: every stored event): ``yuqing quality``."""
    as_of, since = _window(as_of, lookback_days)
    rows = decisions.judgments(wh.con, since, as_of)
    judged = [
        into(JudgmentGroup, r, topics=tuple(r.topics or ()), opened_by=None if r.opened_by is None else tuple(r.opened_by))
        for r in rows
    ]
    merges, merged_events = decisions.merges_in(wh.con, since, as_of)
    splits = decisions.splits_in(wh.con, since, as_of)
    return replace(summarise(judged, since, as_of), merges=merges, merged_events=merged_events, splits=splits)


def label_candidates(
    wh: Any, as_of: datetime | None = None, *, lookback_days: int | None = LOOKBACK_DAYS
) -> list[dict[str, Any]]:
    """The items behind analysts' corrections of the classifier on the events that started in the ``lookback_days``
    before ``as_of``, as rows of a labelling batch (``quality.label_candidate``): ``yuqing quality --export``."""
    as_of, since = _window(as_of, lookback_days)
    rows = decisions.corrected_items(wh.con, since, as_of)
    return list({c["id"]: c for c in map(label_candidate, rows)}.values())  # an item behind two corrections, once
