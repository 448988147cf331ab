"""Grouping: on-topic items that may open an event become events (incidents).

Two items belong to one event when they are linked by a chain of pairs that are all
  * near-duplicates: MinHash estimate of the Jaccard similarity of their headline bigrams ≥ 0.5,
  * in the same topic family (at least one topic slug in common),
  * in compatible places (same region, one contains the other, or one is unknown),
  * close in time (within 72 h of each other, so an event stays open 72 h after its last item);
or, for major emergencies, worded differently but in the same county (same 6-digit region code, a topic in
common, within the window): 「山西代县铁矿透水事故，11人遇难」 and 「山西代县铁矿事故致13名矿工遇难」 are one
incident. The county key is one more LSH-style bucket column (``INCIDENT_BAND``), stored with the others.
Candidate pairs come from LSH buckets (items sorted by bucket and time; each item is compared with
its few nearest predecessors in every bucket), never from all pairs. Events are the connected
components, so the result does not depend on the order items arrive in: grouping incrementally
gives the same events as grouping everything at once. An event's id derives from its opening item
(its earliest item that may open one, ``TrackItem.may_open``): official responses never open an
event, and an official source's item only opens one when it relays an incident in another
jurisdiction (a national ministry on a named place, a province on another province).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from . import text
from .model import Event, TrackItem, event_id_for, max_severity
from .regions import as_int

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class GroupingParams:
    window_hours: float = 72.0
    min_similarity: float = 0.5
    neighbours: int = 8  # predecessors compared per item and bucket (bounds work in hot buckets)


@dataclass(frozen=True, slots=True)
class Grouping:
    events: tuple[Event, ...]  # every event that has a member among the input items
    retired: Mapping[str, str] = field(default_factory=dict)  # old event_id -> event it merged into


def eligible(item: TrackItem) -> bool:
    """Items that can be members of an event: on a topic, and ``may_open`` (not an official response;
    from an official source only as an outside reporter). Official responses are linked, not grouped."""
    return bool(item.topics) and item.may_open


def can_open(item: TrackItem) -> bool:
    """A media report of a response joins the coverage of an event but does not open one."""
    return eligible(item) and not item.reported_response


INCIDENT_BAND = text.NUM_BANDS  # the column index of the county key, after the MinHash bands
_INCIDENT_SALT = 0x5EED_1C1D_E47B_A4D5
_MASK63 = (1 << 63) - 1  # keys round-trip through DuckDB BIGINT


def item_keys(items: Sequence[TrackItem], sig: text.U32) -> text.U64:
    """Bucket keys per item: the MinHash bands, then the county key of a major emergency (0 = none)."""
    keys = text.band_keys(sig)
    county = np.zeros((len(items), 1), dtype=np.uint64)
    for row, it in enumerate(items):
        code, level = as_int(it.region_code)
        if it.severity == "major_emergency" and level == 6:
            county[row, 0] = ((code * 0x9E3779B97F4A7C15) ^ _INCIDENT_SALT) & _MASK63
    return np.hstack([keys, county | (county != 0).astype(np.uint64)])


def _epoch(values: Sequence[datetime]) -> I64:
    return np.array([int(v.timestamp()) for v in values], dtype=np.int64)


def candidate_edges(
    items: Sequence[TrackItem], sig: text.U32, keys: text.U64, params: GroupingParams
) -> tuple[I64, I64]:
    """Pairs (i, j) of row indices that satisfy every grouping condition."""
    n = len(items)
    if n < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    t = _epoch([it.item_time for it in items])
    slugs = sorted({s for it in items for s in it.topics})
    bit = {s: 1 << k for k, s in enumerate(slugs[:63])}
    tmask = np.array([sum(bit.get(s, 0) for s in set(it.topics)) for it in items], dtype=np.int64)
    reg = np.array([as_int(it.region_code) for it in items], dtype=np.int64).reshape(n, 2)
    code, level = reg[:, 0], reg[:, 1]
    window = int(params.window_hours * 3600)
    out_i: list[I64] = []
    out_j: list[I64] = []
    for b in range(keys.shape[1]):
        kb = keys[:, b]
        order = np.lexsort((t, kb))
        ks = kb[order]
        for s in range(1, min(params.neighbours, n - 1) + 1):
            i, j = order[s:], order[:-s]
            ok = (ks[s:] == ks[:-s]) & (ks[s:] != 0)
            if not ok.any():
                break
            i, j = i[ok], j[ok]
            ok = np.abs(t[i] - t[j]) <= window
            ok &= (tmask[i] & tmask[j]) != 0
            lmin = np.minimum(level[i], level[j])
            div = 10 ** (6 - lmin)
            ok &= (lmin == 0) | (code[i] // div == code[j] // div)
            i, j = i[ok], j[ok]
            if b != INCIDENT_BAND:  # the county key stands for "same incident" without shared wording
                ok = text.similarity(sig[i], sig[j]) >= params.min_similarity
                i, j = i[ok], j[ok]
            out_i.append(i)
            out_j.append(j)
    if not out_i:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(out_i).astype(np.int64), np.concatenate(out_j).astype(np.int64)


def components(n: int, a: I64, b: I64) -> I64:
    """Connected-component label (smallest member index) of each of n nodes, by label propagation."""
    labels = np.arange(n, dtype=np.int64)
    if a.size == 0:
        return labels
    while True:
        before = labels.copy()
        low = np.minimum(labels[a], labels[b])
        np.minimum.at(labels, a, low)
        np.minimum.at(labels, b, low)
        while True:  # pointer jumping
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped
        if np.array_equal(before, labels):
            return labels


def group(
    items: Sequence[TrackItem],
    as_of: datetime,
    *,
    prior: Mapping[str, str] | None = None,
    params: GroupingParams = GroupingParams(),
) -> Grouping:
    """Group ``items`` (new items plus the stored members of events they may join) into events.

    ``prior`` maps already-grouped item ids to their stored event id; those stay together. Items
    that cannot be members (official, off-topic) are ignored here: responses are linked separately.
    """
    prior = prior or {}
    members = [it for it in items if eligible(it)]
    members.sort(key=lambda it: (it.item_time, it.item_id))
    n = len(members)
    sig = text.signatures([text.shingle_text(it.title, it.summary) for it in members])
    keys = item_keys(members, sig)
    a, b = candidate_edges(members, sig, keys, params)
    # keep stored events together
    first_of: dict[str, int] = {}
    pa: list[int] = []
    pb: list[int] = []
    for idx, it in enumerate(members):
        ev = prior.get(it.item_id)
        if ev is None:
            continue
        if ev in first_of:
            pa.append(first_of[ev])
            pb.append(idx)
        else:
            first_of[ev] = idx
    if pa:
        a = np.concatenate([a, np.array(pa, np.int64)])
        b = np.concatenate([b, np.array(pb, np.int64)])
    labels = components(n, a, b)
    return _events(members, labels, as_of, prior)


def _events(members: Sequence[TrackItem], labels: I64, as_of: datetime, prior: Mapping[str, str]) -> Grouping:
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.r_[True, labels[order][1:] != labels[order][:-1], True])
    events: list[Event] = []
    retired: dict[str, str] = {}
    for s, e in itertools.pairwise(bounds):
        group_items = [members[k] for k in order[s:e]]  # already in (item_time, item_id) order
        openers = [it for it in group_items if can_open(it)]
        if not openers:
            continue
        event = build_event(group_items, openers[0], as_of)
        events.append(event)
        for it in group_items:
            old = prior.get(it.item_id)
            if old is not None and old != event.event_id:
                retired[old] = event.event_id
    events.sort(key=lambda ev: (ev.started_at, ev.event_id))
    return Grouping(tuple(events), retired)


def build_event(group_items: Sequence[TrackItem], opener: TrackItem, as_of: datetime) -> Event:
    """An event's attributes, all derived from its members (so recomputing changes nothing)."""
    # the most specific place any member names (the earliest such member on ties)
    region: TrackItem | None = None
    best = 0
    for it in group_items:
        level = as_int(it.region_code)[1]
        if level > best:
            region, best = it, level
    h6, h24 = as_of - timedelta(hours=6), as_of - timedelta(hours=24)
    return Event(
        event_id=event_id_for(opener.item_id),
        opening_item_id=opener.item_id,
        title=opener.title,
        topics=tuple(sorted({s for it in group_items for s in it.topics})),
        region_code=region.region_code if region else None,
        region_name=region.region_name if region else None,
        severity_proposed=max_severity([it.severity for it in group_items]),
        started_at=min(it.item_time for it in group_items),
        first_detected_at=min(it.fetched_at for it in group_items),
        last_item_at=max(it.item_time for it in group_items),
        item_ids=tuple(it.item_id for it in group_items),
        item_count=len(group_items),
        source_count=len({it.source for it in group_items}),
        items_6h=sum(1 for it in group_items if h6 < it.item_time <= as_of),
        items_24h=sum(1 for it in group_items if h24 < it.item_time <= as_of),
    )
