"""An analyst's word on grouping: these events are one incident (``yuqing merge``), or, taken back, that the grouper
should read their reports again (``yuqing merge --undo``).

The grouper keeps apart reports of one incident whose places or wording it reads apart (two outlets' headlines, a
reprint's dateline); each then runs its own clock, and a response linked to one leaves the other overdue. A merge makes
them one event at once, with its responses and milestones linked again, and keeps them one in every track run after
(``grouping.group``'s ``joined``), as the members of a stored event are kept together. The events merged are retired
into the one the earliest report opens, and the analysts' other decisions on them follow it (``write_grouping``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from warehouse import decisions
from warehouse import events as sql
from yuqing.errors import StorageError
from yuqing.timeutil import to_utc, utcnow

from .deadlines import Rules, load_rules
from .grouping import group
from .model import Milestone
from .responses import LinkParams
from .run import _NEVER, DEFAULT_GROUPING, WarehouseLike, link_events


@dataclass(frozen=True, slots=True)
class MergeResult:
    merge_ids: tuple[str, ...]  # the merge recorded, or the merges taken back
    merged: bool  # False: taken back
    event_ids: tuple[str, ...]  # the events there are now (one when merged)
    from_ids: tuple[str, ...]  # the events there were
    items: int  # their reports
    milestones: tuple[Milestone, ...]  # the events' milestones now


def _merge_id(event_ids: Sequence[str], recorded: datetime) -> str:
    key = "\x00".join([*sorted(event_ids), recorded.isoformat()])
    return "mg-" + hashlib.sha1(key.encode()).hexdigest()[:16]


def _check(analyst: str, reason: str) -> None:
    if not analyst.strip() or not reason.strip():
        raise ValueError("a merge needs the analyst's name and a reason")


def merge(
    wh: WarehouseLike,
    event_ids: Sequence[str],
    analyst: str,
    reason: str,
    *,
    rules: Rules | None = None,
    now: datetime | None = None,
) -> MergeResult:
    """Record an analyst's word that ``event_ids`` are one incident and make them one event, as of the last track run:
    its responses are linked again and its milestones recomputed, so the views, ``overdue`` and the digest follow at
    once; every track run after keeps them one."""
    _check(analyst, reason)
    rules = rules or load_rules()
    recorded = to_utc(now or utcnow())
    with wh.transaction():
        con = wh.con
        ids = tuple(dict.fromkeys(sql.resolve_event_id(con, e) for e in event_ids))
        if len(ids) < 2:
            raise ValueError(f"a merge needs two events or more, not {', '.join(ids) or 'none'}")
        prior = sql.members_of(con, ids)
        missing = sorted(set(ids) - set(prior.values()))
        if missing:
            raise StorageError(f"no event {', '.join(map(repr, missing))}")
        as_of = sql.last_track_as_of(con) or recorded
        items = sql.items_by_id(con, prior, as_of)
        joined = [list(prior), *(together for _id, together in decisions.standing_merges(con, prior))]
        result = group(items, as_of, prior=prior, params=DEFAULT_GROUPING, joined=joined)
        if len(result.events) != 1:  # an item not visible as of the last run: it joins when a run sees it
            raise StorageError(f"events {', '.join(ids)} hold reports not visible as of the last track run")
        event = result.events[0]
        sql.write_grouping(con, result.events, dict(result.retired), as_of)
        merge_id = _merge_id(ids, recorded)
        decisions.add_merge(con, merge_id, True, ids, list(prior), event.event_id, analyst, reason, recorded)
        _links, ms = link_events(con, sql.events_since(con, _NEVER, [event.event_id]), as_of, rules, _linking(rules))
    return MergeResult((merge_id,), True, (event.event_id,), ids, len(prior), tuple(ms))


def unmerge(
    wh: WarehouseLike,
    event_id: str,
    analyst: str,
    reason: str,
    *,
    rules: Rules | None = None,
    now: datetime | None = None,
) -> MergeResult:
    """Take back every analyst's merge that stands on ``event_id``: the grouper reads its reports again, as of the last
    track run, and the events it finds are linked again. The analysts' other decisions stay with the event that keeps
    the id."""
    _check(analyst, reason)
    rules = rules or load_rules()
    recorded = to_utc(now or utcnow())
    with wh.transaction():
        con = wh.con
        event_id = sql.resolve_event_id(con, event_id)
        members = sql.members_of(con, [event_id])
        if not members:
            raise StorageError(f"no event {event_id!r}")
        standing = decisions.standing_merges(con, members)
        if not standing:
            raise ValueError(f"no analyst's merge stands on event {event_id!r}: the grouper made it")
        for merge_id, _items in standing:
            decisions.add_merge(con, merge_id, False, [event_id], [], event_id, analyst, reason, recorded)
        as_of = sql.last_track_as_of(con) or recorded
        # the other merges of the same reports stand (none: each one undone here holds some of them)
        result = group(sql.items_by_id(con, members, as_of), as_of, params=DEFAULT_GROUPING)
        if not result.events:
            raise StorageError(f"event {event_id!r} holds no report visible as of the last track run")
        new_ids = [ev.event_id for ev in result.events]
        # its opening report no longer visible (a backfill's earlier run): the id retires into the earliest event
        retired = {} if event_id in new_ids else {event_id: new_ids[0]}
        sql.write_grouping(con, result.events, retired, as_of)
        sql.revive(con, new_ids)
        _links, ms = link_events(con, sql.events_since(con, _NEVER, new_ids), as_of, rules, _linking(rules))
    return MergeResult(tuple(m for m, _ in standing), False, tuple(new_ids), (event_id,), len(members), tuple(ms))


def _linking(rules: Rules) -> LinkParams:
    return LinkParams(window_days=rules.link_window_days, live_hours=DEFAULT_GROUPING.window_hours)
