"""An analyst's word on grouping: these events are one incident (``yuqing merge``), these reports of an event are
another matter (``yuqing split``), or, either taken back (``--undo``), that the grouper should read the reports again.

The grouper keeps apart reports of one incident whose places or wording it reads apart (two outlets' headlines, a
reprint's dateline); each then runs its own clock, and a response linked to one leaves the other overdue. A merge makes
them one event at once, with its responses and milestones linked again, and keeps them one in every track run after
(``grouping.group``'s ``joined``), as the members of a stored event are kept together. The events merged are retired
into the one the earliest report opens, and the analysts' other decisions on them follow it (``write_grouping``).

The grouper also joins, more rarely, two matters (two estates' complaints a week apart, one place's two incidents), and
a merged event hides a matter. A split takes the reports named out of the event into one of their own, and in every
track run after no event holds both them and the event's other reports (``components.kept_apart``): a later report that
would bridge them joins the side it shares most wording with.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from warehouse import decisions
from warehouse import events as sql
from yuqing.errors import StorageError
from yuqing.timeutil import to_utc, utcnow

from .deadlines import Rules, load_rules
from .grouping import group
from .model import Milestone
from .responses import LinkParams
from .run import DEFAULT_GROUPING, WarehouseLike, link_events, stored_events


@dataclass(frozen=True, slots=True)
class Word:
    """An analyst's word: who decided, why, and when it is recorded (default now)."""

    analyst: str
    reason: str
    now: datetime | None = None


@dataclass(frozen=True, slots=True)
class Regrouping:
    """What an analyst's decision on grouping did."""

    decision: str  # merged, merge taken back, split, split taken back
    decision_ids: tuple[str, ...]  # the merge or split recorded, or those taken back
    event_ids: tuple[str, ...]  # the events there are now (one when merged)
    from_ids: tuple[str, ...]  # the events there were
    items: int  # their reports
    milestones: tuple[Milestone, ...]  # the events' milestones now


def _decision_id(prefix: str, ids: Iterable[str], recorded: datetime) -> str:
    """``mg-`` or ``sp-`` and 16 hex digits of the ids it is on and when it was recorded."""
    key = "\x00".join([*sorted(ids), recorded.isoformat()])
    return prefix + hashlib.sha1(key.encode()).hexdigest()[:16]


def merge(wh: WarehouseLike, event_ids: Sequence[str], word: Word, rules: Rules | None = None) -> Regrouping:
    """Record an analyst's word that ``event_ids`` are one incident and make them one event, as of the last track run:
    its responses are linked again and its milestones recomputed, so the views, ``overdue`` and the digest follow at
    once; every track run after keeps them one. A split that had kept their reports apart is taken back."""
    first, *others = event_ids or [""]
    with _deciding(wh, first, word) as (con, first, _members, recorded):
        ids = tuple(dict.fromkeys([first, *(sql.resolve_event_id(con, e) for e in others)]))
        if len(ids) < 2:
            raise ValueError(f"a merge needs two events or more, not {', '.join(ids)}")
        prior = sql.members_of(con, ids)
        missing = sorted(set(ids) - set(prior.values()))
        if missing:
            raise StorageError(f"no event {', '.join(map(repr, missing))}")
        merge_id = _decision_id("mg-", ids, recorded)
        for split_id, out, rest in decisions.standing_splits(con, prior):
            if set(out) & set(prior) and set(rest) & set(prior):
                why = f"merge {merge_id}: {word.reason}"
                decisions.add_split(con, split_id, False, first, [], [], word.analyst, why, recorded)
        joined = [list(prior), *(together for _id, together in decisions.standing_merges(con, prior))]
        new_ids, ms = _regroup(con, prior, recorded, rules, first, prior=prior, joined=joined)
        if len(new_ids) != 1:  # a report not visible as of the last run: it joins when a run sees it
            raise StorageError(f"events {', '.join(ids)} hold reports not visible as of the last track run")
        decisions.add_merge(con, merge_id, True, ids, list(prior), new_ids[0], word.analyst, word.reason, recorded)
    return Regrouping("merged", (merge_id,), new_ids, ids, len(prior), ms)


def unmerge(wh: WarehouseLike, event_id: str, word: Word, rules: Rules | None = None) -> Regrouping:
    """Take back every analyst's merge that stands on ``event_id``: the grouper reads its reports again, as of the last
    track run, and the events it finds are linked again. The analysts' other decisions stay with the event that keeps
    the id."""
    with _deciding(wh, event_id, word) as (con, event_id, members, recorded):
        standing = decisions.standing_merges(con, members)
        if not standing:
            raise ValueError(f"no analyst's merge stands on event {event_id!r}: the grouper made it")
        for merge_id, _items in standing:
            decisions.add_merge(con, merge_id, False, [event_id], [], event_id, word.analyst, word.reason, recorded)
        # the other merges of the same reports stand (none: each one undone here holds some of them)
        new_ids, ms = _regroup(con, members, recorded, rules, event_id)
    return Regrouping("merge taken back", tuple(m for m, _ in standing), new_ids, (event_id,), len(members), ms)


def split(wh: WarehouseLike, event_id: str, item_ids: Sequence[str], word: Word, rules: Rules | None = None) -> Regrouping:
    """Record an analyst's word that ``item_ids``, reports of ``event_id``, are another matter: they leave it for an
    event of their own, as of the last track run, both events linked again; every track run after keeps them apart.
    A merge that had joined them to the others is taken back."""
    with _deciding(wh, event_id, word) as (con, event_id, members, recorded):
        out = tuple(dict.fromkeys(item_ids))
        strangers = sorted(set(out) - set(members))
        if strangers:
            raise ValueError(f"{', '.join(strangers)} not among the reports of event {event_id!r}")
        rest = tuple(i for i in members if i not in set(out))
        if not out or not rest:
            raise ValueError("a split takes some of the event's reports out and leaves the others: name at least one, not all")
        split_id = _decision_id("sp-", [event_id, *out], recorded)
        for merge_id, together in decisions.standing_merges(con, members):
            if set(together) & set(out) and set(together) & set(rest):
                why = f"split {split_id}: {word.reason}"
                decisions.add_merge(con, merge_id, False, [event_id], [], event_id, word.analyst, why, recorded)
        decisions.add_split(con, split_id, True, event_id, out, rest, word.analyst, word.reason, recorded)
        # the event's other reports stay one event; those taken out go together
        kept = {i: event_id for i in rest}
        new_ids, ms = _regroup(con, members, recorded, rules, event_id, prior=kept, joined=[out])
    return Regrouping("split", (split_id,), new_ids, (event_id,), len(members), ms)


def unsplit(wh: WarehouseLike, event_id: str, word: Word, rules: Rules | None = None) -> Regrouping:
    """Take back every analyst's split that stands on the reports of ``event_id``: the grouper reads the reports of
    both sides again, as of the last track run (they become one event again only if it joins them)."""
    with _deciding(wh, event_id, word) as (con, event_id, members, recorded):
        standing = decisions.standing_splits(con, members)
        if not standing:
            raise ValueError(f"no analyst's split stands on event {event_id!r}")
        for split_id, _out, _rest in standing:
            decisions.add_split(con, split_id, False, event_id, [], [], word.analyst, word.reason, recorded)
        both = {i for _id, out, rest in standing for i in (*out, *rest)}
        events = {event_id, *sql.memberships(con, both).values()}
        prior = sql.members_of(con, events)
        joined = [together for _id, together in decisions.standing_merges(con, prior)]
        new_ids, ms = _regroup(con, prior, recorded, rules, event_id, prior=prior, joined=joined)
    taken_back = tuple(s for s, _o, _r in standing)
    return Regrouping("split taken back", taken_back, new_ids, tuple(sorted(events)), len(prior), ms)


@contextmanager
def _deciding(wh: WarehouseLike, event_id: str, word: Word) -> Iterator[tuple[Any, str, dict[str, str], datetime]]:
    """One analyst's decision on an event's reports, in one transaction: (connection, the event's id with merges
    followed, its members, when it is recorded)."""
    if not word.analyst.strip() or not word.reason.strip():
        raise ValueError("a decision on grouping needs the analyst's name and a reason")
    recorded = to_utc(word.now or utcnow())
    with wh.transaction():
        con = wh.con
        event_id = sql.resolve_event_id(con, event_id)
        members = sql.members_of(con, [event_id])
        if not members:
            raise StorageError(f"no event {event_id!r}")
        yield con, event_id, members, recorded


def _regroup(
    con: Any,
    item_ids: Iterable[str],
    recorded: datetime,
    rules: Rules | None,
    event_id: str,
    *,
    prior: Mapping[str, str] | None = None,
    joined: Sequence[Sequence[str]] = (),
) -> tuple[tuple[str, ...], tuple[Milestone, ...]]:
    """Group these reports again as of the last track run, under the splits standing on them, write the events (an id
    that stands again is no longer an alias; ``event_id``, when no event keeps it, retires into the earliest), and link
    them again. Returns the events' ids and milestones."""
    rules = rules or load_rules()
    as_of = sql.last_track_as_of(con) or recorded
    ids = list(item_ids)
    apart = [(a, b) for _id, a, b in decisions.standing_splits(con, ids)]
    result = group(sql.items_by_id(con, ids, as_of), as_of, prior=prior, params=DEFAULT_GROUPING, joined=joined, apart=apart)
    if not result.events:
        raise StorageError(f"event {event_id!r} holds no report visible as of the last track run")
    new_ids = [ev.event_id for ev in result.events]
    retired = {old: new for old, new in result.retired.items() if old not in set(new_ids)}
    if event_id not in new_ids:  # its opening report no longer visible (a backfill's earlier run)
        retired.setdefault(event_id, new_ids[0])
    sql.write_grouping(con, result.events, retired, as_of)
    sql.revive(con, new_ids)
    _links, ms = link_events(con, stored_events(con, new_ids), as_of, rules, _linking(rules))
    return tuple(new_ids), tuple(ms)


def _linking(rules: Rules) -> LinkParams:
    return LinkParams(window_days=rules.link_window_days, live_hours=DEFAULT_GROUPING.window_hours)
