"""Linking: which events does a response item answer?

A response (an official body's own release, or a media report of one: «记者从…获悉», «…回应称») answers
an event when both hold, whatever topic the response itself was tagged with:

* **jurisdiction**: the body that issued it covers the incident's place. An official source's region
  (``sources.region``) is its jurisdiction: a province answers a city's incident in it, a city does not
  answer another city's; a national body covers every place. A media report of a response is not held
  to a jurisdiction (whose release it reports is not known);
* **it names the incident**: its places are compatible with the event's (a 警情通报 about another
  district is about another case), its kinds are not all different from the event's (a notice about a
  stabbing does not answer a fire), and it shares the incident's rare wording, the more precisely the
  places agree the less of it (``incident.decide`` with the linking thresholds). A response whose headline
  says little («情况通报», «网友留言答复») is read in full (``Reading``): what share of the event's wording its
  text holds, where it also names the event's kind of incident. Response wording
  (通报, 情况, 说明 …) and place names are never evidence of which incident. A city's release on its
  outbreak (a citywide kind) needs no shared wording only while the event is live
  (``LinkParams.live_hours``, grouping's window, after its latest report); a relay of one (a media report or a
  post) must share the incident's wording, and a relay that names no place answers no event that has one.

A reply that **addresses a member's author** («网友“UU008913”您好», «“A000112959”网友：», the board's handle of
whoever wrote the message) answers the event that holds that author's message, whatever its headline says
(«网友留言答复»): the body that answers a message board names whom it answers. Only an official body's own reply
is read so, within its jurisdiction and window; where the author has several events there, the reply answers
the one whose wording it holds most, and none if it holds none of any more than of the others.

Routine official items (campaigns, meetings, policies, inspections) are not responses in the first place
(the classifier requires response wording), and even on the same topic in the same city they share
neither the incident's kind nor its wording. It must also come after the event started and within the
link window; a report that carries an authority's own release in its text («吉林卫健委：昨天…», «烟台市政府新闻办
召开发布会，承认了…»; ``TrackItem.relays_release``) may also answer the event it opens itself. Each link keeps its score, the shared terms and the rule that matched as evidence; a
response links to its best event and to any scoring within 90 % of it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from yuqing.vocab import Milestone

from . import incident
from .model import Authored, Event, EventProfile, Response, ResponseDecision, TrackItem
from .regions import as_int, trimmed
from .text import normalise

DEFAULT_KINDS = (Milestone.FIRST_INFORMATION.value, Milestone.FIRST_RESPONSE.value)
WEAK_HEADLINE_TERMS = 3  # a response headline with fewer rare terms than this is looked up by place too


def says_little(rp: EventProfile) -> bool:
    """A response headline with too few rare terms to say which incident («情况通报», «网友留言答复»): it is looked
    up by the place it names and read in full with its body."""
    return len(rp.key_terms) < WEAK_HEADLINE_TERMS


# A response names its incident in fewer words than a second report does (a notice's title is mostly its
# genre): the bar is lower than grouping's at every level of place agreement, except with no place, where it is
# as high: lower there (0.45, 0.35 with a kind), a reply on a like matter in another masked county answered the
# message (the 泰迪杯 replies: 46 more plain replies linked rightly, 12 more links wrong, 10 of them among replies
# that name their message's headline).
LINK_THRESHOLDS = incident.Thresholds(
    county_kind=0.05,
    county=0.2,
    city_kind=0.1,
    city=0.25,
    province_kind=0.25,
    province=0.4,
    unplaced_kind=0.4,
    unplaced=0.5,
)


@dataclass(frozen=True, slots=True)
class LinkParams:
    window_days: float = 30.0
    keep_ratio: float = 0.9
    response_chars: int = 800  # how much of a long response (a reply letter) to read: its substance follows a greeting
    thresholds: incident.Thresholds = field(default_factory=lambda: LINK_THRESHOLDS)
    max_candidates: int = 2000  # events read per response key (a bound for hot keys)
    max_postings: int = 5000  # a term in more events than this is not distinctive: not a candidate key
    # A city's outbreak is one incident (``incidents.toml``, citywide), so a release on it answers an event in that
    # city by place and kind alone, but only while the event is live: up to grouping's window after its latest
    # report (a later report would open another event; ``run_track`` passes the window it grouped with). Later,
    # the release must share the event's wording.
    live_hours: float = incident.FOLLOW_UP_HOURS


# Whom a reply addresses, in its opening: 网友“UU008913”, “UU008913”网友, “UU008913”您好 (straight or corner quotes).
_ADDRESSED = re.compile(
    r"网友\s*[“\"「『]([^”\"」』\s]{2,40})[”\"」』]|[“\"「『]([^”\"」』\s]{2,40})[”\"」』]\s*(?:网友|您好|你好)"
)
ADDRESS_CHARS = 80  # a reply names whom it answers in its greeting


def addressed(r: TrackItem) -> tuple[str, ...]:
    """The handles an official reply addresses in its greeting (``_ADDRESSED``), in order; () for anything else."""
    if not r.official_response:
        return ()
    found = _ADDRESSED.findall(r.summary[:ADDRESS_CHARS])
    return tuple(dict.fromkeys(handle(a or b) for a, b in found))


def handle(author: str) -> str:
    """An author's name as compared with the handle a reply addresses: trimmed, lower case (``lower(trim(author))``
    in ``warehouse.events.authored``)."""
    return author.strip().lower()


_PLACE_PART = re.compile(r".+?(?:特别行政区|自治区|自治州|自治县|地区|省|市|区|县|盟|旗)")
_PLACE_SUFFIX = re.compile(r"(?:特别行政区|自治区|自治州|自治县|地区|省|市|区|县|盟|旗)$")


@functools.lru_cache(maxsize=4096)
def place_parts(region_name: str) -> tuple[str, ...]:
    """'湖北省十堰市张湾区' -> its parts with and without suffix, longest first: 湖北省, 十堰市, …, 十堰."""
    parts: set[str] = set()
    for part in _PLACE_PART.findall(normalise(region_name)):
        parts.add(part)
        short = _PLACE_SUFFIX.sub("", part)
        if len(short) >= 2:
            parts.add(short)
    return tuple(sorted(parts, key=lambda p: (-len(p), p)))


def _keys(codes: Sequence[int], levels: Sequence[int], terms: Sequence[int], *, with_place: bool) -> set[int]:
    """Keys that a response and an event it may answer share: a term, and (``with_place``) a city or
    county named."""
    out = {hash(("term", t)) for t in terms}
    if with_place:
        out.update(hash(("city", c // 100)) for c, lv in zip(codes, levels, strict=True) if lv >= 4)
    return out


def response_profiles(responses: Sequence[TrackItem], chars: int) -> list[EventProfile]:
    from .grouping import profiles

    p = profiles([replace(r, summary=r.summary[:chars]) for r in responses])
    out = []
    for row in range(len(responses)):
        codes, weights = p.term_codes[row], p.term_weights[row]
        keep = codes != 0
        out.append(
            EventProfile(
                int(p.kinds[row]),
                tuple(int(c) for c in p.place_codes[row]),
                tuple(int(v) for v in p.place_levels[row]),
                codes[keep].copy(),
                weights[keep].copy(),
                tuple(int(c) for c in p.key_terms[row] if c),
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class Reading:
    """A response's text read in full: every bigram that may be evidence of an incident, and the kinds it names."""

    codes: npt.NDArray[np.int64]
    kinds: int

    @classmethod
    def of(cls, text: str) -> Reading:
        return cls(incident.text_codes(text), incident.kinds().mask(normalise(text)))


class _EventIndex:
    """The events a batch of responses may answer: their postings by key (sorted by start, so a response reads
    only the events started in its window) and their places, wording and kinds as arrays."""

    def __init__(self, events: Sequence[Event]) -> None:
        self.events = events
        self.profiles = [ev.profile for ev in events]
        self.starts = np.array([ev.started_at.timestamp() for ev in events])
        self.lasts = np.array([ev.last_item_at.timestamp() for ev in events])
        postings: dict[int, list[int]] = {}
        for e, p in enumerate(self.profiles):
            for key in _keys(p.place_codes, p.place_levels, p.term_codes.tolist(), with_place=True):
                postings.setdefault(key, []).append(e)
        starts = self.starts
        self.postings = {
            k: np.array(sorted(v, key=lambda e: starts[e]), dtype=np.int64) for k, v in postings.items()
        }
        self.place_keys = {
            hash(("city", c // 100))
            for p in self.profiles
            for c, lv in zip(p.place_codes, p.place_levels, strict=True)
            if lv >= 4
        }
        self.codes, self.levels = incident.place_arrays(
            [incident.Places(p.place_codes, p.place_levels) for p in self.profiles]
        )
        self.terms, self.weights = incident.term_matrix(
            [
                (np.array(p.term_codes, dtype=np.int64), np.array(p.term_weights, dtype=np.float32))
                for p in self.profiles
            ]
        )
        self.kinds = np.array([p.kinds for p in self.profiles], dtype=np.int64)
        self.region = [trimmed(ev.region_code) for ev in events]

    def shared_terms(self, e: int, codes: set[int]) -> tuple[str, ...]:
        """The terms of event ``e``'s wording among a response's ``codes``, decoded and sorted (a link's evidence)."""
        return tuple(sorted(incident.decode(c) for c in self.profiles[e].term_codes.tolist() if c in codes))

    def candidates(
        self,
        rp: EventProfile,
        rt: float,
        own: str,
        params: LinkParams,
        reads: Reading | None = None,
        *,
        opened: bool = False,
    ) -> npt.NDArray[np.int64]:
        """The events a response (profile ``rp``, at ``rt``) may answer: they share a key with it (a term, or for
        a headline that says little any of the bigrams it ``reads``), started in its window before it (``opened``:
        or with it, for a report that carries the authority's release and so answers the event it opens), and lie in
        its body's jurisdiction ``own`` (empty: any)."""
        # Candidates share a term with the event; a response that says little («情况通报») or names a kind
        # of incident is also looked up by the city it names (its place, kind and body deciding).
        weak = says_little(rp) or rp.kinds != 0
        terms = rp.term_codes.tolist() if reads is None else [*rp.term_codes.tolist(), *reads.codes.tolist()]
        window = params.window_days * 86400
        cand: set[int] = set()
        for key in _keys(rp.place_codes, rp.place_levels, terms, with_place=weak):
            post = self.postings.get(key)
            if post is None or (post.size > params.max_postings and key not in self.place_keys):
                continue  # a term in that many events is not distinctive
            s = self.starts[post]
            lo, hi = np.searchsorted(s, rt - window, "left"), np.searchsorted(s, rt, "right")
            cand.update(int(e) for e in post[lo:hi][: params.max_candidates])
        region = self.region
        return np.array(
            sorted(
                e
                for e in cand
                if (self.starts[e] < rt or (opened and self.starts[e] == rt))
                and (not own or not region[e] or region[e].startswith(own))
            ),
            dtype=np.int64,
        )

    def score(
        self,
        rp: EventProfile,
        rt: float,
        idx: npt.NDArray[np.int64],
        params: LinkParams,
        reads: Reading | None = None,
        relay: bool = False,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        """(place agreement level, wording overlap, whether it answers, whether it would without the citywide
        rule) of a response at ``rt`` against events ``idx``. With ``reads`` (a headline that says little: its
        headline and body read in full), the overlap is at least the share of the event's wording that the
        response's text holds, where the text also names the event's kind of incident if it has one: a reply that
        restates the complaint names it, though not in its rarest terms, and a 警情通报 of a theft in the same
        district holds a fire's «小区发生» but not its fire."""
        m = idx.size
        rc, rl = incident.place_arrays([incident.Places(rp.place_codes, rp.place_levels)] * m)
        rterms, rweights = incident.term_matrix(
            [(np.array(rp.term_codes, dtype=np.int64), np.array(rp.term_weights, dtype=np.float32))] * m
        )
        level = incident.agreement(rc, rl, self.codes[idx], self.levels[idx])
        score = incident.overlap(rterms, rweights, self.terms[idx], self.weights[idx])
        if reads is not None:
            named = (self.kinds[idx] == 0) | ((self.kinds[idx] & reads.kinds) != 0)
            contained = incident.held(self.terms[idx], self.weights[idx], reads.codes)
            score = np.where(named, np.maximum(score, contained), score)
        # The citywide rule is for a city's own release on its outbreak: a relay of one (``relay``: a media report or a
        # post, whose body is not known) names the incident by its wording, and a relay that names no place answers no
        # event that has one (a post's «辟谣！这些关于新型冠状病毒的说法» shares a province's case report's every word).
        live = (rt - self.lasts[idx] <= params.live_hours * 3600) & (not relay)
        kinds = np.full(m, rp.kinds, dtype=np.int64)
        good = incident.decide(level, kinds, self.kinds[idx], score, params.thresholds, live)
        if relay and not any(rp.place_levels):
            good &= self.levels[idx][:, 0] == 0
        # Whether it would answer without the citywide rule: asked only where something answers (most do not).
        worded = incident.decide(level, kinds, self.kinds[idx], score, params.thresholds, False) if good.any() else good
        return level, score, good, worded


def _rule(
    rp: EventProfile,
    event_kinds: int,
    level: int,
    r: TrackItem,
    own: str,
    event_region: str,
    citywide: bool,
    read_in_full: bool,
) -> str:
    """Why a response answers an event, as the analyst reads it."""
    rule = [f"places agree at {_LEVEL_NAMES.get(level, 'no')} level"]
    if read_in_full:
        rule.append("its headline says little: read with its body")
    if rp.kinds & event_kinds:
        rule.append("kind: " + "、".join(incident.kinds().names_of(rp.kinds & event_kinds)))
    if citywide:
        rule.append("the city's outbreak, while the event is live: no shared wording needed")
    if own:
        rule.append(f"jurisdiction: {r.source} ({own}) covers {event_region or 'an unplaced event'}")
    elif r.official_response:
        rule.append("jurisdiction: national body")
    return "; ".join(rule)


def link(
    events: Sequence[Event],
    responses: Sequence[TrackItem],
    *,
    params: LinkParams = LinkParams(),
    authored: Mapping[str, Sequence[Authored]] | None = None,
) -> list[Response]:
    """Link every response item to the events it answers. Pure: same inputs, same links. ``authored``: by handle
    (``handle``), what each author a reply addresses wrote (``Authored``), for the replies the wording does not
    link (``_addressed_link``)."""
    if not events or not responses:
        return []
    index = _EventIndex(events)
    position = {ev.event_id: e for e, ev in enumerate(events)}
    links: list[Response] = []
    for r, rp in zip(responses, response_profiles(responses, params.response_chars), strict=True):
        rt = r.item_time.timestamp()
        # jurisdiction: an official source's region covers the event's place
        own = trimmed(r.source_region) if (r.source_official and r.official_response) else ""
        found = _worded_links(index, r, rp, rt, own, params)
        if not found and authored:
            answered = _addressed_link(index, position, authored, r, rp, rt, own, params)
            found = [answered] if answered is not None else []
        links.extend(found)
    links.sort(key=lambda x: (x.event_id, x.responded_at, x.item_id))
    return links


def _worded_links(
    index: _EventIndex, r: TrackItem, rp: EventProfile, rt: float, own: str, params: LinkParams
) -> list[Response]:
    """The events a response answers by what it says (its place, kind and wording)."""
    # A headline that says little («情况通报», «关于网民反映问题的回复») is read in full with its body's start.
    reads = Reading.of(r.title + "。" + r.summary[: params.response_chars]) if says_little(rp) else None
    idx = index.candidates(rp, rt, own, params, reads, opened=r.relays_release)
    if idx.size == 0:
        return []
    level, score, good, worded = index.score(rp, rt, idx, params, reads, relay=not r.official)
    if not good.any():
        return []
    best = float(score[good].max())
    rcodes = set(rp.term_codes.tolist()) | (set() if reads is None else set(reads.codes.tolist()))
    out = []
    for k in np.flatnonzero(good & (score >= best * params.keep_ratio)):
        e = int(idx[k])
        rule = _rule(rp, int(index.kinds[e]), int(level[k]), r, own, index.region[e], not worded[k], reads is not None)
        out.append(_response(index, e, r, float(score[k]), rcodes, rule, reported=not r.official_response))
    return out


def _response(
    index: _EventIndex, e: int, r: TrackItem, score: float, rcodes: set[int], rule: str, *, reported: bool
) -> Response:
    """The link of response ``r`` to event ``e`` of ``index``, with the event's terms among ``rcodes`` as evidence."""
    return Response(
        event_id=index.events[e].event_id,
        item_id=r.item_id,
        responded_at=r.item_time,
        visible_at=max(r.item_time, r.fetched_at),
        score=round(min(1.0, score), 4),
        matched_terms=index.shared_terms(e, rcodes),
        reported=reported,
        kinds=tuple(r.response_kinds or DEFAULT_KINDS),
        rule=rule,
    )


def _addressed_link(
    index: _EventIndex,
    position: Mapping[str, int],
    authored: Mapping[str, Sequence[Authored]],
    r: TrackItem,
    rp: EventProfile,
    rt: float,
    own: str,
    params: LinkParams,
) -> Response | None:
    """The link of an official reply that addresses an author (``addressed``), or None. What the author wrote in
    the reply's window before it says which matter it answers: when all of it is one event's, that event (in the
    reply's jurisdiction); when it is several events', the one whose wording the reply holds most, if it holds more
    of one than of every other; when some of it opened no event, none (the reply may answer that)."""
    handles = [h for h in addressed(r) if h in authored]
    window = params.window_days * 86400
    wrote = {a.event_id for h in handles for a in authored[h] if rt - window <= a.at < rt}
    if not wrote or None in wrote or not wrote <= position.keys():
        return None  # the author wrote what opened no event, or is in an event this run does not link
    region = index.region
    cand = sorted(
        e
        for e in (position[ev] for ev in wrote if ev is not None)
        if rt - window <= index.starts[e] < rt and (not own or not region[e] or region[e].startswith(own))
    )
    if not cand:
        return None
    idx = np.array(cand, dtype=np.int64)
    reads = Reading.of(r.title + "。" + r.summary[: params.response_chars])
    level, score, _good, _worded = index.score(rp, rt, idx, params, reads)
    best = int(np.argmax(score))
    if idx.size > 1 and not (score[best] > 0 and np.count_nonzero(score == score[best]) == 1):
        return None  # which of the author's matters it answers is not said
    e = int(idx[best])
    rcodes = set(rp.term_codes.tolist()) | set(reads.codes.tolist())
    rule = (
        f"addressed to the author of a member: {'、'.join(handles)}; "
        f"places agree at {_LEVEL_NAMES.get(int(level[best]), 'no')} level"
    )
    if own:
        rule += f"; jurisdiction: {r.source} ({own}) covers {region[e] or 'an unplaced event'}"
    return _response(index, e, r, float(score[best]), rcodes, rule, reported=False)


_LEVEL_NAMES = {6: "county", 4: "city", 2: "province", 0: "no"}


def event_profile(members: Sequence[TrackItem]) -> EventProfile:
    """An event's profile from its members (``grouping.event_profile_of``)."""
    from .grouping import event_profile_of, profiles

    return event_profile_of(profiles(members), range(len(members)))


__all__ = ["Authored", "EventProfile", "LinkParams", "addressed", "as_int", "event_profile", "link", "place_parts"]


def decided(links: Sequence[Response], decisions: Sequence[ResponseDecision]) -> list[Response]:
    """The links with the analysts' decisions applied: a link an analyst removed goes, one an analyst made is
    added (or replaces the matcher's) with the kinds the analyst gave, scored 1 and explained by who and why."""
    by_key = {(d.event_id, d.item_id): d for d in decisions}
    out = [r for r in links if (r.event_id, r.item_id) not in by_key]
    for d in decisions:
        if d.linked:
            why = f"linked by analyst {d.analyst}: {d.reason}"
            out.append(
                Response(d.event_id, d.item_id, responded_at=d.item_time, visible_at=d.visible_at, score=1.0,
                         matched_terms=(), reported=not d.official, kinds=d.kinds, rule=why)
            )  # fmt: skip
    return out
