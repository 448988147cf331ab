"""Official response vs reported response vs routine (docs/design.md "Events, responses, deadlines").

An item is an official response when it is itself an official body's release answering a concern or
incident: a reply to a citizen message; a refutation of the state-run 中国互联网联合辟谣平台; or an
item from an official source (flagged, a .gov.cn/.政务 host, or an official publisher named in the
text) that carries response wording, an incident-handling report, or a daily case notice. Routine
official news (FAQs, reminders, publicity, training, relayed instructions) is not. Media relaying
an official body (…回应称, 据…通报) is a reported response.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import ahocorasick_rs as acr

from classifiers._rx import Alternation
from classifiers._text import Parsed
from classifiers.lexicon import DATA_DIR, load_toml
from yuqing.vocab import Milestone, ReleaseRelay

FIRST_INFORMATION = Milestone.FIRST_INFORMATION.value
PRESS_CONFERENCE = Milestone.PRESS_CONFERENCE.value
FIRST_RESPONSE = Milestone.FIRST_RESPONSE.value
# Forwarding-only replies ("已转…调查处理") are short; in a long citizen message the same words
# describe what happened before.
SHORT_REPLY_CHARS = 150
TRIGGER_CHARS = 400  # triggers are looked for in the title and this much of the body
LEAD_CHARS = 120  # case-notice wording is looked for in the title and this much of the body


def _rx(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


@dataclass(frozen=True, slots=True)
class Response:
    official: bool
    reported: bool
    kinds: tuple[str, ...]
    evidence: tuple[str, ...]


NOT_A_RESPONSE = Response(False, False, (), ())


# The rule lists searched as one regular expression each, under the same name in ``official.toml``.
_PATTERN_LISTS = ("official_strong", "media", "official_weak", "never_official", "asking_title", "confirmed_text",
                  "press_text", "citizen_text", "citizen_title", "official_speaks", "firm", "public_body",
                  "unanswered_title")  # fmt: skip


@dataclass(frozen=True, slots=True)
class OfficialRules:
    official_strong: re.Pattern[str]
    media: re.Pattern[str]
    official_weak: re.Pattern[str]
    hosts: re.Pattern[str]
    first_information: Alternation
    press_conference: Alternation
    case_notice: Alternation
    incident: Alternation
    handling: Alternation
    routine: Alternation
    explicit: Alternation
    reply_title: Alternation
    reply_headline: Alternation
    reply_text: Alternation
    piyao_official: frozenset[str]
    never_official: re.Pattern[str]
    reported_title: Alternation
    reported_text: Alternation
    asking_title: re.Pattern[str]
    confirmed_text: re.Pattern[str]
    press_text: re.Pattern[str]
    citizen_text: re.Pattern[str]
    citizen_title: re.Pattern[str]
    official_speaks: re.Pattern[str]
    firm: re.Pattern[str]
    public_body: re.Pattern[str]
    unanswered_title: re.Pattern[str]
    triggers: acr.AhoCorasick
    trigger_words: tuple[str, ...]
    gates: acr.AhoCorasick  # the gate literals of every Alternation rule, found in one pass
    gate_literals: tuple[str, ...]

    @classmethod
    def load(cls, path: Path = DATA_DIR / "official.toml") -> OfficialRules:
        raw = load_toml(path)
        wording = raw["wording"]
        texts = {
            FIRST_INFORMATION: Alternation(wording[FIRST_INFORMATION]),
            PRESS_CONFERENCE: Alternation(wording[PRESS_CONFERENCE]),
            "case_notice": Alternation(raw["case_notice"]),
            "incident": Alternation(raw["incident"]),
            "handling": Alternation(raw["handling"]),
            "routine": Alternation(raw["routine"]),
            "explicit": Alternation(raw["explicit_wording"]),
            "reply_title": Alternation(raw["reply_title"]),
            "reply_headline": Alternation(raw["reply_headline"]),
            "reply_text": Alternation(raw["reply_text"]),
            "reported_title": Alternation(raw["reported_title"]),
            "reported_text": Alternation(raw["reported_text"]),
        }
        literals = tuple(sorted(frozenset[str]().union(*(a.literals for a in texts.values()))))
        lists: dict[str, Any] = {name: _rx(raw[name]) for name in _PATTERN_LISTS} | texts
        return cls(
            hosts=_rx(raw["official_hosts"]),
            piyao_official=frozenset(raw["piyao_official_labels"]),
            triggers=acr.AhoCorasick(list(raw["triggers"])),
            trigger_words=tuple(raw["triggers"]),
            gates=acr.AhoCorasick(list(literals) or ["\x00"]),
            gate_literals=literals,
            **lists,
        )

    def present(self, text: str) -> set[str]:
        """The gate literals that occur in ``text``."""
        lits = self.gate_literals
        return {lits[i] for i, _s, _e in self.gates.find_matches_as_indexes(text, overlapping=True)}

    def publisher_kind(self, name: str | None) -> str | None:
        """'official', 'media' or None (unknown) for a publisher / source name."""
        if not name:
            return None
        if self.never_official.search(name):
            return "media"
        if self.official_strong.search(name):
            return "official"
        if self.media.search(name):
            return "media"
        if self.official_weak.search(name):
            return "official"
        return None


def revised(
    rules: OfficialRules,
    item: Parsed,
    response: Response,
    official_item: bool,
    foreign_marker: Callable[[str], str | None],
) -> Response:
    """``response`` (``detect``'s, which the learned model's ``response:…`` signals read, as it learned them) read
    again by the rules kept out of those signals. An item the relay wording reads as a relay is none when it is a
    citizen's message or says no answer was given (``citizen_voice``), names 官方 with no one speaking (``word_only``),
    relays a company alone (``firm_only``), or is a post read so only by its topic tag (``borrowed_tag``). An item
    that is no response, or no longer one, is a reported response when it relays a health authority's confirmation of
    the matter (``confirmation``; not a foreign authority's, ``foreign_marker``), or its press conference: the report
    answers the event it opens (``vocab.ReleaseRelay``), and another outlet's relay of the same release does too."""
    if response.reported and not response.official:
        why = (
            citizen_voice(rules, item.title, item.body)
            or word_only(rules, item.title + item.body[:12], response.evidence)
            or firm_only(rules, item.title, item.body, response.evidence)
        )
        if why is None and item.lead_title and (tag := borrowed_tag(rules, item.title + item.body)) is not None:
            why = f"relay wording only in a topic tag: {tag}"
        if why is None:
            return response
        response = Response(False, False, (), (*response.evidence, f"no response: {why}"))
    if response.official or response.reported or official_item or item.factcheck:
        return response
    # a post's first words stand in for its headline: the relay may be in them («据国家卫健委官微消息，…»)
    text = item.title + item.body if item.lead_title else item.body
    confirmed = confirmation(rules, text)
    if confirmed is not None and foreign_marker(confirmed[1]) is None:
        evidence = (f"text: {confirmed[0]}", ReleaseRelay.CONFIRMATION.value)
        return Response(False, True, (FIRST_INFORMATION, FIRST_RESPONSE), evidence)
    press = _relayed(rules.press_text, text)
    if press is not None and foreign_marker(press[1]) is None:
        evidence = (f"text: {press[0]}", ReleaseRelay.PRESS_CONFERENCE.value)
        return Response(False, True, (PRESS_CONFERENCE, FIRST_INFORMATION, FIRST_RESPONSE), evidence)
    return response


def confirmation(rules: OfficialRules, body: str) -> tuple[str, str] | None:
    """The wording when ``body`` relays a health authority's confirmation of the matter (``official.toml``,
    ``confirmed_text``), with the clause that names the authority (whose it is: «援引阿塞拜疆政府疫情防控指挥部…消息»
    relays a foreign one): a reported response, read apart from ``detect`` (the learned model's signals read
    ``detect``)."""
    return _relayed(rules.confirmed_text, body)


def _relayed(rx: re.Pattern[str], body: str) -> tuple[str, str] | None:
    """(wording, the clause that holds it) of ``rx`` in the opening of ``body``."""
    m = rx.search(body[:TRIGGER_CHARS])
    if m is None:
        return None
    start = max(body.rfind(stop, 0, m.start()) for stop in "。！？；\n")
    return m.group(0), body[start + 1 : m.end()]


def citizen_voice(rules: OfficialRules, title: str, body: str) -> str | None:
    """Why an item the relay wording reads as a reported response is none (``official.toml``, ``citizen_text`` and
    ``citizen_title``, ``unanswered_title``): a citizen's message, or a headline saying a body gave no answer. Read
    apart from ``detect``, like ``confirmation``."""
    if (m := rules.citizen_text.search(body[:40]) or rules.citizen_title.search(title)) is not None:
        return f"a citizen's message: {m.group(0).strip()}"
    if (m := rules.unanswered_title.search(title)) is not None:
        return f"the headline says no answer was given: {m.group(0)}"
    return None


def word_only(rules: OfficialRules, title: str, evidence: tuple[str, ...]) -> str | None:
    """Why a headline read as a relay by the word «官方» alone is none: no official speaks in it («官方旗舰店», «相信官方
    消息»; ``official_speaks``). ``title``: the headline and the words that follow it (a post's first words may stop
    inside «…在其官方网|站发布»); ``evidence``: the relay rule's (``detect``)."""
    relay = [e for e in evidence if e.startswith(("title: ", "text: "))]
    if relay != ["title: 官方"] or rules.official_speaks.search(title) is not None:
        return None
    return "«官方» names no one speaking"


# A post's topic tags («#上海药物所回应#», «#警方通报朝阳医院伤医事件#») outside a bracketed headline («【#外交部回应…#：…】»)
# and not written into a sentence: the topic a post is filed under, which personal posts borrow for reach.
_HASHTAG = re.compile(r"#[^#\n]{1,40}#")
_BRACKETED = re.compile(r"【[^【】]*】")


def firm_only(rules: OfficialRules, title: str, body: str, evidence: tuple[str, ...]) -> str | None:
    """Why a report read as a relay is none when every relay it holds is a company's (``firm``) and its headline names
    no public body (``public_body``): a company's word answers for no body. ``evidence``: the relay rule's
    (``detect``)."""
    relay = [e for e in evidence if e.startswith(("title: ", "text: "))]
    if not relay or rules.public_body.search(title) is not None:
        return None
    for entry in relay:
        where, wording = entry.split(": ", 1)
        text = title if where == "title" else body
        at = text.find(wording)
        if at < 0 or rules.firm.search(text[max(0, at - 16) : at + len(wording)]) is None:
            return None
    return "a company's word, not an official's"


def borrowed_tag(rules: OfficialRules, post: str) -> str | None:
    """The topic tag when a post (no headline of its own: ``post`` is its whole text) reads as a relay only by the
    tags it is filed under («#上海药物所回应#趣事像天上的星星…»): its other words, its bracketed headline («【#外交部回应
    …#：…】») and any tag written into a sentence included, hold none of the relay wording (``reported_title``,
    ``reported_text``). Read apart from ``detect``, like ``confirmation``."""
    headlines = [b.span() for b in _BRACKETED.finditer(post)]
    tags = [
        m
        for m in _HASHTAG.finditer(post)
        if not any(a < m.start() < b for a, b in headlines) and not _inline(post, m.start(), m.end())
    ]
    if not tags:
        return None
    parts, at = [], 0
    for m in tags:
        parts.append(post[at : m.start()])
        at = m.end()
    own = "。".join([*parts, post[at:]])
    present = rules.present(own)
    if rules.reported_title.search(own, present) or rules.reported_text.search(own[:TRIGGER_CHARS], present):
        return None
    return tags[0].group(0)


def _inline(text: str, start: int, end: int) -> bool:
    """A tag written into a sentence, between two of its characters («中国#驻日使馆发言人就…答记者问#时表示»): the
    post's own words."""
    return start > 0 and end < len(text) and _word_char(text[start - 1]) and _word_char(text[end])


def _word_char(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or ch.isalnum()


def _host_official(rules: OfficialRules, url: str | None) -> bool:
    if not url:
        return False
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    return bool(host and rules.hosts.search(host.rstrip(".")))


def detect(
    rules: OfficialRules,
    item: Parsed,
    *,
    source_name: str | None,
    url: str | None,
    source_official: bool | None,
    triggered: bool | None = None,
    present: set[str] | None = None,
) -> Response:
    """``triggered`` (a trigger in title or the first 400 body characters) and ``present`` (the gate
    literals in ``title + body``) may come from a caller that has scanned the item already."""
    title, body = item.title, item.body
    if item.piyao_label is None and not source_official:
        if triggered is None:
            triggered = bool(rules.triggers.find_matches_as_indexes(title + " " + body[:TRIGGER_CHARS]))
        if not triggered:
            return NOT_A_RESPONSE
    # Literals only gate the rule alternatives: the text searched below is always title, body or
    # parts of them, and gate literals hold no whitespace, so they occur in ``title + body``.
    seen = rules.present(title + body) if present is None else present
    lead = title + " " + body[:LEAD_CHARS]
    # 1. Replies to citizen messages (政府留言板 答复意见).
    m = rules.reply_title.search(title, seen) if title else None
    # A reply's wording in the body («您的来信已收悉») makes a reply of an item without a headline of its own, or whose
    # headline reads as one; under any other headline it is a citizen quoting the answer they dispute.
    if m is None and (item.lead_title or not title or rules.reply_headline.search(title, seen)):
        full = title + body if item.lead_title else body
        m2 = rules.reply_text.search(full, seen)
        if m2 and (not m2.group(0).startswith("已转") or len(full) <= SHORT_REPLY_CHARS):
            m = m2
    if m is not None and not item.factcheck:
        return Response(
            True,
            False,
            (FIRST_INFORMATION, FIRST_RESPONSE),
            (f"citizen-message reply: {m.group(0).strip()}",),
        )
    # 2. piyao.org.cn: refutations by the state-run platform.
    if item.piyao_label is not None:
        if item.piyao_label in rules.piyao_official:
            ev = (f"中国互联网联合辟谣平台 标注：{item.piyao_label}",)
            return Response(True, False, (FIRST_INFORMATION, FIRST_RESPONSE), ev)
        return NOT_A_RESPONSE
    # 3. Who published it.
    evidence: list[str] = []
    publisher_kind = rules.publisher_kind(item.publisher)
    source_kind = rules.publisher_kind(source_name)
    official_source = False
    if item.factcheck:
        official_source = False
    elif source_official:
        official_source = True
        evidence.append(f"source marked official: {source_name or '?'}")
    elif _host_official(rules, url):
        official_source = True
        evidence.append(f"official host: {urlsplit(url or '').hostname}")
    elif publisher_kind == "official":
        official_source = True
        evidence.append(f"official publisher: {item.publisher}")
    elif source_official is None and publisher_kind is None and source_kind == "official":
        official_source = True
        evidence.append(f"official source name: {source_name}")
    # 4. What it says (only an official source's wording makes a response).
    if official_source:
        kinds: list[str] = []
        words: list[str] = []
        if (w := rules.press_conference.search(title, seen)) is not None:
            kinds.append(PRESS_CONFERENCE)
            words.append(w.group(0))
        if (w := rules.first_information.search(title, seen)) is not None:
            kinds.append(FIRST_INFORMATION)
            words.append(w.group(0))
        if (w := rules.case_notice.search(lead, seen)) is not None:
            kinds.append(FIRST_INFORMATION)
            words.append(f"case notice: {w.group(0)}")
        if (inc := rules.incident.search(title, seen)) is not None and (
            h := rules.handling.search(title, seen)
        ) is not None:
            kinds.append(FIRST_INFORMATION)
            words.append(f"incident handling: {inc.group(0)}…{h.group(0)}")
        routine = rules.routine.search(title, seen)
        words_ok = (
            False if routine is not None and rules.explicit.search(title, seen) is None else bool(words)
        )
        if words_ok:
            kinds_t = tuple(dict.fromkeys([*kinds, FIRST_RESPONSE]))
            return Response(True, False, kinds_t, (*evidence, *("wording: " + w for w in words)))
        return NOT_A_RESPONSE
    # 5. Media relaying an official body: a reported response.
    rt = rules.reported_title.search(title, seen)
    rb = rules.reported_text.search(body[:400], seen)
    if not (rt or rb) or rules.asking_title.search(title):
        return NOT_A_RESPONSE  # no relay wording, or a citizen asking or complaining, quoting a release or a fine
    rep: list[str] = []
    if rt:
        rep.append(f"title: {rt.group(0)}")
    if rb:
        rep.append(f"text: {rb.group(0)}")
    if cn := rules.case_notice.search(lead, seen):
        rep.append(f"case notice: {cn.group(0)}")
    if item.publisher:
        rep.append(f"publisher: {item.publisher}")
    rkinds: list[str] = []
    if rules.press_conference.search(title, seen):
        rkinds.append(PRESS_CONFERENCE)
    rkinds += [FIRST_INFORMATION, FIRST_RESPONSE]
    return Response(False, True, tuple(dict.fromkeys(rkinds)), tuple(rep))
