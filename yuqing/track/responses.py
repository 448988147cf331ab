"""Linking: which events does a response item answer?

A response (an official body's own release, or a media report of one) answers an event when
  * it is later than the event's start and within the link window,
  * its topics overlap the event's (a response without topics must match terms more strongly),
  * its place is the event's place or a higher level containing it (or either is unknown),
  * its text shares the event headline's *distinctive* terms: character bigrams, excluding the
    topic lexicon's words, place names and response wording, weighted by rarity among the events.
    The lexicon's words do count when the response names a city (or county) and the event is in it:
    anchored to one place, "十堰 + 燃气爆炸事故" names the incident.
When the response or the event names no place, the bar is higher (``unplaced_min_score``): place
agreement is part of the evidence. A routine official item (a campaign, a policy, a meeting) on the same topic in the same city shares
only topic words and place names with the event, so it scores nothing. Each link keeps its score and
the matched terms as evidence. A response links to its best event and to any scoring within 90 %.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from .model import Event, Response, TrackItem
from .regions import as_int
from .text import normalise

# Wording of responses and news in general: never evidence that two texts speak of one incident.
GENERIC_TERMS = frozenset(
    [
        "通报",
        "情况",
        "说明",
        "回应",
        "答复",
        "发布",
        "布会",
        "记者",
        "获悉",
        "据悉",
        "关于",
        "有关",
        "工作",
        "进行",
        "相关",
        "问题",
        "表示",
        "目前",
        "已经",
        "我们",
        "您好",
        "感谢",
        "网友",
        "反映",
        "留言",
        "调查",
        "核实",
        "处理",
        "结果",
        "最新",
        "官方",
        "部门",
        "政府",
        "人民",
        "全国",
        "中国",
        "今天",
        "昨天",
        "今日",
        "日前",
        "近日",
        "一个",
        "一些",
        "事件",
        "事情",
        "消息",
        "来了",
        "如下",
        "现将",
        "的情",
        "况向",
        "向该",
        "该网",
        "友答",
        "复如",
        "情况",
        "月日",
        "年月",
        "20",
        "02",
        "21",
        "01",
        # petition and message-board wording (问政 boards, 12345 hotlines): the genre, not the incident
        "咨询",
        "询问",
        "投诉",
        "举报",
        "希望",
        "请求",
        "要求",
        "建议",
        "解决",
        "恳请",
        "领导",
        "书记",
        "市长",
        "一下",
        "的问",
        "题的",
    ]
)
# Bigrams of Latin letters and digits alone, or a digit next to a date or place suffix (19, b9, 9年, 6区):
# years, dates and code-named places, never evidence of one incident.
_DIGITS = frozenset("0123456789")
_ALNUM = _DIGITS | frozenset("abcdefghijklmnopqrstuvwxyz")
_SUFFIXES = frozenset("年月日号时市区县镇省")


def _weak(a: str, b: str) -> bool:
    return (a in _ALNUM and b in _ALNUM) or (a in _DIGITS and b in _SUFFIXES) or (a in _SUFFIXES and b in _DIGITS)
DEFAULT_KINDS = ("first_information", "first_response")
CITY_LEVEL = 4  # digits of a prefecture-level division code (regions.as_int levels: 2, 4, 6)


@dataclass(frozen=True, slots=True)
class LinkParams:
    window_days: float = 30.0
    min_score: float = 0.2  # share of the event headline's term weight the response must match
    unplaced_min_score: float = 0.45  # ... when the response or the event names no place (weaker evidence)
    min_terms: int = 3  # distinctive bigrams in common
    untopical_factor: float = 1.5  # stricter score for responses without topic tags
    keep_ratio: float = 0.9
    max_postings: int = 5000  # a term in more events than this is not distinctive: not a candidate key
    response_chars: int = 400  # how much of a long response (a reply letter) to read


_CUT = "|"  # never in normalised text: bigrams across it are not taken
_PLACE_PART = re.compile(r".+?(?:特别行政区|自治区|自治州|自治县|地区|省|市|区|县|盟|旗)")
_PLACE_SUFFIX = re.compile(r"(?:特别行政区|自治区|自治州|自治县|地区|省|市|区|县|盟|旗)$")


def _codes(text: str) -> np.ndarray:
    return np.array(
        sorted(
            {
                (ord(text[i]) << 21) | ord(text[i + 1])
                for i in range(len(text) - 1)
                if text[i] != _CUT and text[i + 1] != _CUT and not _weak(text[i], text[i + 1])
            }
        ),
        dtype=np.int64,
    )


@functools.lru_cache(maxsize=4096)
def _place_parts(region_name: str) -> tuple[str, ...]:
    """'湖北省十堰市张湾区' -> its parts with and without suffix, longest first: 湖北省, 十堰市, …, 十堰."""
    parts: set[str] = set()
    for part in _PLACE_PART.findall(normalise(region_name)):
        parts.add(part)
        short = _PLACE_SUFFIX.sub("", part)
        if len(short) >= 2:
            parts.add(short)
    return tuple(sorted(parts, key=lambda p: (-len(p), p)))


def _without_place(text: str, region_name: str | None) -> str:
    """Cut the item's own place names out of normalised text, so no bigram straddles them
    (湖北十堰市张湾区艳湖… would otherwise leave 北十, 市张, 区艳 as "distinctive" terms)."""
    for part in _place_parts(region_name or ""):
        text = text.replace(part, _CUT)
    return text


def _decode(code: int) -> str:
    return chr(code >> 21) + chr(code & 0x1FFFFF)


def stop_codes(words: Iterable[str]) -> set[int]:
    """Bigram codes of topic words, place names and generic wording (excluded from matching)."""
    out: set[int] = set()
    for w in words:
        out.update(int(c) for c in _codes(normalise(w)))
    return out


def link(
    events: Sequence[Event],
    responses: Sequence[TrackItem],
    *,
    stop_words: Iterable[str] = (),
    params: LinkParams = LinkParams(),
) -> list[Response]:
    """Link every response item to the events it answers. Pure: same inputs, same links."""
    if not events or not responses:
        return []
    stop = stop_codes([*GENERIC_TERMS, *stop_words])
    for ev in events:  # the event's own place names and topic words are not distinctive
        stop |= stop_codes([ev.region_name or ""])
    ev_terms: list[np.ndarray] = []
    for ev in events:
        codes = _codes(_without_place(normalise(ev.title), ev.region_name))
        ev_terms.append(np.array([c for c in codes if int(c) not in stop], dtype=np.int64))
    ev_start = np.array([ev.started_at.timestamp() for ev in events])
    # Inverted index: (term, event) postings sorted by term, then by the event's start (whole seconds),
    # so a response reads only the postings of events that started inside its window: the work per
    # response is bounded by the window, not by how many events the index holds.
    lens = np.array([len(c) for c in ev_terms], dtype=np.int64)
    post_term = np.concatenate(ev_terms) if lens.sum() else np.empty(0, np.int64)
    post_event = np.repeat(np.arange(len(events), dtype=np.int64), lens)
    t_base = int(np.floor(ev_start.min())) if len(events) else 0
    ev_sec = np.floor(ev_start).astype(np.int64) - t_base  # >= 0, < 2**32 for 136 years
    order = np.lexsort((ev_sec[post_event], post_term))
    post_term, post_event = post_term[order], post_event[order]
    uniq, df = np.unique(post_term, return_counts=True)
    term_no = np.repeat(np.arange(uniq.size, dtype=np.int64), df)
    post_key = (term_no << 32) | ev_sec[post_event]  # sorted: term, then start
    idf = np.log((len(events) + 1) / (df + 1)) + 1.0
    ev_weight = np.zeros(len(events))
    np.add.at(ev_weight, post_event, idf[term_no])

    slugs = sorted({s for ev in events for s in ev.topics} | {s for r in responses for s in r.topics})
    bit = {s: 1 << k for k, s in enumerate(slugs[:63])}
    ev_mask = np.array([sum(bit.get(s, 0) for s in ev.topics) for ev in events], dtype=np.int64)
    ev_reg = np.array([as_int(ev.region_code) for ev in events], dtype=np.int64).reshape(-1, 2)
    window = params.window_days * 86400

    links: list[Response] = []
    for r in responses:
        text = _without_place(normalise(r.title + " " + r.summary[: params.response_chars]), r.region_name)
        rstop = stop | stop_codes([r.region_name or ""])
        topic_codes = stop_codes(r.topic_terms)
        codes = np.array([c for c in _codes(text) if int(c) not in rstop], dtype=np.int64)
        if codes.size == 0:
            continue
        pos = np.searchsorted(uniq, codes)
        inside = pos < uniq.size
        pos, codes_in = pos[inside], codes[inside]
        hit = uniq[pos] == codes_in
        pos, codes_in = pos[hit], codes_in[hit]
        frequent = df[pos] <= params.max_postings
        pos, codes_in = pos[frequent], codes_in[frequent]
        if pos.size == 0:
            continue
        rt = r.item_time.timestamp()
        # postings of each matched term whose event started in [rt - window, rt] (whole seconds; exact below)
        lo_s = min(max(int(np.floor(rt - window)) - t_base - 1, 0), (1 << 32) - 1)
        hi_s = min(max(int(np.ceil(rt)) - t_base + 1, 0), (1 << 32) - 1)
        lo = np.searchsorted(post_key, (pos << 32) | lo_s, side="left")
        hi = np.searchsorted(post_key, (pos << 32) | hi_s, side="right")
        n_post = hi - lo
        total = int(n_post.sum())
        if total == 0:
            continue
        ends = np.cumsum(n_post)
        cand = post_event[np.repeat(lo - (ends - n_post), n_post) + np.arange(total)]
        gain = np.repeat(idf[pos], n_post)
        is_topic = np.repeat(np.array([int(c) in topic_codes for c in codes_in], dtype=bool), n_post)
        ok = (ev_start[cand] < rt) & (rt - ev_start[cand] <= window)
        rmask = sum(bit.get(s, 0) for s in r.topics)
        if rmask:
            ok &= (ev_mask[cand] & rmask) != 0
        rcode, rlevel = as_int(r.region_code)
        if rlevel:  # the response's place is the event's or contains it
            div = 10 ** (6 - rlevel)
            ok &= (ev_reg[cand, 1] == 0) | (
                (ev_reg[cand, 1] >= rlevel) & (ev_reg[cand, 0] // div == rcode // div)
            )
        # The topic lexicon's words (燃气爆炸, 欠薪 …) are not distinctive on their own, but anchored to
        # one city they name the incident: a response placed in a city (or county) counts them for the
        # events in that city, e.g. 应勇视频调度十堰燃气爆炸事故救援处置 answers a 十堰 燃气爆炸 event.
        anchored = (rlevel >= CITY_LEVEL) & (ev_reg[cand, 1] >= rlevel)
        ok &= ~is_topic | anchored
        cand, gain = cand[ok], gain[ok]
        if cand.size == 0:
            continue
        evs, inv = np.unique(cand, return_inverse=True)
        matched = np.bincount(inv, weights=gain)
        nterms = np.bincount(inv)
        score = matched / np.maximum(ev_weight[evs], 1e-9)
        # both name a place and the places agree (the region filter above): the lower bar; else the higher
        placed = (ev_reg[evs, 1] > 0) if rlevel else np.zeros(evs.size, dtype=bool)
        need = np.where(placed, params.min_score, params.unplaced_min_score)
        need = need * (1.0 if rmask else params.untopical_factor)
        good = (score >= need) & (nterms >= params.min_terms)
        if not good.any():
            continue
        best = float(score[good].max())
        kinds = r.response_kinds or DEFAULT_KINDS
        rcodes = set(int(c) for c in codes)
        for k in np.flatnonzero(good & (score >= best * params.keep_ratio)):
            ev = events[int(evs[k])]
            counted = rcodes if rlevel >= CITY_LEVEL and ev_reg[evs[k], 1] >= rlevel else rcodes - topic_codes
            terms = tuple(sorted(_decode(int(c)) for c in ev_terms[int(evs[k])] if int(c) in counted))
            links.append(
                Response(
                    event_id=ev.event_id,
                    item_id=r.item_id,
                    responded_at=r.item_time,
                    visible_at=max(r.item_time, r.fetched_at),
                    score=round(min(1.0, float(score[k])), 4),
                    matched_terms=terms,
                    reported=not r.official_response,
                    kinds=tuple(kinds),
                )
            )
    links.sort(key=lambda x: (x.event_id, x.responded_at, x.item_id))
    return links


def window_start(as_of: datetime, params: LinkParams) -> datetime:
    return as_of - timedelta(days=params.window_days)
