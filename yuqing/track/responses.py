"""Linking: which events does a response item answer?

A response (an official body's own release, or a media report of one) answers an event when
  * it is later than the event's start and within the link window,
  * its topics overlap the event's (a response without topics must match terms more strongly),
  * its place is the event's place or a higher level containing it (or either is unknown),
  * its text shares the event headline's *distinctive* terms: character bigrams, excluding the
    topic lexicon's words, place names and response wording, weighted by rarity among the events.
A routine official item (a campaign, a policy, a meeting) on the same topic in the same city shares
only topic words and place names with the event, so it scores nothing. Each link keeps its score and
the matched terms as evidence. A response links to its best event and to any scoring within 90 %.
"""

from __future__ import annotations

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
    ]
)
DEFAULT_KINDS = ("first_information", "first_response")


@dataclass(frozen=True, slots=True)
class LinkParams:
    window_days: float = 30.0
    min_score: float = 0.2
    min_terms: int = 3  # distinctive bigrams in common
    untopical_factor: float = 1.5  # stricter score for responses without topic tags
    keep_ratio: float = 0.9
    max_postings: int = 5000  # a term in more events than this is not distinctive: not a candidate key
    response_chars: int = 400  # how much of a long response (a reply letter) to read


def _codes(text: str) -> np.ndarray:
    return np.array(
        sorted({(ord(text[i]) << 21) | ord(text[i + 1]) for i in range(len(text) - 1)}), dtype=np.int64
    )


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
        codes = _codes(normalise(ev.title))
        ev_terms.append(np.array([c for c in codes if int(c) not in stop], dtype=np.int64))
    # inverted index: sorted (term, event) pairs
    lens = np.array([len(c) for c in ev_terms], dtype=np.int64)
    post_term = np.concatenate(ev_terms) if lens.sum() else np.empty(0, np.int64)
    post_event = np.repeat(np.arange(len(events), dtype=np.int64), lens)
    order = np.argsort(post_term, kind="stable")
    post_term, post_event = post_term[order], post_event[order]
    uniq, first, df = np.unique(post_term, return_index=True, return_counts=True)
    idf = np.log((len(events) + 1) / (df + 1)) + 1.0
    ev_weight = np.zeros(len(events))
    np.add.at(ev_weight, post_event, idf[np.searchsorted(uniq, post_term)])

    slugs = sorted({s for ev in events for s in ev.topics} | {s for r in responses for s in r.topics})
    bit = {s: 1 << k for k, s in enumerate(slugs[:63])}
    ev_mask = np.array([sum(bit.get(s, 0) for s in ev.topics) for ev in events], dtype=np.int64)
    ev_start = np.array([ev.started_at.timestamp() for ev in events])
    ev_reg = np.array([as_int(ev.region_code) for ev in events], dtype=np.int64).reshape(-1, 2)
    window = params.window_days * 86400

    links: list[Response] = []
    for r in responses:
        text = normalise(r.title + " " + r.summary[: params.response_chars])
        rstop = stop | stop_codes([*r.topic_terms, r.region_name or ""])
        codes = np.array([c for c in _codes(text) if int(c) not in rstop], dtype=np.int64)
        if codes.size == 0:
            continue
        pos = np.searchsorted(uniq, codes)
        inside = pos < uniq.size
        pos, codes_in = pos[inside], codes[inside]
        pos = pos[uniq[pos] == codes_in]
        pos = pos[df[pos] <= params.max_postings]
        if pos.size == 0:
            continue
        cand = np.concatenate([post_event[first[p] : first[p] + df[p]] for p in pos])
        gain = np.repeat(idf[pos], df[pos])
        rt = r.item_time.timestamp()
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
        cand, gain = cand[ok], gain[ok]
        if cand.size == 0:
            continue
        evs, inv = np.unique(cand, return_inverse=True)
        matched = np.bincount(inv, weights=gain)
        nterms = np.bincount(inv)
        score = matched / np.maximum(ev_weight[evs], 1e-9)
        need = params.min_score * (1.0 if rmask else params.untopical_factor)
        good = (score >= need) & (nterms >= params.min_terms)
        if not good.any():
            continue
        best = float(score[good].max())
        kinds = r.response_kinds or DEFAULT_KINDS
        rcodes = set(int(c) for c in codes)
        for k in np.flatnonzero(good & (score >= best * params.keep_ratio)):
            ev = events[int(evs[k])]
            terms = tuple(sorted(_decode(int(c)) for c in ev_terms[int(evs[k])] if int(c) in rcodes))
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
