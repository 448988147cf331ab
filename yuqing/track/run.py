"""The track step: group new items into events, link responses, compute milestones, write it all.

I/O lives here and in ``warehouse/events.py``; the decisions are the pure functions of
``grouping``, ``responses`` and ``deadlines``. A run with ``as_of = T`` only sees items with
item_time ≤ T and fetched_at ≤ T (docs/design.md "Time"), and re-running it changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import duckdb

from warehouse import decisions
from warehouse import events as sql
from warehouse.rows import into, opened_by
from yuqing.errors import StorageError
from yuqing.timeutil import fmt_local, to_utc, utcnow
from yuqing.vocab import MILESTONES
from yuqing.vocab import Milestone as Kind

from . import text
from .deadlines import Rules, load_rules, milestones
from .grouping import LOCALITY_BANDS, GroupingParams, eligible, group, item_keys, profiles
from .model import GENERAL, MAJOR, Event, Milestone, Response, TrackItem
from .responses import LinkParams, addressed, decided, link

SEVERITIES = (GENERAL, MAJOR)
DEFAULT_GROUPING = GroupingParams()
_NEVER = datetime.max.replace(tzinfo=UTC)  # ``events_since(con, _NEVER, ids)`` reads the listed events alone


class WarehouseLike(Protocol):
    con: duckdb.DuckDBPyConnection

    def transaction(self) -> AbstractContextManager[Any]: ...


@dataclass(frozen=True, slots=True)
class TrackReport:
    run_id: str
    as_of: datetime
    items_seen: int  # new items this run looked at
    members: int  # of which joined or opened an event
    events_touched: int
    events_retired: int
    responses_linked: int
    milestones: int
    overdue: int  # (event, milestone) pairs overdue as of as_of among the recomputed events (none dismissed)


@dataclass(frozen=True, slots=True)
class OverdueRow:
    event_id: str
    topics: tuple[str, ...]
    started_at: datetime
    milestone: str
    deadline_at: datetime
    severity: str
    title: str
    item_urls: tuple[str, ...]
    region_code: str | None
    region_name: str | None
    rule_id: str
    rule_version: str
    source_document: str
    overdue_by: timedelta
    # why the event's opening item opened it (``warehouse.rows.opened_by``): its issue evidence; () an official
    # source's report of a major emergency elsewhere; None not recorded
    opened_by: tuple[str, ...] | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "event_id": self.event_id,
            "topics": list(self.topics),
            "started_at": self.started_at.isoformat(),
            "milestone": self.milestone,
            "deadline_at": self.deadline_at.isoformat(),
            "severity": self.severity,
            "title": self.title,
            "item_urls": list(self.item_urls),
            "region_code": self.region_code,
            "region_name": self.region_name,
            "rule_id": self.rule_id,
            "rule_version": self.rule_version,
            "source_document": self.source_document,
            "overdue_hours": round(self.overdue_by.total_seconds() / 3600, 2),
            "opened_by": None if self.opened_by is None else list(self.opened_by),
        }


def _role(item: TrackItem, member_ids: set[str], params: GroupingParams) -> str:
    """What an item was to the tracker (track_items.role)."""
    if item.item_id in member_ids:
        return "member"
    if item.is_response:
        return "response"
    if item.official and not item.may_open:
        return "official"
    if not item.may_open:
        return "not_issue"  # neither an issue nor an outside reporter of a major emergency
    if not (item.topics or item.severity == MAJOR or item.outside_reporter):
        return "off_topic"
    if not eligible(item, params):
        return "backlog"  # already older than the lookback when first fetched
    return "unopened"


def run_track(
    wh: WarehouseLike,
    as_of: datetime | None = None,
    *,
    rules: Rules | None = None,
    grouping: GroupingParams = DEFAULT_GROUPING,
    linking: LinkParams | None = None,
    history: bool = False,
) -> TrackReport:
    """One track run as of ``as_of`` (default now), written in one transaction.

    ``history``: no onboarding lookback (``GroupingParams.open_lookback_days``), and the items an
    earlier run set aside as back catalogue (role ``backlog``) are looked at again."""
    as_of = to_utc(as_of) if as_of is not None else utcnow()
    rules = rules or load_rules()
    linking = linking or LinkParams(window_days=rules.link_window_days, live_hours=grouping.window_hours)
    started = utcnow()
    run_id = "track-" + hashlib.sha1(as_of.isoformat().encode()).hexdigest()[:12]
    if history:
        grouping = replace(grouping, open_lookback_days=None)
    with wh.transaction():
        con = wh.con
        if history:
            sql.forget_roles(con, "backlog")
        new = sql.new_items(con, as_of)
        new_members = [it for it in new if eligible(it, grouping)]
        sig = text.signatures([text.shingle_text(it.title, it.summary) for it in new_members])
        prof = profiles(new_members)
        keys = item_keys(new_members, sig, prof)
        cand_ids = sql.band_candidates(
            con,
            [it.item_time for it in new_members],
            keys,
            grouping.window_hours,
            long_from=LOCALITY_BANDS,
            long_hours=grouping.reraise_days * 24,
        )
        # what analysts merged stays one event: a new member's partners in a merge bring their event in
        merged = decisions.standing_merges(con, [it.item_id for it in new_members]) if new_members else []
        cand_ids = [*cand_ids, *(i for _id, items in merged for i in items)]
        touched_before = set(sql.memberships(con, cand_ids).values())
        prior = sql.members_of(con, touched_before)
        old_items = sql.items_by_id(con, prior, as_of)
        joined = [items for _id, items in decisions.standing_merges(con, prior)] if prior else []
        run_ids = [*(it.item_id for it in new_members), *prior]
        apart = [(a, b) for _id, a, b in decisions.standing_splits(con, run_ids)] if run_ids else []
        # a matter raised again after its event's first answer opens an event of its own (grouping.reraised)
        answered = sql.first_answers(con, touched_before) if touched_before else {}
        result = group(
            [*new_members, *old_items], as_of, prior=prior, params=grouping, joined=joined, apart=apart, answered=answered
        )
        sql.write_grouping(con, result.events, dict(result.retired), as_of)
        sql.write_bands(con, new_members, keys)
        member_ids = {iid for ev in result.events for iid in ev.item_ids}
        stated = {
            it.item_id: (s.at, s.wording)
            for it, s in zip(new_members, prof.stated, strict=True)
            if s is not None and it.item_id in member_ids
        }
        sql.write_tracked(con, {it.item_id: _role(it, member_ids, grouping) for it in new}, as_of, stated)

        # Link responses in the window to the events that started in it (plus the touched ones).
        touched = {ev.event_id for ev in result.events}
        events = sql.events_since(con, as_of - timedelta(days=linking.window_days), touched)
        links, ms = link_events(con, events, as_of, rules, linking)
        dismissed = decisions.dismissed_ids(con, as_of) if ms else set()
        report = TrackReport(
            run_id=run_id,
            as_of=as_of,
            items_seen=len(new),
            members=len(new_members),
            events_touched=len(result.events),
            events_retired=len(result.retired),
            responses_linked=len(links),
            milestones=len(ms),
            overdue=sum(1 for m in ms if m.status == "overdue" and m.event_id not in dismissed),
        )
        sql.record_run(con, run_id, as_of, started, {k: v for k, v in _counts(report).items()})
    return report


def link_events(
    con: duckdb.DuckDBPyConnection, events: Sequence[Event], as_of: datetime, rules: Rules, linking: LinkParams
) -> tuple[list[Response], list[Milestone]]:
    """Link the responses of the window before ``as_of`` to ``events``, apply the analysts' link decisions, and write
    the events' responses and milestones as of ``as_of``."""
    since = as_of - timedelta(days=linking.window_days)
    responses = sql.response_items(con, as_of, since)
    handles = {h for r in responses for h in addressed(r)}
    authors = sql.authored(con, handles, as_of, since) if handles and events else {}
    event_ids = [ev.event_id for ev in events]
    # A run reads the window's responses again, not each event's whole history: the links to responses older than
    # the window stay, so an event answered before it keeps its answer while its reports go on.
    kept = [r for r in sql.stored_responses(con, event_ids) if r.responded_at < since and r.visible_at <= as_of]
    links = [*kept, *link(events, responses, params=linking, authored=authors)]
    links = decided(links, decisions.response_decisions(con, event_ids, as_of))  # an analyst's word wins
    sql.replace_responses(con, event_ids, links)
    ms = [m for ev in events for m in milestones(ev, links, rules, as_of)]
    sql.replace_milestones(con, event_ids, ms, rules.satisfied_by(), as_of)
    return links, ms


def _counts(report: TrackReport) -> dict[str, int]:
    return {
        "items_seen": report.items_seen,
        "members": report.members,
        "events_touched": report.events_touched,
        "events_retired": report.events_retired,
        "responses_linked": report.responses_linked,
        "milestones": report.milestones,
        "overdue": report.overdue,
    }


DEFAULT_OVERDUE_LOOKBACK_DAYS = 30  # as the digest: older unanswered events are history, not alerts


def overdue(
    wh: WarehouseLike,
    as_of: datetime | None = None,
    *,
    lookback_days: int | None = DEFAULT_OVERDUE_LOOKBACK_DAYS,
) -> list[OverdueRow]:
    """One row per (event, milestone) overdue as of ``as_of``, from what was visible then.

    Only events that started within ``lookback_days`` before ``as_of`` (by their stored start, the
    earliest item_time of their items) are considered; ``None`` looks at every stored event.
    """
    as_of = to_utc(as_of) if as_of is not None else utcnow()
    if lookback_days is not None and lookback_days < 0:
        raise ValueError(f"lookback_days must be >= 0 or None, not {lookback_days}")
    horizon = None if lookback_days is None else as_of - timedelta(days=lookback_days)
    rows = sql.overdue_rows(wh.con, as_of, horizon)
    return [
        into(
            OverdueRow,
            r,
            topics=tuple(r.topics),
            item_urls=tuple(r.item_urls),
            overdue_by=timedelta(seconds=int(r.overdue_seconds)),
            opened_by=opened_by(r.opener_issue, r.opener_evidence),
        )
        for r in rows
    ]


def set_severity_override(
    wh: WarehouseLike,
    event_id: str,
    severity: str,
    analyst: str,
    reason: str,
    *,
    rules: Rules | None = None,
    at: datetime | None = None,
) -> None:
    """Record an analyst's severity for an event (it wins over the proposal) and recompute its milestones
    as of the last track run, so views and ``overdue`` follow at once."""
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {SEVERITIES}, not {severity!r}")
    if not analyst.strip() or not reason.strip():
        raise ValueError("an override needs the analyst's name and a reason")
    rules = rules or load_rules()
    with wh.transaction():
        con = wh.con
        event_id = sql.resolve_event_id(con, event_id)
        if not decisions.add_severity_override(con, event_id, severity, analyst, reason, to_utc(at or utcnow())):
            raise StorageError(f"no event {event_id!r}")
        _remeasure(con, stored_event(con, event_id), sql.stored_responses(con, [event_id]), rules)


def stored_events(con: duckdb.DuckDBPyConnection, event_ids: Sequence[str]) -> list[Event]:
    """The stored events listed, with the analyst's severity applied."""
    return sql.events_since(con, _NEVER, event_ids)


def stored_event(con: duckdb.DuckDBPyConnection, event_id: str) -> Event:
    """One stored event by its id, with the analyst's severity applied."""
    for event in stored_events(con, [event_id]):
        return event
    raise StorageError(f"no event {event_id!r}")


def _remeasure(
    con: duckdb.DuckDBPyConnection, event: Event, links: Sequence[Response], rules: Rules
) -> list[Milestone]:
    """Rewrite one event's responses and milestones as of the last track run, after an analyst's decision, so the
    views and ``overdue`` follow it at once."""
    as_of = sql.last_track_as_of(con) or utcnow()
    sql.replace_responses(con, [event.event_id], links)
    ms = milestones(event, links, rules, as_of)
    sql.replace_milestones(con, [event.event_id], ms, rules.satisfied_by(), as_of)
    return ms


@dataclass(frozen=True, slots=True)
class LinkDecision:
    """An analyst's word that an item answers an event (``remove``: that it does not, though the matcher linked it).
    ``kinds``: the milestones it meets (default: the item's own response kinds, else first information and first
    response)."""

    event_id: str
    item_id: str
    analyst: str
    reason: str
    remove: bool = False
    kinds: tuple[str, ...] = ()


def decide_response(
    wh: WarehouseLike, decision: LinkDecision, *, rules: Rules | None = None, now: datetime | None = None
) -> tuple[str, tuple[Milestone, ...]]:
    """Record an analyst's link decision and recompute the event's responses and milestones as of the last track
    run, so readers follow at once; every later track run applies it too. Returns the event's id (a retired id
    resolved to the event it merged into) and its milestones."""
    item_id, analyst, reason, remove = decision.item_id, decision.analyst, decision.reason, decision.remove
    if not analyst.strip() or not reason.strip():
        raise ValueError("a link decision needs the analyst's name and a reason")
    kinds: tuple[str, ...] = decision.kinds
    unknown = sorted(set(kinds) - set(MILESTONES))
    if unknown:
        raise ValueError(f"unknown milestone kinds {unknown}: use {', '.join(MILESTONES)}")
    rules = rules or load_rules()
    with wh.transaction():
        con = wh.con
        event_id = sql.resolve_event_id(con, decision.event_id)
        item = decisions.item_facts(con, item_id)
        if item is None:
            raise StorageError(f"no item {item_id!r}")
        event = stored_event(con, event_id)
        if not remove and item.item_time < event.started_at:
            raise ValueError(
                f"item {item_id!r} ({fmt_local(item.item_time)}) is older than event {event_id!r}, which started "
                f"{fmt_local(event.started_at)}: a response comes after what it answers"
            )
        is_response = item.official_response or item.reported_response
        if not remove and not is_response and sql.memberships(con, [item_id]).get(item_id) == event_id:
            raise ValueError(
                f"item {item_id!r} is one of event {event_id!r}'s reports, and no response: a report of the matter "
                "does not answer it"
            )
        if remove:
            kinds = ()
        elif not kinds:
            kinds = tuple(item.response_kinds) or (Kind.FIRST_INFORMATION, Kind.FIRST_RESPONSE)
        decisions.add_response_decision(con, event_id, item_id, not remove, kinds, analyst, reason, to_utc(now or utcnow()))
        as_of = sql.last_track_as_of(con) or utcnow()
        links = decided(sql.stored_responses(con, [event_id]), decisions.response_decisions(con, [event_id], as_of))
        ms = _remeasure(con, event, links, rules)
    return event_id, tuple(ms)


@dataclass(frozen=True, slots=True)
class Dismissal:
    event_id: str  # the event it was recorded on (a retired id resolved to the event it merged into)
    dismissed: bool
    covered: int  # members it covers
    open_milestones: int  # unanswered milestones it stops flagging (or flags again, taken back)
    at: datetime


def dismiss(
    wh: WarehouseLike,
    event_id: str,
    analyst: str,
    reason: str,
    *,
    undo: bool = False,
    at: datetime | None = None,
    now: datetime | None = None,
) -> Dismissal:
    """Record an analyst's word that an event needs no answer (``undo``: take it back) as of ``at`` (default now):
    from then on it is flagged neither overdue nor due, raises no alert and leaves the digest, until a member that
    is an issue joins it that the dismissal did not cover. Nothing stored is recomputed: every reader applies it
    as of its own time (``dismissed_as_of``)."""
    if not analyst.strip() or not reason.strip():
        raise ValueError("a dismissal needs the analyst's name and a reason")
    recorded = to_utc(now or utcnow())
    at = to_utc(at) if at is not None else recorded
    with wh.transaction():
        con = wh.con
        event_id = sql.resolve_event_id(con, event_id)
        covered = decisions.add_dismissal(con, event_id, not undo, analyst, reason, at, recorded)
        if covered is None:
            raise StorageError(f"no event {event_id!r}")
        open_milestones = decisions.open_milestones(con, event_id, at)
    return Dismissal(event_id, not undo, covered, open_milestones, at)
