"""collect(): what each section holds as of T, per route, from the real tables and views."""

from __future__ import annotations

from datetime import timedelta

from digest_world import AS_OF, World, sh

from warehouse.db import Warehouse
from yuqing.digest import Route, collect
from yuqing.digest.collect import digest_date
from yuqing.digest.model import DueLine


def _ids(events: object) -> list[str]:
    return [e.event.event_id for e in events]  # type: ignore[attr-defined]


def test_sections_as_of(wh: Warehouse, world: World) -> None:
    data = collect(wh, AS_OF, Route.catch_all())
    # Most overdue first; the blast is listed once even though it also has a milestone due soon.
    assert _ids(data.overdue) == ["ev-blast", "ev-wage-gz"]
    blast = data.overdue[0]
    assert [m.milestone.milestone for m in blast.milestones] == ["first_information"]
    assert blast.overdue_by == timedelta(hours=7)
    assert blast.event.url == "https://news.example.cn/blast/1"
    # ev-wage-gz was answered at 10:00, after as_of: still overdue as of 08:00.
    assert data.overdue[1].overdue_by == timedelta(hours=2)
    # Each event is listed once: the blast's press conference, due in 12 h, rides along in its entry.
    assert _ids(data.due_soon) == []
    (due,) = blast.also
    assert isinstance(due, DueLine)
    assert due.milestone.milestone == "press_conference" and due.remaining == timedelta(hours=12)
    # New since 24 h before as_of, grouped by topic in the priority order; ev-future does not exist yet.
    # The blast is new too, but already listed under overdue.
    groups = {g.topic: [e.event_id for e in g.events] for g in data.new_events}
    assert list(groups) == ["epidemic", "wage_arrears", "work_safety"]
    assert groups["work_safety"] == ["ev-hostile"]
    assert data.new_count == 3 and data.new_listed_above == 1
    # Responses since the last digest: the late (reported) one first.
    assert _ids(data.responses) == ["ev-river", "ev-food"]
    assert [r.on_time for e in data.responses for r in e.responses] == [False, True]
    assert data.responses[0].responses[0].milestone.reported is True
    assert data.trend_days[-1] == digest_date(AS_OF)
    assert len(data.trend_days) == 7
    trend = {row.topic: row.counts for row in data.trend}
    assert trend["wage_arrears"] == (1, 2, 3, 4, 8, 9, 7)


def test_routes_get_only_their_events(wh: Warehouse, world: World) -> None:
    gz_wage = Route(
        name="gz-wage", recipients=("a@example.cn",), topics=frozenset({"wage_arrears"}), regions=("4401",)
    )
    data = collect(wh, AS_OF, gz_wage)
    assert _ids(data.overdue) == ["ev-wage-gz"]  # 440106 is under 4401
    assert data.due_soon == () and data.responses == ()
    assert data.new_events == ()  # ev-wage-sz is in 深圳 (4403)
    assert [row.topic for row in data.trend] == ["wage_arrears"]
    # The trend counts Guangzhou wage items only (the background plus the event's own items).
    assert sum(data.trend[0].counts) < 34

    safety = Route(name="work-safety", recipients=("b@example.cn",), topics=frozenset({"work_safety"}))
    data = collect(wh, AS_OF, safety)
    assert _ids(data.overdue) == ["ev-blast"]
    assert [e.event_id for g in data.new_events for e in g.events] == ["ev-hostile"]  # ev-blast: under overdue


def test_replay_earlier_as_of(wh: Warehouse, world: World) -> None:
    # As of 06-14 20:00: the blast started at 20:00 but was first fetched at 20:20, so it does not
    # exist yet; the river answer (15:00, late) and the food answer (18:00) do; wage-gz is due in 10 h.
    data = collect(wh, sh(14, 20), Route.catch_all())
    assert data.overdue == ()
    assert _ids(data.due_soon) == ["ev-wage-gz"]
    assert data.due_soon[0].remaining == timedelta(hours=10)
    assert "ev-blast" not in [e.event_id for g in data.new_events for e in g.events]
    assert _ids(data.responses) == ["ev-river", "ev-food"]
    # As of 06-15 10:10 the wage-gz answer (10:00) is not fetched yet (10:20): still overdue.
    assert "ev-wage-gz" in _ids(collect(wh, sh(15, 10, 10), Route.catch_all()).overdue)
    assert "ev-wage-gz" not in _ids(collect(wh, sh(15, 10, 30), Route.catch_all()).overdue)


def test_since_comes_from_the_last_sent_digest(wh: Warehouse, world: World) -> None:
    wh.con.execute(
        "INSERT INTO digests (digest_date, route, state, attempts, recipients_count, as_of, created_at) "
        "VALUES (DATE '2021-06-14', 'all', 'sent', 1, 1, ?, ?)",
        [sh(14, 21), sh(14, 21)],
    )
    data = collect(wh, AS_OF, Route.catch_all())
    assert data.since == sh(14, 21)
    assert [e.event_id for g in data.new_events for e in g.events] == ["ev-flu", "ev-hostile"]
    assert data.responses == ()
