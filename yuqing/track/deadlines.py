"""Deadlines: each event's milestones and their status as of a given time.

The rules are configuration (``rules.toml``, versioned); the baseline is the State Council's:
国办发〔2016〕80号 (first authoritative information on a major emergency within 5 h), 国办发〔2016〕61号
and 80号 (a press conference within 24 h), 国办发〔2016〕61号 (any other public-opinion issue answered
within 48 h). Status as of ``as_of`` (only responses visible at ``as_of`` count):
  pending  — the deadline has not passed and no qualifying response yet,
  met      — the first qualifying response came at or before the deadline,
  met_late — it came after the deadline (and at or before as_of),
  overdue  — as_of is past the deadline and no qualifying response yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, field_validator

from yuqing import tomlschema, vocab
from yuqing.errors import ConfigError
from yuqing.tomlschema import Table, matching
from yuqing.vocab import MILESTONES, Severity

from .model import MET, MET_LATE, OVERDUE, PENDING, Deadline, Event, Milestone, Response
from .regions import trimmed

RULES_PATH = Path(__file__).with_name("rules.toml")
Clock = Literal["event_start", "first_detected"]  # when a deadline's clock starts
CLOCKS: tuple[str, ...] = get_args(Clock)


@dataclass(frozen=True, slots=True)
class Override:
    rule_id: str
    region_prefix: str
    severity: str
    milestone: str
    hours: float
    source_document: str | None


@dataclass(frozen=True, slots=True)
class Rules:
    version: str
    clock: str
    deadlines: tuple[Deadline, ...]
    overrides: tuple[Override, ...] = ()
    link_window_days: float = 30.0  # how long after an event's start a response is still linked to it

    def satisfied_by(self) -> dict[str, list[str]]:
        """Per rule id, regional overrides included: the response kinds that meet its milestone ("*": any)."""
        base = {(d.severity, d.milestone): list(d.satisfied_by) for d in self.deadlines}
        out = {d.rule_id: list(d.satisfied_by) for d in self.deadlines}
        out.update({o.rule_id: base.get((o.severity, o.milestone), ["*"]) for o in self.overrides})
        return out

    def for_event(self, severity: str, region_code: str | None) -> list[Deadline]:
        """The deadlines that apply to an event of this severity and place (overrides applied)."""
        place = trimmed(region_code)
        out = []
        for d in self.deadlines:
            if d.severity != severity:
                continue
            matching = [
                o
                for o in self.overrides
                if o.severity == d.severity
                and o.milestone == d.milestone
                and place.startswith(o.region_prefix)
            ]
            if matching:
                o = max(matching, key=lambda o: len(o.region_prefix))
                d = Deadline(
                    rule_id=o.rule_id,
                    milestone=d.milestone,
                    severity=d.severity,
                    hours=o.hours,
                    source_document=o.source_document or d.source_document,
                    satisfied_by=d.satisfied_by,
                    clock=d.clock,
                )
            out.append(d)
        return out


_Hours = Annotated[float, Field(gt=0)]
# Severities and milestones are the vocabulary's; as written in the file they are strings.
_Severity = Annotated[Severity, Field(strict=False)]
_Milestone = Annotated[vocab.Milestone, Field(strict=False)]


class _Rule(Table):
    """A ``[[rule]]``: the national baseline for one severity and milestone."""

    id: str
    severity: _Severity
    milestone: _Milestone
    hours: _Hours
    source: str
    satisfied_by: list[str] = Field(default_factory=lambda: ["*"])

    @field_validator("satisfied_by")
    @classmethod
    def _kinds(cls, value: list[str]) -> list[str]:
        unknown = [k for k in value if k != "*" and k not in MILESTONES]
        if unknown or not value:
            raise ValueError(
                f'satisfied_by lists response kinds: {", ".join(MILESTONES)}, or "*" for any; got {value!r}'
            )
        return value


class _Override(Table):
    """An ``[[override]]``: other hours for one rule in the divisions under a region-code prefix."""

    id: str
    region_prefix: Annotated[
        str, matching(r"(\d\d){1,3}", "region_prefix is 2, 4 or 6 digits of a GB/T 2260 code")
    ]
    severity: _Severity
    milestone: _Milestone
    hours: _Hours
    source: str | None = None


class _Linking(Table):
    window_days: _Hours = 30.0


class _RulesFile(Table):
    version: str
    clock: Clock = "event_start"
    linking: _Linking = _Linking()
    rule: list[_Rule] = Field(default_factory=list)
    override: list[_Override] = Field(default_factory=list)


def parse_rules(text: str, *, where: str = "rules.toml", clock: str | None = None) -> Rules:
    checked = tomlschema.parse(
        text, _RulesFile, where=where, labels={"rule": _named("rule"), "override": _named("override")}
    )
    chosen = clock or checked.clock
    if chosen not in CLOCKS:
        raise ConfigError(f"{where}: clock must be one of {CLOCKS}, not {chosen!r}")
    deadlines = tuple(
        Deadline(
            rule_id=r.id,
            milestone=r.milestone.value,
            severity=r.severity.value,
            hours=r.hours,
            source_document=r.source,
            satisfied_by=tuple(r.satisfied_by),
            clock=chosen,
        )
        for r in checked.rule
    )
    overrides = tuple(
        Override(
            rule_id=o.id,
            region_prefix=o.region_prefix,
            severity=o.severity.value,
            milestone=o.milestone.value,
            hours=o.hours,
            source_document=o.source,
        )
        for o in checked.override
    )
    return Rules(checked.version, chosen, deadlines, overrides, checked.linking.window_days)


def _named(table: str) -> tomlschema.Label:
    """A rule or override is named by its id, or its place in the file when it has none."""

    def label(index: int, raw: Any) -> str:
        rule_id = raw.get("id") if isinstance(raw, dict) else None
        return f"{table} {rule_id!r}" if isinstance(rule_id, str) else f"{table} #{index + 1}"

    return label


def load_rules(path: Path | None = None, *, clock: str | None = None) -> Rules:
    p = path or RULES_PATH
    return parse_rules(p.read_text(encoding="utf-8"), where=str(p), clock=clock)


def satisfies(response: Response, deadline: Deadline) -> bool:
    return "*" in deadline.satisfied_by or any(k in deadline.satisfied_by for k in response.kinds)


def milestones(event: Event, responses: Sequence[Response], rules: Rules, as_of: datetime) -> list[Milestone]:
    """The event's milestones with deadline and status as of ``as_of``."""
    out = []
    visible = [r for r in responses if r.event_id == event.event_id and r.visible_at <= as_of]
    for d in rules.for_event(event.severity, event.region_code):
        start = event.started_at if d.clock == "event_start" else event.first_detected_at
        deadline_at = start + timedelta(hours=d.hours)
        qualifying = sorted(
            (r for r in visible if satisfies(r, d) and r.responded_at >= event.started_at),
            key=lambda r: (r.responded_at, r.reported, r.item_id),  # official before reported on ties
        )
        first = qualifying[0] if qualifying else None
        out.append(
            Milestone(
                event_id=event.event_id,
                milestone=d.milestone,
                rule_id=d.rule_id,
                rule_version=rules.version,
                source_document=d.source_document,
                clock=d.clock,
                started_at=start,
                deadline_hours=d.hours,
                deadline_at=deadline_at,
                status=status(deadline_at, first.responded_at if first else None, as_of),
                met_at=first.responded_at if first else None,
                met_by_item_id=first.item_id if first else None,
                reported=first.reported if first else None,
                evidence_item_ids=tuple(r.item_id for r in qualifying),
                matched_terms=first.matched_terms if first else (),
                clock_basis=event.clock_basis if d.clock == "event_start" else "first detected",
            )
        )
    return out


def status(deadline_at: datetime, met_at: datetime | None, as_of: datetime) -> str:
    if met_at is not None and met_at <= as_of:
        return MET if met_at <= deadline_at else MET_LATE
    return OVERDUE if as_of > deadline_at else PENDING
