"""``collect``: read the warehouse as of T for one route and decide what the digest says.

The SQL is in ``warehouse/digests.py``; the decisions (which milestone is overdue or due, which event
is new, which response arrived, how sections are ordered and capped) are the pure function
``assemble`` below, so they can be tested without a database.

``collect`` lets SQL count every section and reads the details (first item's link, milestones) only
of the events a section can show. ``tests/digest/reference.py`` holds the reference read that gives
every event to ``assemble`` instead; the tests and ``bench/bench_warehouse.py`` check ``collect``
against it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TypeVar

from warehouse import digests as sql
from warehouse.rows import into
from yuqing.digest.model import (
    NO_TOPIC,
    DigestData,
    DueLine,
    DueSoonEvent,
    EventRef,
    MilestoneState,
    OverdueEvent,
    OverdueLine,
    ResponseEvent,
    ResponseLine,
    TopicGroup,
    TrendRow,
    topic_order,
)
from yuqing.digest.routes import Route
from yuqing.timeutil import shanghai, to_utc
from yuqing.vocab import Severity

T = TypeVar("T")

MAX_EVENTS_PER_SECTION = 30  # the digest is read at 08:00 on a phone; the rest is in the warehouse
TREND_DAYS = 7
DEFAULT_SINCE = timedelta(hours=24)  # "since the last digest" for a route that never had one


def digest_date(as_of: datetime) -> date:
    """The Asia/Shanghai calendar day of ``as_of``: the ledger key and the date in the subject."""
    return shanghai(as_of).date()


def _event_ref(e: sql.EventRecord) -> EventRef:
    return into(EventRef, e, severity_overridden=e.severity_override is not None, url=e.first_item_url)


def _state(m: sql.MilestoneRecord, as_of: datetime) -> MilestoneState:
    # A response not yet fetched at as_of does not exist for a digest as of as_of.
    met = m.met_at is not None and (m.met_visible_at or m.met_at) <= as_of
    return MilestoneState(
        milestone=m.milestone,
        rule_id=m.rule_id,
        source_document=m.source_document,
        met_visible_at=(m.met_visible_at or m.met_at) if met else None,
        deadline_at=m.deadline_at,
        met_at=m.met_at if met else None,
        reported=m.reported if met else False,
        evidence_url=m.met_by_url if met else None,
        by_analyst=m.by_analyst and met,
    )


def _primary_topic(event: EventRef, route: Route) -> str:
    """The topic an event is listed under in "new events": the first (in display order) the route wants."""
    wanted = [t for t in event.topics if not route.topics or t in route.topics]
    candidates = wanted or list(event.topics)
    return min(candidates, key=topic_order) if candidates else NO_TOPIC


def _new_order(event: EventRef) -> tuple[bool, int, datetime, str]:
    """The order of new events within a topic: major emergencies, then the biggest, the earliest."""
    return (event.severity != Severity.MAJOR, -event.item_count, event.first_detected_at, event.event_id)


def _cap(items: Sequence[T], section: str, omitted: list[tuple[str, int]], total: int) -> tuple[T, ...]:
    """The first of ``items``; ``total``: the section's size (``items`` may hold only its first rows)."""
    if total > MAX_EVENTS_PER_SECTION:
        omitted.append((section, total - MAX_EVENTS_PER_SECTION))
    return tuple(items[:MAX_EVENTS_PER_SECTION])


def assemble(
    *,
    route: Route,
    as_of: datetime,
    since: datetime,
    events: Sequence[sql.EventRecord],
    milestones: Sequence[sql.MilestoneRecord],
    daily: Sequence[sql.TopicDayCount],
    section_counts: sql.SectionCounts | None = None,
) -> DigestData:
    """Pure: the digest of ``route`` as of ``as_of`` from warehouse records.

    ``section_counts`` None: ``events`` are all the events that can appear in a section. Else ``events``
    include at least the first ``MAX_EVENTS_PER_SECTION`` of each section (and of the new events not
    listed above), and ``section_counts`` has the sizes of the full sections for the omitted counts.
    """
    as_of, since = to_utc(as_of), to_utc(since)
    due_horizon = as_of + timedelta(hours=route.due_within_hours)
    refs = {e.event_id: _event_ref(e) for e in events if route.matches(e.topics, e.region_code)}
    by_event: dict[str, list[sql.MilestoneRecord]] = defaultdict(list)
    for m in milestones:
        if m.event_id in refs:
            by_event[m.event_id].append(m)

    overdue: list[OverdueEvent] = []
    due_soon: list[DueSoonEvent] = []
    responses: list[ResponseEvent] = []
    for event_id, rows in by_event.items():
        event = refs[event_id]
        late_lines: list[OverdueLine] = []
        due_lines: list[DueLine] = []
        answered: list[ResponseLine] = []
        for m in rows:
            state = _state(m, as_of)
            if state.met_at is None:
                if m.deadline_at <= as_of:
                    late_lines.append(OverdueLine(state, as_of - m.deadline_at))
                elif m.deadline_at <= due_horizon:
                    due_lines.append(DueLine(state, m.deadline_at - as_of))
            elif state.met_visible_at is not None and state.met_visible_at > since:
                answered.append(ResponseLine(state, on_time=state.met_at <= m.deadline_at))
        # Each event is listed once, in the first section it belongs to; its other milestones ride along.
        due_lines.sort(key=lambda line: (line.remaining, line.milestone.milestone))
        answered.sort(key=lambda r: (r.milestone.met_at or as_of, r.milestone.milestone))
        if late_lines:
            late_lines.sort(key=lambda line: (-line.overdue_by, line.milestone.milestone))
            overdue.append(OverdueEvent(event, tuple(late_lines), also=(*due_lines, *answered)))
        elif due_lines:
            due_soon.append(DueSoonEvent(event, tuple(due_lines), also=tuple(answered)))
        elif answered:
            responses.append(ResponseEvent(event, tuple(answered)))

    overdue.sort(key=lambda o: (-o.overdue_by, o.event.event_id))
    due_soon.sort(key=lambda d: (d.remaining, d.event.event_id))
    responses.sort(
        key=lambda r: (all(line.on_time for line in r.responses), r.event.event_id)
    )  # late answers first: they are the ones to follow up

    listed = {o.event.event_id for o in overdue} | {d.event.event_id for d in due_soon}
    new_by_topic: dict[str, list[EventRef]] = defaultdict(list)
    new_listed_above = 0
    for event in refs.values():
        if since < event.first_detected_at <= as_of:
            if event.event_id in listed:
                new_listed_above += 1
            else:
                new_by_topic[_primary_topic(event, route)].append(event)
    new_groups: list[TopicGroup] = []
    budget = MAX_EVENTS_PER_SECTION
    for topic in sorted(new_by_topic, key=topic_order):
        group = sorted(new_by_topic[topic], key=_new_order)
        shown, budget = group[: max(budget, 0)], budget - len(group)
        if shown:
            new_groups.append(TopicGroup(topic, tuple(shown)))
    if section_counts is None:  # events are all there is
        section_counts = sql.SectionCounts(
            overdue=len(overdue),
            due_soon=len(due_soon),
            responses=len(responses),
            new=sum(len(group) for group in new_by_topic.values()),
            new_listed_above=new_listed_above,
        )

    omitted: list[tuple[str, int]] = []
    overdue_shown = _cap(overdue, "overdue", omitted, section_counts.overdue)
    due_shown = _cap(due_soon, "due_soon", omitted, section_counts.due_soon)
    left_out = section_counts.new - sum(len(g.events) for g in new_groups)
    if left_out:
        omitted.append(("new", left_out))
    responses_shown = _cap(responses, "responses", omitted, section_counts.responses)

    today = digest_date(as_of)
    days = tuple(today - timedelta(days=n) for n in range(TREND_DAYS - 1, -1, -1))
    counts: dict[tuple[str, date], int] = defaultdict(int)
    for c in daily:
        if c.day in days and route.matches((c.topic,), c.region_code):
            counts[(c.topic, c.day)] += c.items
    if route.topics:
        trend_topics = sorted(route.topics, key=topic_order)
    else:
        trend_topics = sorted({topic for (topic, _day) in counts}, key=topic_order)
    trend = tuple(TrendRow(t, tuple(counts.get((t, d), 0) for d in days)) for t in trend_topics)

    return DigestData(
        route=route.name,
        route_label=route.label,
        route_topics=tuple(sorted(route.topics, key=topic_order)),
        route_regions=route.regions,
        as_of=as_of,
        since=since,
        due_within_hours=route.due_within_hours,
        overdue=overdue_shown,
        due_soon=due_shown,
        new_events=tuple(new_groups),
        responses=responses_shown,
        trend_days=days,
        trend=trend,
        omitted=tuple(omitted),
        new_listed_above=section_counts.new_listed_above,
    )


def _since(wh: sql.WarehouseLike, as_of: datetime, route: Route, since: datetime | None) -> datetime:
    if since is None:
        since = sql.last_sent_as_of(wh.con, route.name, digest_date(as_of)) or as_of - DEFAULT_SINCE
    return to_utc(since)


def _daily(wh: sql.WarehouseLike, as_of: datetime) -> list[sql.TopicDayCount]:
    today = digest_date(as_of)
    return sql.topic_daily(wh.con, as_of=as_of, first=today - timedelta(days=TREND_DAYS - 1), last=today)


def shown_events(
    placed: sql.PlacedEvents, route: Route, *, as_of: datetime, since: datetime
) -> list[sql.EventRecord]:
    """The placed events a section can show: the first of overdue, due soon and responses (as placed),
    and the first of the new events not listed above in assemble's order (topic, then ``_new_order``)."""
    shown = [e for e in placed.events if placed.sections[e.event_id] is not None]
    # Every new event not listed under overdue / due soon was placed (responses: the first only).
    new = [
        e
        for e in placed.events
        if placed.sections[e.event_id] in (None, "responses") and since < e.first_detected_at <= as_of
    ]
    refs = {e.event_id: _event_ref(e) for e in new}
    new.sort(
        key=lambda e: (topic_order(_primary_topic(refs[e.event_id], route)), _new_order(refs[e.event_id]))
    )
    chosen = {e.event_id: e for e in [*shown, *new[:MAX_EVENTS_PER_SECTION]]}
    return [chosen[event_id] for event_id in sorted(chosen)]


def collect(
    wh: sql.WarehouseLike, as_of: datetime, route: Route, since: datetime | None = None
) -> DigestData:
    """The digest of ``route`` as of ``as_of``; "new" and "responses" cover (since, as_of].

    ``since`` defaults to the as_of of the route's last digest sent on an earlier day, else 24 h
    before ``as_of``.
    """
    as_of = to_utc(as_of)
    since = _since(wh, as_of, route, since)
    # SQL places and counts every event of the route; only the events a section can show are read
    # in full: the first of overdue, due soon and responses, and of the new events not listed above
    # (their order needs the route's topic order, so it is decided here, as assemble does).
    placed = sql.placed_events(
        wh.con,
        as_of=as_of,
        since=since,
        horizon=as_of - timedelta(days=route.lookback_days),
        due_until=as_of + timedelta(hours=route.due_within_hours),
        cap=MAX_EVENTS_PER_SECTION,
        topics=() if route.all else route.topics,
        regions=() if route.all else route.regions,
    )
    chosen = shown_events(placed, route, as_of=as_of, since=since)
    earliest = min((e.started_at for e in chosen), default=as_of)
    ids = [e.event_id for e in chosen]
    shown, milestones = sql.shown_details(wh.con, ids, as_of=as_of, earliest=earliest, since=since)
    events = [
        replace(e, first_item_url=s.url, opened_by=s.opened_by, reopened=s.reopened, raised=s.raised)
        if (s := shown.get(e.event_id))
        else e
        for e in chosen
    ]
    return assemble(
        route=route,
        as_of=as_of,
        since=since,
        events=events,
        milestones=milestones,
        daily=_daily(wh, as_of),
        section_counts=placed.counts,
    )
