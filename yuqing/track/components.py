"""Events as connected components of the pairs the grouper accepts, and the same with pairs of report groups an
analyst said are two matters kept apart (``yuqing split``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]


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


def kept_apart(
    labels: I64,
    a: I64,
    b: I64,
    ids: Sequence[str],
    apart: Sequence[tuple[Sequence[str], Sequence[str]]],
    strength: Callable[[I64], npt.NDArray[np.float64]] | None = None,
) -> I64:
    """``labels`` with every component that holds both sides of a pair in ``apart`` built again: its edges are taken
    strongest first (``strength`` of the edges' indices; without it, or on ties, in time order: members are sorted by
    time), and one that would put both sides of a pair in one event is refused, so a report that matches both sides
    joins the one it shares most with. Components that hold no such pair keep their labels."""
    index = {item_id: k for k, item_id in enumerate(ids)}
    sides: dict[int, set[tuple[int, int]]] = {}  # member -> (pair, side) it is on
    for p, pair in enumerate(apart):
        for side, group_ids in enumerate(pair):
            for item_id in group_ids:
                if item_id in index:
                    sides.setdefault(index[item_id], set()).add((p, side))
    torn = {
        int(labels[k])
        for p in range(len(apart))
        for k in sides
        if (p, 0) in sides[k] and any((p, 1) in sides[j] and labels[j] == labels[k] for j in sides)
    }
    if not torn:
        return labels
    labels = labels.copy()
    edges = np.flatnonzero(np.isin(labels[a], list(torn)))
    ea, eb = np.maximum(a[edges], b[edges]), np.minimum(a[edges], b[edges])
    weight = strength(edges) if strength is not None else np.zeros(edges.size)
    order = np.lexsort((eb, ea, -weight))  # strongest first, then by the later member and the earlier: time order
    nodes = np.flatnonzero(np.isin(labels, list(torn)))
    root = {int(k): int(k) for k in nodes}
    tags = {int(k): set(sides.get(int(k), ())) for k in nodes}

    def find(k: int) -> int:
        while root[k] != k:
            root[k] = root[root[k]]
            k = root[k]
        return k

    for e in order:
        ra, rb = find(int(ea[e])), find(int(eb[e]))
        if ra == rb or any((p, 1 - side) in tags[rb] for p, side in tags[ra]):
            continue  # one event already, or it would hold both sides of a pair
        low, high = min(ra, rb), max(ra, rb)
        root[high] = low
        tags[low] |= tags.pop(high)
    for k in nodes:
        labels[k] = find(int(k))
    return labels
