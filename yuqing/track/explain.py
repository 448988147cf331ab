"""``yuqing event``: one event told to an analyst: its reports, responses, milestones and every decision on it, and
what an analyst might correct: the responses not linked to it that hold its wording (``yuqing link``), and the events
that may be the same incident (``yuqing merge``)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from warehouse import events as sql
from warehouse.rows import opened_by
from yuqing.errors import StorageError
from yuqing.timeutil import fmt_local

from . import incident
from .deadlines import load_rules
from .grouping import (
    NEAR_DUPLICATE,
    RAISED_AGAIN,
    TEXTS_ALIKE,
    WORDING,
    GroupingParams,
    estates_named,
    why_joined,
)
from .model import Event
from .responses import LinkParams, Reading
from .run import WarehouseLike, stored_event

UNLINKED_SHOWN = 10  # responses not linked to an event that ``explain_event`` lists for an analyst to judge
UNLINKED_READ = 500  # of them, how many are read for the event's wording (its province's first, then by time)
TWINS_SHOWN = 5  # events that may be the same incident, listed for an analyst to judge
TWINS_READ = 500  # of them, how many are read: those on its topics nearest in time, within the grouping window
# The share of wording an event must share to be listed. On the food-safety and Weibo replays' incident labels, the
# lists name the other event of a pair holding one incident 38 times in 44 and 23 in 52, and events of other incidents
# 134 times; listing every event sharing any wording, 44 and 24 times, and 968 (measured before the grouper joined
# reports whose texts hold each other's wording; food-safety since: 30 in 36).
TWINS_FLOOR = 0.2


def _by_wording_held(event: Event, rows: Sequence[Any]) -> list[tuple[float, Any]]:
    """Responses not linked to ``event``, each with the share of the event's wording its headline and text hold (the
    measure by which the matcher reads a reply whose headline says little, ``responses.Reading``): the likeliest
    answers first, then those of the event's province, then by time."""
    if not rows:
        return []
    p = event.profile
    terms, weights = incident.term_matrix([(np.asarray(p.term_codes, dtype=np.int64), np.asarray(p.term_weights, dtype=np.float32))])
    held = [float(incident.held(terms, weights, Reading.of(f"{r.title}。{r.summary}").codes)[0]) for r in rows]
    ranked = sorted(range(len(rows)), key=lambda k: (-round(held[k], 2), not rows[k].in_province, rows[k].item_time))
    return [(held[k], rows[k]) for k in ranked]


def explain_event(wh: WarehouseLike, event_id: str) -> str:
    """A plain-text account of an event: items, responses (with evidence) and milestones."""
    from yuqing.digest.model import opening_basis

    con = wh.con
    event_id = sql.resolve_event_id(con, event_id)
    link_params = LinkParams()
    twin_hours = int(GroupingParams().window_hours)
    parts = sql.explain_rows(
        con,
        event_id,
        window_days=int(load_rules().link_window_days),
        unlinked=UNLINKED_READ,
        response_chars=link_params.response_chars,
    )
    if not parts["event"]:
        raise StorageError(f"no event {event_id!r}")
    event = stored_event(con, event_id)
    unlinked = _by_wording_held(event, parts["unlinked"])
    mine = "。".join([*(r.title for r in parts["items"]), *(r.summary or "" for r in parts["items"][:1])])
    # a matter at one estate raised again after its answer opens an event of its own (``grouping.reraised``): the
    # events at the same estate up to ``reraise_days`` away are listed too. One read over the wider span: its first
    # ``TWINS_READ``, nearest in time first, begin with those of the grouping window.
    estates = {name for r in parts["items"] for name in estates_named(r.title, r.summary)}
    reraise_hours = int(GroupingParams().reraise_days * 24)
    span = max(twin_hours, reraise_hours) if estates else twin_hours
    window = timedelta(hours=twin_hours)
    rows = [
        t
        for t in sql.twins(con, event_id, span, TWINS_READ, link_params.response_chars)
        if abs(t.started_at - event.started_at) <= window
        or estates & set(estates_named(t.opener_title, t.opener_summary))
    ]
    twins = _by_wording_shared(event, mine, rows)
    e = parts["event"][0]
    # why the opening item (one of its items) opened it
    opener = next((opened_by(r.issue, r.issue_evidence) for r in parts["items"] if r.item_id == e.opener), None)
    lines = [
        f"event {e.event_id}: {e.title}",
        f"  topics: {', '.join(e.topics)}   region: {e.region_name or '—'} ({e.region_code or '—'})",
        f"  severity: {e.severity} (proposed {e.severity_proposed}, override {e.severity_override or '—'})   "
        f"status: {e.status}",
        f"  started {fmt_local(e.started_at)} ({e.clock_basis}), first detected {fmt_local(e.first_detected_at)}, "
        f"last item {fmt_local(e.last_item_at)} (Asia/Shanghai)",
        f"  severity basis: {e.severity_basis or '—'}",
        f"  立案依据 (why it was opened): {opening_basis(opener, e.severity_proposed) or '—'}",
        f"  {e.item_count} items from {e.source_count} sources, heat {e.heat:g}",
        "items:",
    ]
    items = sorted(parts["items"], key=lambda r: (r.item_time, r.item_id))
    # why each report is in the event: the earlier one the grouping rules make it one incident with
    why = why_joined(sql.items_by_id(con, [r.item_id for r in items], max(r.fetched_at for r in items))) if items else {}
    at = {r.item_id: r.item_time for r in items}
    for k, r in enumerate(items):
        lines.append(
            f"  {fmt_local(r.item_time)} [{r.source}] {r.title}  ({r.item_id}; fetched {fmt_local(r.fetched_at)}) "
            f"{r.url or ''}{_joined(why.get(r.item_id), r.item_time, at) if k else ''}"
        )
    lines.append("responses:")
    if not parts["responses"]:
        lines.append("  none linked")
    for r in parts["responses"]:
        evidence = json.loads(r.evidence)
        terms = evidence.get("matched_terms", [])
        how = "reported by" if r.reported else "official"
        lines.append(
            f"  {fmt_local(r.responded_at)} {how} [{r.source}] {r.title}  score {r.score:.2f}, "
            f"kinds {', '.join(r.milestone_kinds)}, matched {'、'.join(terms)}; {evidence.get('rule', '')}  "
            f"({r.item_id})"
        )
    if unlinked:
        lines.append(
            "responses not linked, from its window, in its province or placed nowhere on its topics, those whose "
            "text holds most of its wording first (`yuqing link EVENT ITEM` links one that answers it):"
        )
    for share, r in unlinked[:UNLINKED_SHOWN]:
        how = "official" if r.official_response else "reported by"
        lines.append(
            f"  {fmt_local(r.item_time)} {how} [{r.source}] {r.title}  holds {share:.0%} of its wording  ({r.item_id})"
        )
    if len(unlinked) > UNLINKED_SHOWN:
        more = "" if len(unlinked) < UNLINKED_READ else f" of the first {UNLINKED_READ} read"
        lines.append(f"  … {len(unlinked) - UNLINKED_SHOWN} more{more} (v_items has them all)")
    if twins:
        lines.append(
            f"events that may be the same incident, on its topics within {twin_hours / 24:g} days"
            + (f" (at the same estate, {reraise_hours / 24:g} days)" if estates else "")
            + ", those sharing most of its wording first (`yuqing merge EVENT OTHER` joins one):"
        )
    for share, t in twins[:TWINS_SHOWN]:
        lines.append(
            f"  {fmt_local(t.started_at)} [{t.region_name or '—'}] {t.title}  {t.item_count} reports, shares "
            f"{share:.0%} of its wording  ({t.event_id})"
        )
    lines.append("milestones:")
    for m in parts["milestones"]:
        met = (
            f", met {fmt_local(m.met_at)} by {m.met_by_item_id}{' (reported)' if m.reported else ''}"
            if m.met_at
            else ""
        )
        lines.append(
            f"  {m.milestone}: {m.status} — deadline {fmt_local(m.deadline_at)}{met}; rule {m.rule_id} "
            f"v{m.rule_version}, {m.source_document}"
        )
    # the analysts' decisions on it, each kind in the order they were made: (what, who, when, why)
    words = [
        *((f"override: {o.severity}", o.analyst, o.at, o.reason) for o in parts["overrides"]),
        *(
            (f"linked ({', '.join(d.kinds)})" if d.linked else "link removed", d.analyst, d.recorded_at,
             f"{d.item_id} {d.title or ''} — {d.reason}")
            for d in parts["decisions"]
        ),
        *(
            (f"dismissed ({d.covered} members covered)" if d.dismissed else "dismissal taken back", d.analyst, d.at,
             d.reason)
            for d in parts["dismissals"]
        ),
        *(
            (f"merged ({', '.join(g.event_ids)})" if g.merged else "merge taken back", g.analyst, g.recorded_at,
             f"{g.reason}  ({g.merge_id})")
            for g in parts["merges"]
        ),
        *(
            (f"split ({p.taken_out} reports of {p.event_id} are another matter)" if p.split else "split taken back",
             p.analyst, p.recorded_at, f"{p.reason}  ({p.split_id})")
            for p in parts["splits"]
        ),
    ]  # fmt: skip
    lines += [f"{what} by {who} at {fmt_local(when)}: {why}" for what, who, when, why in words]
    return "\n".join(lines)


def _joined(why: tuple[str, int] | None, when: datetime, at: Mapping[str, datetime]) -> str:
    """Why a report other than the first is in its event (``grouping.why_joined``), as the item list says it."""
    if why is None:
        return "  — joined through a later report or an analyst's merge"
    other, rule = why
    if rule == RAISED_AGAIN:
        return f"  — raised again {(when - at[other]).total_seconds() / 86400:.0f} days after {other}, at the same estate"
    return "  — " + {
        NEAR_DUPLICATE: f"its headline nearly repeats {other}'s",
        WORDING: f"shares the incident's wording with {other}",
        TEXTS_ALIKE: f"its text and {other}'s each hold the other's wording",
    }[rule]


def _by_wording_shared(event: Event, text: str, rows: Sequence[Any]) -> list[tuple[float, Any]]:
    """Events that may be the same incident as ``event``, each with the share of wording the two share: the most of
    the grouper's own measure on their wording (``incident.overlap``), the share of theirs that ``text`` (the event's
    headlines and its opening report's text) holds, and the share of the event's that their opening report holds (the
    measure by which the matcher reads a reply whose headline says little). Posts and reprints of one incident often
    word their headlines apart and their texts alike. Most shared first, then nearest in time; those sharing less than
    ``TWINS_FLOOR``, not listed."""
    if not rows:
        return []
    p = event.profile
    mine = (np.asarray(p.term_codes, dtype=np.int64), np.asarray(p.term_weights, dtype=np.float32))
    ta, wa = incident.term_matrix([mine] * len(rows))
    tb, wb = incident.term_matrix(
        [(np.asarray(r.term_codes or [], dtype=np.int64), np.asarray(r.term_weights or [], dtype=np.float32)) for r in rows]
    )
    theirs_held = incident.held(tb, wb, Reading.of(text).codes)
    mine_held = [float(incident.held(ta[:1], wa[:1], Reading.of(f"{r.opener_title}。{r.opener_summary}").codes)[0]) for r in rows]
    shares = np.maximum(incident.overlap(ta, wa, tb, wb), np.maximum(theirs_held, mine_held))
    near = [k for k in range(len(rows)) if shares[k] >= TWINS_FLOOR]
    near.sort(key=lambda k: (-round(float(shares[k]), 2), abs(rows[k].started_at - event.started_at)))
    return [(float(shares[k]), rows[k]) for k in near]
