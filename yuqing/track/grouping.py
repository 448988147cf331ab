"""Grouping: the reports of one incident become one event.

Who may be a member (``eligible``): an **issue** (the classifier's ``issue`` label: an incident, a
complaint, an allegation, a live local controversy) on a priority topic or proposed as a major
emergency, or an official source's report of a major emergency in another body's jurisdiction (an
outside reporter: 应急管理部 on a city's explosion). Official releases and media relays of them are
never members: they answer events (``responses.link``). An item that was already older than the
lookback when it was first fetched (a source's back catalogue) is not a member either.

Two members belong to one event when they are linked by a chain of pairs that are each one incident
(``incident.decide``): compatible places, kinds not all different, and enough rare wording in common for
how precisely the places agree, within ``window_hours`` of each other; or near-duplicate headlines
(MinHash estimate of the Jaccard similarity of their bigrams ≥ 0.5) in compatible places; or, on a topic and placed
alike at a province or finer, texts that each hold enough of the other's wording (a reprint worded apart:
``TextReader``). A matter at one
estate raised again later than that, up to ``reraise_days`` after the report before it, is one incident too while
its event is unanswered (``reraised``): a board's residents come back to an unsettled matter weeks later; once an
answer came, the next message says it did not settle it, and opens an event with a clock of its own. Candidate
pairs come from buckets (items sorted by bucket and time; each item is compared with its few nearest
predecessors in every bucket), never from all pairs: the MinHash bands, a kind in a province, each
item's three rarest headline terms, and the estates it names. Events are connected components, so the result does not
depend on the order items arrive in: grouping incrementally gives the same events as grouping everything
at once (but for a matter raised again: whether its event was answered is known from the responses earlier
runs linked). An event's id derives from its opening item, its earliest member.

An event starts when its incident happened, where a member states it («6月13日6时40分许», «今晨6时40分»,
«13日凌晨», resolved against the item's date), else at its earliest member; ``clock_basis`` says which.
Its severity follows the reports: when any member states casualty counts, it is major exactly when a
count reaches the thresholds of ``classifiers/data/severity.toml`` («已造成12人死亡» makes it major; 3
injured or 1 death keeps it general, whatever the wording); otherwise it is the most severe proposal.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

import numpy as np
import numpy.typing as npt

from classifiers._text import HASHTAG, REPOST_LINK, parse

from . import incident, text
from .components import components, kept_apart
from .model import GENERAL, MAJOR, Event, EventProfile, TrackItem, event_id_for, max_severity
from .regions import as_int

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class GroupingParams:
    window_hours: float = incident.FOLLOW_UP_HOURS  # follow-ups up to 7 days after the report before them
    min_similarity: float = 0.5  # near-duplicate headlines (MinHash Jaccard estimate)
    neighbours: int = 8  # predecessors compared per item and bucket (bounds work in hot buckets)
    thresholds: incident.Thresholds = field(default_factory=incident.Thresholds)
    # Items older than this when first fetched (a new source's back catalogue) open no event; None: no limit.
    open_lookback_days: float | None = 30.0
    # A matter at one estate raised again after the window, up to this long after the report before it, joins that
    # report's event while the event is unanswered (``reraised``); 0: never.
    reraise_days: float = 60.0
    # Two reports on a topic whose headlines are worded apart are one incident when each one's text holds this share of
    # the other's wording (``same_incident``): where their places agree at a province or finer, and where one of them
    # names no place the gazetteer knows (a message board that masks its places, «A市»; a report that names none).
    texts_held: float = 0.3
    texts_held_unplaced: float = 0.4
    # A matter raised again (``reraised``) is one matter by its wording beyond the estate's name, or by texts alike at this
    # bar: more of each other's wording than within the window, weeks apart.
    reraise_texts_held: float = 0.5


@dataclass(frozen=True, slots=True)
class Grouping:
    events: tuple[Event, ...]  # every event that has a member among the input items
    retired: Mapping[str, str] = field(default_factory=dict)  # old event_id -> event it merged into


def eligible(item: TrackItem, params: GroupingParams | None = None) -> bool:
    """Whether ``item`` may open or join an event (module docstring)."""
    if not item.may_open:
        return False
    if not (item.topics or item.severity == MAJOR or item.outside_reporter):
        return False
    lookback = (params or GroupingParams()).open_lookback_days
    return lookback is None or item.fetched_at - item.item_time <= timedelta(days=lookback)


# ------------------------------------------------------------------------------------------ profiles


TEXT_CHARS = 800  # how much of a report's text is read when its headline is worded apart from another's


class TextReader:
    """Each row's headline and text (its first ``TEXT_CHARS``) read in full (``incident.text_codes``), on first use and
    once: only reports whose headlines another report's are worded apart from are read."""

    def __init__(self, items: Sequence[TrackItem]) -> None:
        self._items = items
        self._read: dict[int, I64] = {}
        # a report whose text says no more than its headline (a headline-only feed entry) has nothing more to read
        self.said = np.array([item_text(it) != it.title for it in items], dtype=bool)

    def __call__(self, row: int) -> I64:
        codes = self._read.get(row)
        if codes is None:
            it = self._items[row]
            codes = self._read[row] = incident.text_codes(it.title + "。" + it.summary[:TEXT_CHARS])
        return codes

    def held(self, xs: I64, ys: I64, codes: I64, weights: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        """Per pair k: the share of row ``xs[k]``'s wording (its ``codes`` and ``weights`` rows) that row ``ys[k]``'s
        text holds (``incident.held``, for many pairs at once: each text's bigrams keyed by the text's place among
        those read, and looked up in one sorted array)."""
        if xs.size == 0:
            return np.zeros(0)
        texts, place = np.unique(ys, return_inverse=True)
        keys = np.concatenate([(np.int64(k) << _CODE_BITS) | self(int(r)) for k, r in enumerate(texts)])
        keys.sort()
        wanted = codes[xs]
        query = (place.astype(np.int64)[:, None] << _CODE_BITS) | wanted
        hit = (keys[np.minimum(np.searchsorted(keys, query), max(keys.size - 1, 0))] == query) if keys.size else False
        w = weights[xs].astype(np.float64)
        total = w.sum(axis=1)
        shared = np.where(hit & (wanted != 0), w, 0.0).sum(axis=1)
        return np.where(total > 0, shared / np.maximum(total, 1e-9), 0.0)


_CODE_BITS = 42  # a bigram's code is two 21-bit code points (``incident._code``)


@dataclass(frozen=True, slots=True)
class Profiles:
    """What grouping compares of each item, as arrays (row = item)."""

    kinds: I64
    place_codes: I64
    place_levels: I64
    term_codes: I64
    term_weights: npt.NDArray[np.float32]
    stated: tuple[incident.Stated | None, ...]
    casualties: npt.NDArray[np.int32]  # per item, the largest count of each of CASUALTY_KINDS it states
    key_terms: I64  # per item, the headline's rarest terms (0-padded)
    localities: I64  # per item, the codes of the estates its headline names (``incident.localities``; 0-padded)
    # per row that names an estate, its terms with the estates' names cut out: what it says of the matter
    matter: Mapping[int, tuple[I64, npt.NDArray[np.float32]]]
    # per row that names an estate, the kinds its headline names (``incident.kinds``; the row's ``kinds`` read its
    # text's opening too): what it reports, rather than what it mentions
    headline_kinds: Mapping[int, int]
    texts: TextReader  # each row's text read in full, on first use (``same_incident``)
    topics: I64  # per row, its topics as bits (bit k: the k-th topic of the batch), for ``same_incident``

    def counts(self, row: int) -> dict[str, int]:
        return {k: int(n) for k, n in zip(CASUALTY_KINDS, self.casualties[row], strict=True) if n}


CASUALTY_KINDS = ("deaths", "injured", "hurt", "missing", "poisoned")
_CASUALTY_HINT = re.compile("[死亡难伤失困毒联]")  # every casualty wording holds one of these


@cache
def _gazetteer() -> object:
    from classifiers.region import Gazetteer

    return Gazetteer()


@cache
def _severity_rules() -> object:
    from classifiers.severity import SeverityRules

    return SeverityRules.load()


def item_text(item: TrackItem) -> str:
    """Headline, and the start of the summary when it is more than the headline again (an item without a
    headline, a Weibo post, is its summary's start)."""
    summary = item.summary[: incident.SUMMARY_CHARS]
    if not summary or (item.title and (summary.startswith(item.title) or item.title.startswith(summary))):
        return item.title
    return item.title + "。" + summary


def profiles(items: Sequence[TrackItem]) -> Profiles:
    from classifiers.region import Gazetteer
    from classifiers.severity import casualties

    gaz = _gazetteer()
    assert isinstance(gaz, Gazetteer)
    kinds = incident.kinds()
    n = len(items)
    masks = np.zeros(n, dtype=np.int64)
    pc = np.zeros((n, incident.PLACES_PER_ITEM), dtype=np.int64)
    pl = np.zeros((n, incident.PLACES_PER_ITEM), dtype=np.int64)
    tc = np.zeros((n, incident.TERMS_PER_ITEM), dtype=np.int64)
    tw = np.zeros((n, incident.TERMS_PER_ITEM), dtype=np.float32)
    kt = np.zeros((n, incident.KEY_TERMS), dtype=np.int64)
    lc = np.zeros((n, incident.LOCALITIES_PER_ITEM), dtype=np.int64)
    matter: dict[int, tuple[I64, npt.NDArray[np.float32]]] = {}
    headline_kinds: dict[int, int] = {}
    counts = np.zeros((n, len(CASUALTY_KINDS)), dtype=np.int32)
    column = {k: c for c, k in enumerate(CASUALTY_KINDS)}
    stated: list[incident.Stated | None] = []
    for row, it in enumerate(items):
        body = item_text(it)
        summary = body[len(it.title) + 1 :] if body != it.title else ""
        title = it.title
        if not title and it.summary:
            # A post without a headline: the hashtags its own words take up stand in for one.
            opening = it.summary[: incident.SUMMARY_CHARS]
            title = incident.post_headline(it.summary, [s for s, _e, _p in gaz.find(opening)])
        mentions = gaz.find(title) if title else []
        named = [entry.codes for _surface, entry, _pos in mentions]
        names = [surface for surface, _e, _p in mentions]
        names += list(_region_parts(it.region_name))
        estates = estates_named(title, summary)
        lc[row, : len(estates)] = [_key("locality", *map(ord, e)) for e in estates]
        places = incident.places(it.region_code, named)
        pc[row, : len(places.codes)] = places.codes
        pl[row, : len(places.levels)] = places.levels
        codes, weights, key_terms = incident.terms_and_keys(title, summary, names)
        tc[row, : codes.size] = codes
        tw[row, : weights.size] = weights
        kt[row, : len(key_terms)] = key_terms
        if estates:
            matter[row] = incident.terms(title, summary, [*names, *estates])
            headline_kinds[row] = kinds.mask(text.normalise(title))
        masks[row] = kinds.mask(text.normalise(body))
        stated.append(incident.stated_time(body, it.item_time))
        for kind, count, _w in casualties(body) if _CASUALTY_HINT.search(body) else ():
            col = column.get(kind)
            if col is not None:
                counts[row, col] = max(counts[row, col], min(count, 2**31 - 1))
    # topics as bits: past 63 topics bits are shared, so two reports may read as sharing one when they do not (their
    # texts are then read, no more)
    bit: dict[str, int] = {}
    topics = np.array([sum(1 << bit.setdefault(t, len(bit) % 63) for t in set(it.topics)) for it in items], np.int64)
    return Profiles(
        masks, pc, pl, tc, tw, tuple(stated), counts, kt, lc, matter, headline_kinds, TextReader(items), topics
    )


def _region_parts(region_name: str | None) -> tuple[str, ...]:
    from .responses import place_parts

    return place_parts(region_name or "")


# ------------------------------------------------------------------------------------------ buckets

MINHASH_BANDS = text.NUM_BANDS
KIND_KEYS = 2  # kinds per item with a key in its province
TERM_KEYS = 3  # rarest headline terms per item with a key
LOCALITY_BANDS = MINHASH_BANDS + KIND_KEYS + TERM_KEYS  # the first of the estates' keys
NUM_KEYS = LOCALITY_BANDS + incident.LOCALITIES_PER_ITEM
_MASK63 = (1 << 63) - 1
_SALT = {
    "kind_place": 0x5EED_1C1D_E47B_A4D5,
    "term": 0x9E37_79B9_7F4A_7C15,
    "locality": 0x3C6E_F372_FE94_F82B,
    "topic_city": 0xA54F_F53A_5F1D_36F1,
}


def _key(family: str, *parts: int) -> int:
    h = _SALT[family]
    for p in parts:
        h = ((h ^ (p & 0xFFFF_FFFF_FFFF_FFFF)) * 0x100_0000_01B3) & 0xFFFF_FFFF_FFFF_FFFF
        h ^= h >> 29
    return (h & _MASK63) | 1  # never 0 (0 = no key)


def item_keys(items: Sequence[TrackItem], sig: text.U32, prof: Profiles) -> text.U64:
    """Bucket keys per item: the MinHash bands, then a kind in the item's province, and the item's rarest
    headline terms (0 = no key). An unplaced report meets a placed one through its wording."""
    keys = np.zeros((len(items), NUM_KEYS), dtype=np.uint64)
    keys[:, :MINHASH_BANDS] = text.band_keys(sig)
    for row in range(len(items)):
        mask = int(prof.kinds[row])
        bits = [k for k in range(63) if mask >> k & 1][:KIND_KEYS]
        province = int(prof.place_codes[row, 0]) // 10000 if prof.place_levels[row, 0] else 0
        col = MINHASH_BANDS
        for k in bits:
            if province:
                keys[row, col] = _key("kind_place", k, province)
            col += 1
        if not bits and items[row].topics:
            # A report of no kind (a food scandal, a fee complaint) meets the city's other reports on its topic, as a
            # report of a kind meets the province's of that kind: the outlets retelling one exposé share few of their
            # rarest headline terms.
            city = [int(c) // 100 for c, lv in zip(prof.place_codes[row], prof.place_levels[row], strict=True) if lv >= 4]
            if city:
                keys[row, MINHASH_BANDS] = _key("topic_city", *map(ord, items[row].topics[0]), city[0])
        col = MINHASH_BANDS + KIND_KEYS
        for code in prof.key_terms[row][:TERM_KEYS]:
            if code:
                keys[row, col] = _key("term", int(code))
                col += 1
        keys[row, LOCALITY_BANDS:] = prof.localities[row].astype(np.uint64)
    return keys


def _epoch(values: Sequence[datetime]) -> I64:
    return np.array([int(v.timestamp()) for v in values], dtype=np.int64)


def candidate_edges(
    items: Sequence[TrackItem],
    sig: text.U32,
    keys: text.U64,
    prof: Profiles,
    params: GroupingParams,
    answered_at: I64 | None = None,
) -> tuple[I64, I64]:
    """Pairs (i, j) of row indices that are one incident (module docstring), i < j, sorted: enough of them
    to connect every two items that are (a spanning forest of the components). ``answered_at``: per row, when the
    stored event it belongs to was first answered (epoch seconds; ``NEVER`` for none), which ends re-raising."""
    n = len(items)
    if n < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    t = _epoch([it.item_time for it in items])
    window = int(params.window_hours * 3600)
    reraise = max(window, int(params.reraise_days * 86400))
    answered = answered_at if answered_at is not None else np.full(n, NEVER, np.int64)
    accepted = np.empty(0, np.int64)  # verified edges as i * n + j (i < j), sorted and unique
    labels = np.arange(n, dtype=np.int64)  # components of the accepted edges so far
    # Band by band: a band's candidate pairs are deduplicated, pairs already joined (by an accepted edge or
    # a chain of them) are dropped, the rest are verified and the accepted ones kept. Only edges that join
    # two components are kept (a spanning forest: the components are the same), so a group of
    # near-duplicates, which shares most MinHash bands, is verified about once, and memory follows the
    # items rather than the candidate pairs.
    for b in range(keys.shape[1]):
        kb = keys[:, b]
        order = np.lexsort((t, kb))
        ks = kb[order]
        found: list[I64] = []
        # Near-duplicates share most of the 16 MinHash bands, so fewer predecessors per band find them.
        reach = params.neighbours // 2 if b < MINHASH_BANDS else params.neighbours
        # An estate's bucket reaches as far back as a matter may be raised again.
        span = reraise if b >= LOCALITY_BANDS else window
        for s in range(1, min(reach, n - 1) + 1):
            ok = (ks[s:] == ks[:-s]) & (ks[s:] != 0)
            if not ok.any():
                break
            i, j = order[s:][ok], order[:-s][ok]
            keep = (np.abs(t[i] - t[j]) <= span) & (labels[i] != labels[j])
            i, j = i[keep].astype(np.int64), j[keep].astype(np.int64)
            found.append(np.minimum(i, j) * n + np.maximum(i, j))
        if not found:
            continue
        pairs = np.unique(np.concatenate(found))
        if pairs.size == 0:
            continue
        pi, pj = pairs // n, pairs % n
        late = np.abs(t[pi] - t[pj]) > window
        ok = np.zeros(pairs.size, dtype=bool)
        ok[~late] = same_incident(pi[~late], pj[~late], sig, prof, params)
        if late.any():
            li, lj = pi[late], pj[late]
            first, then = np.where(t[li] <= t[lj], li, lj), np.where(t[li] <= t[lj], lj, li)
            open_then = answered[first] > t[then]
            ok[late] = open_then & raised_again(li, lj, sig, prof, params)
        if ok.any():
            accepted = np.union1d(accepted, pairs[ok])
            labels = components(n, accepted // n, accepted % n)
    return accepted // n, accepted % n


PAIR_CHUNK = 200_000  # pairs compared at once (bounds the temporaries: a pair's terms are 24 × 24 compares)


ESTATE_LEAD_CHARS = 60  # a headline that names no estate takes the one its report's opening names («我是伊景园…的业主»)
ESTATE_MATTER = 0.3  # wording of the matter two reports naming one estate must share to agree on its place
RERAISE_MATTER = 0.45  # ... and to be one matter raised again weeks later (``reraised``)
NEVER = np.iinfo(np.int64).max  # ``answered_at`` of a row whose event has no response


def estates_named(title: str | None, text: str | None) -> tuple[str, ...]:
    """The estates a report names (``incident.localities``): its headline's, else those its text's opening names
    («我是伊景园…的业主»)."""
    return incident.localities(title or "") or incident.localities((text or "")[:ESTATE_LEAD_CHARS])


def raised_again(i: I64, j: I64, sig: text.U32, prof: Profiles, params: GroupingParams) -> npt.NDArray[np.bool_]:
    """Whether each pair further apart than the window is one matter raised again (``reraised``) that the pair rules
    also make one incident (``same_incident``); whether its event was answered between is the caller's to ask."""
    return reraised(i, j, prof, params) & same_incident(i, j, sig, prof, params)


def reraised(i: I64, j: I64, prof: Profiles, params: GroupingParams) -> npt.NDArray[np.bool_]:
    """Whether each pair (i[k], j[k]), further apart than the window, is one matter raised again: both name one
    estate and share at least ``RERAISE_MATTER`` of the matter's wording beyond its name, or their texts are alike
    (``GroupingParams.reraise_texts_held``: a resident retelling the matter in the words of the first letter). A board's
    residents come back to an unsettled matter weeks later («…至今未解决»); other reports that far apart are other
    incidents, and so are two whose headline reports a kind that happens once (``incidents.toml`` ``once``: a second
    fire at the estate)."""
    out = incident.one_estate(prof.localities[i], prof.localities[j])
    e = np.flatnonzero(out)
    if e.size:
        once = incident.kinds().once
        heads = prof.headline_kinds
        out[e] = [not ((heads.get(int(a), 0) | heads.get(int(b), 0)) & once) for a, b in zip(i[e], j[e], strict=True)]
        e = np.flatnonzero(out)
    if e.size:
        (ma, wa), (mb, wb) = (incident.term_matrix([prof.matter[r] for r in rows]) for rows in (i[e], j[e]))
        out[e] = incident.overlap(ma, wa, mb, wb) >= RERAISE_MATTER
        rest = e[~out[e]]
        out[rest] = texts_alike(i[rest], j[rest], prof, params.reraise_texts_held)
    return out


# Which test makes two reports one incident (``pair_rules``), as ``why_joined`` tells an analyst.
NOT_ONE, NEAR_DUPLICATE, WORDING, TEXTS_ALIKE, RAISED_AGAIN = 0, 1, 2, 3, 4


WHY_READ = 64  # earlier members ``why_joined`` compares each member with, nearest first


def why_joined(items: Sequence[TrackItem], params: GroupingParams = GroupingParams()) -> dict[str, tuple[str, int]]:
    """For an event's members: per member, the nearest earlier one (of the ``WHY_READ`` before it) that the rules make
    it one incident with, and by which test (``pair_rules``' or ``RAISED_AGAIN``, an estate's matter past the
    window, ``reraised``). A member absent is the first, or one no earlier member joins by the rules: it joined through
    a later report, an analyst's merge, or rules of an older run. Whether an answer came between is not asked here."""
    members = sorted(items, key=lambda it: (it.item_time, it.item_id))
    if len(members) < 2:
        return {}
    sig = text.signatures([text.shingle_text(it.title, it.summary) for it in members])
    prof = profiles(members)
    t = _epoch([it.item_time for it in members])
    pairs = [(k, m) for k in range(1, len(members)) for m in range(k - 1, max(-1, k - 1 - WHY_READ), -1)]
    i = np.array([k for k, _m in pairs], dtype=np.int64)
    j = np.array([m for _k, m in pairs], dtype=np.int64)
    gap = t[i] - t[j]
    within = gap <= params.window_hours * 3600
    rule = np.zeros(i.size, dtype=np.int8)
    rule[within] = pair_rules(i[within], j[within], sig, prof, params)
    late = ~within & (gap <= params.reraise_days * 86400)
    if late.any():
        li, lj = i[late], j[late]
        rule[late] = np.where(raised_again(li, lj, sig, prof, params), RAISED_AGAIN, NOT_ONE)
    out: dict[str, tuple[str, int]] = {}
    for (k, m), r in zip(pairs, rule.tolist(), strict=True):  # each member's pairs nearest first
        if r != NOT_ONE and members[k].item_id not in out:
            out[members[k].item_id] = (members[m].item_id, r)
    return out


def same_incident(
    i: I64, j: I64, sig: text.U32, prof: Profiles, params: GroupingParams
) -> npt.NDArray[np.bool_]:
    """Whether each pair (i[k], j[k]) is one incident (``pair_rules``)."""
    return pair_rules(i, j, sig, prof, params) != NOT_ONE


def pair_rules(i: I64, j: I64, sig: text.U32, prof: Profiles, params: GroupingParams) -> npt.NDArray[np.int8]:
    """Per pair (i[k], j[k]), the test that makes it one incident, ``NOT_ONE`` if none: compatible places, then
    near-duplicate headlines (``NEAR_DUPLICATE``) or the wording rule (``WORDING``), then texts alike
    (``TEXTS_ALIKE``); cheapest test first: most candidate pairs fail on place."""
    out = np.zeros(i.size, dtype=np.int8)
    for a in range(0, i.size, PAIR_CHUNK):
        ci, cj = i[a : a + PAIR_CHUNK], j[a : a + PAIR_CHUNK]
        level = incident.agreement(
            prof.place_codes[ci], prof.place_levels[ci], prof.place_codes[cj], prof.place_levels[cj]
        )
        placed = np.flatnonzero(level >= 0)
        ci, cj, level = ci[placed], cj[placed], level[placed]
        shared = incident.one_estate(prof.localities[ci], prof.localities[cj])
        if shared.any():
            # Reports naming one estate agree on their place as a county's reports do (an estate is a place finer
            # than a county), whatever else the gazetteer read, when they also share wording of the matter beyond the
            # estate's name (its noise, its parking).
            e = np.flatnonzero(shared)
            (ma, wa), (mb, wb) = (incident.term_matrix([prof.matter[r] for r in rows]) for rows in (ci[e], cj[e]))
            level[e] = np.where(incident.overlap(ma, wa, mb, wb) >= ESTATE_MATTER, np.maximum(level[e], 6), level[e])
        near = text.similarity(sig[ci], sig[cj]) >= params.min_similarity
        rule = np.where(near, NEAR_DUPLICATE, NOT_ONE).astype(np.int8)
        rest = np.flatnonzero(~near)
        ri, rj = ci[rest], cj[rest]
        score = incident.overlap(
            prof.term_codes[ri], prof.term_weights[ri], prof.term_codes[rj], prof.term_weights[rj]
        )
        worded = incident.decide(level[rest], prof.kinds[ri], prof.kinds[rj], score, params.thresholds)
        rule[rest[worded]] = WORDING
        # Reprints and follow-ups of one matter word their headlines apart and their texts alike: two reports on a
        # topic, each of whose texts holds enough of the other's wording, are one incident too; more of it where
        # no place confirms them (a message board that masks its places, «A市», a report that names none).
        apart = rest[~worded]
        bar = np.where(level[apart] >= TEXT_LEVEL, params.texts_held, params.texts_held_unplaced)
        rule[apart[texts_alike(ci[apart], cj[apart], prof, bar)]] = TEXTS_ALIKE
        out[a + placed] = rule
    return out


TEXT_LEVEL = 2  # places agreeing at a province or finer: the texts' lower bar (``GroupingParams.texts_held``)


def texts_alike(x: I64, y: I64, prof: Profiles, bar: float | npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """Per pair (x[k], y[k]): both on a topic of the other, both with a text that says more than its headline, and each
    text holding ``bar`` (one, or one per pair) of the other's wording (``TextReader.held``)."""
    need = np.broadcast_to(np.asarray(bar, dtype=np.float64), x.shape)
    said = prof.texts.said
    ok = said[x] & said[y] & ((prof.topics[x] & prof.topics[y]) != 0)
    for a, b in ((x, y), (y, x)):
        k = np.flatnonzero(ok)
        ok[k] = prof.texts.held(a[k], b[k], prof.term_codes, prof.term_weights) >= need[k]
    return ok


def group(
    items: Sequence[TrackItem],
    as_of: datetime,
    *,
    prior: Mapping[str, str] | None = None,
    params: GroupingParams = GroupingParams(),
    joined: Sequence[Sequence[str]] = (),
    apart: Sequence[tuple[Sequence[str], Sequence[str]]] = (),
    answered: Mapping[str, datetime] | None = None,
) -> Grouping:
    """Group ``items`` (new items plus the stored members of events they may join) into events.

    ``prior`` maps already-grouped item ids to their stored event id; those stay together. ``joined``: groups of item
    ids an analyst said are one incident (``yuqing merge``); those present stay together too. ``apart``: pairs of
    groups an analyst said are two matters (``yuqing split``); no event holds items of both (``kept_apart``).
    ``answered``: stored event id -> its first response's time; a matter raised again after that opens an event of
    its own (``reraised``). Items that cannot be members are ignored here: responses are linked separately.
    """
    prior = prior or {}
    members = [it for it in items if eligible(it, params) or it.item_id in prior]
    members.sort(key=lambda it: (it.item_time, it.item_id))
    n = len(members)
    if n == 0:
        return Grouping(())
    sig = text.signatures([text.shingle_text(it.title, it.summary) for it in members])
    prof = profiles(members)
    keys = item_keys(members, sig, prof)
    answered_at = None
    if answered:
        epoch = {ev: int(at.timestamp()) for ev, at in answered.items()}
        answered_at = np.array([epoch.get(prior.get(it.item_id, ""), NEVER) for it in members], np.int64)
    a, b = candidate_edges(members, sig, keys, prof, params, answered_at)
    del sig, keys
    accepted = a.size  # the pairs the rule accepted; the edges added below must hold
    # keep stored events together, and what analysts merged
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
    if joined:
        index = {it.item_id: idx for idx, it in enumerate(members)}
        for together in joined:
            present = [index[i] for i in together if i in index]
            pa.extend(present[:1] * (len(present) - 1))
            pb.extend(present[1:])
    if pa:
        a = np.concatenate([a, np.array(pa, np.int64)])
        b = np.concatenate([b, np.array(pb, np.int64)])
    labels = components(n, a, b)
    if apart:

        def strength(edges: I64) -> npt.NDArray[np.float64]:
            """The wording each edge's two reports share; an edge that keeps a stored event or a merge together, 2."""
            ea, eb = a[edges], b[edges]
            shared = incident.overlap(prof.term_codes[ea], prof.term_weights[ea], prof.term_codes[eb], prof.term_weights[eb])
            return np.where(edges >= accepted, 2.0, shared)

        labels = kept_apart(labels, a, b, [it.item_id for it in members], apart, strength)
    return _events(members, prof, labels, as_of, prior)


def _events(
    members: Sequence[TrackItem], prof: Profiles, labels: I64, as_of: datetime, prior: Mapping[str, str]
) -> Grouping:
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.r_[True, labels[order][1:] != labels[order][:-1], True])
    events: list[Event] = []
    retired: dict[str, str] = {}
    for s, e in itertools.pairwise(bounds):
        rows = [int(k) for k in order[s:e]]  # already in (item_time, item_id) order
        group_items = [members[k] for k in rows]
        event = build_event(
            group_items,
            [prof.stated[k] for k in rows],
            [prof.counts(k) for k in rows],
            as_of,
            event_profile_of(prof, rows),
        )
        events.append(event)
        for it in group_items:
            old = prior.get(it.item_id)
            if old is not None and old != event.event_id:
                retired[old] = event.event_id
    events.sort(key=lambda ev: (ev.started_at, ev.event_id))
    return Grouping(tuple(events), retired)


def severity_of(group_items: Sequence[TrackItem], counts: Sequence[Mapping[str, int]]) -> tuple[str, str]:
    """(severity, why) of an event from its members (module docstring)."""
    from classifiers.severity import SeverityRules

    rules = _severity_rules()
    assert isinstance(rules, SeverityRules)
    limits = {
        "deaths": rules.death_threshold,
        "missing": rules.missing_threshold,
        "injured": rules.serious_injury_threshold,
        "poisoned": rules.poisoned_threshold,
    }
    top: dict[str, int] = {}
    for c in counts:
        for kind, n in c.items():
            top[kind] = max(top.get(kind, 0), n)
    stated = {k: v for k, v in top.items() if v > 0}
    if stated:
        over = [f"{k}={v}" for k, v in sorted(stated.items()) if k in limits and v >= limits[k]]
        shown = ", ".join(f"{k}={v}" for k, v in sorted(stated.items()))
        if over:
            return MAJOR, f"counts reported: {shown} (at or over the thresholds)"
        return GENERAL, f"counts reported: {shown} (under the thresholds)"
    proposed = max_severity([it.severity for it in group_items])
    return proposed, "proposed from the wording of its reports" if proposed == MAJOR else ""


def clock_start(
    group_items: Sequence[TrackItem], stated: Sequence[incident.Stated | None]
) -> tuple[datetime, str]:
    """(start, basis): the earliest stated incident time when one is before the earliest report, else the
    earliest report."""
    earliest = min(it.item_time for it in group_items)
    times = [(s, it) for s, it in zip(stated, group_items, strict=True) if s is not None]
    if times:
        s, it = min(times, key=lambda p: p[0].at)
        if s.at < earliest:
            return s.at, f"stated «{s.wording}» ({it.item_id})"
    return earliest, "earliest report"


def event_profile_of(prof: Profiles, rows: Sequence[int] | range) -> EventProfile:
    """An event's profile from its members' rows: the kinds of any, the most specific places, the rarest
    terms."""
    kinds = 0
    places: dict[tuple[int, int], None] = {}
    weights: dict[int, float] = {}
    key_terms: dict[int, None] = {}
    for row in rows:
        kinds |= int(prof.kinds[row])
        for code in prof.key_terms[row]:
            if code:
                key_terms.setdefault(int(code), None)
        for c, lv in zip(prof.place_codes[row], prof.place_levels[row], strict=True):
            if lv:
                places.setdefault((int(c), int(lv)), None)
        for c, w in zip(prof.term_codes[row], prof.term_weights[row], strict=True):
            if c:
                weights[int(c)] = max(weights.get(int(c), 0.0), float(w))
    ranked = sorted(places, key=lambda cl: (-cl[1], cl[0]))[: incident.PLACES_PER_ITEM]
    top = sorted(sorted(weights, key=lambda c: (-weights[c], c))[: incident.TERMS_PER_ITEM])
    return EventProfile(
        kinds,
        tuple(c for c, _ in ranked),
        tuple(lv for _, lv in ranked),
        np.array(top, dtype=np.int64),
        np.array([weights[c] for c in top], dtype=np.float32),
        tuple(list(key_terms)[:16]),
    )


_LEADING_TAGS = re.compile(rf"^(?:\s*{HASHTAG.pattern})+")
_LEAD_NOISE = re.compile(r"^[\s\-—_~·…。，,.!！?？:：]+")
_BRACKETED = re.compile(r"^【([^】]{6,60})】")  # a post's own headline: «【天津确诊2例…】天津确诊…»


def untitled_headline(summary: str) -> str:
    """A headline for an event whose reports have none (Weibo posts), for the digest and ``yuqing overdue``: what its
    opening post says (a repost chain's original post, at its end), in its own bracketed headline («【…】») or first
    sentence, after the hashtags it takes up in 【】 (the matter it files itself under, ``incident.post_headline``);
    the trending hashtags a post leads with are left out."""
    tags = incident.post_headline(summary)
    parts = [p.strip() for p in REPOST_LINK.split(summary)]
    said = next((p for p in reversed(parts) if len(HASHTAG.sub("", p).strip()) >= 8), parts[0] if parts else "")
    said = HASHTAG.sub(r"\1", _LEAD_NOISE.sub("", _LEADING_TAGS.sub("", said))).strip()
    if (m := _BRACKETED.match(said)) is not None:
        lead = m.group(1)
    else:
        lead = parse("", said, incident.LEAD_CHARS).title
        if len(lead) < len(said) and not lead.endswith(("。", "！", "？", "!", "?")):
            lead += "…"
    return f"【{tags}】{lead}" if tags and tags not in lead else lead or tags


def build_event(
    group_items: Sequence[TrackItem],
    stated: Sequence[incident.Stated | None],
    counts: Sequence[Mapping[str, int]],
    as_of: datetime,
    profile: EventProfile | None = None,
) -> Event:
    """An event's attributes, all derived from its members (so recomputing changes nothing)."""
    opener = group_items[0]
    # the most specific place any member names (the earliest such member on ties)
    region: TrackItem | None = None
    best = 0
    for it in group_items:
        level = as_int(it.region_code)[1]
        if level > best:
            region, best = it, level
    h6, h24 = as_of - timedelta(hours=6), as_of - timedelta(hours=24)
    severity, severity_basis = severity_of(group_items, counts)
    started, basis = clock_start(group_items, stated)
    return Event(
        event_id=event_id_for(opener.item_id),
        opening_item_id=opener.item_id,
        title=next((it.title for it in group_items if it.title), "") or untitled_headline(opener.summary),
        topics=tuple(sorted({s for it in group_items for s in it.topics})),
        region_code=region.region_code if region else None,
        region_name=region.region_name if region else None,
        severity_proposed=severity,
        started_at=started,
        first_detected_at=min(it.fetched_at for it in group_items),
        last_item_at=max(it.item_time for it in group_items),
        item_ids=tuple(it.item_id for it in group_items),
        item_count=len(group_items),
        source_count=len({it.source for it in group_items}),
        items_6h=sum(1 for it in group_items if h6 < it.item_time <= as_of),
        items_24h=sum(1 for it in group_items if h24 < it.item_time <= as_of),
        clock_basis=basis,
        severity_basis=severity_basis,
        profile=profile or EventProfile(),
    )
