"""The incident and complaint rule of the ``issue`` label (``classifiers/data/issue.toml``).

A headline that reports a specific, current domestic incident (an explosion, a mine flood, dead fish),
complaint or dispute (讨薪, 投诉, 维权) or a live local outbreak raises an issue (labelling guide,
"issue", rules 1–2), whoever reported it first, unless the item is official or a relay of an official
release (the caller checks that), or the headline is advice, a finding, a verdict, a retrospective or a
statistic. "Specific" means the headline gives a count of people, or the item names a place at city level
or below, or "一家/一名…" with any place. The learned model decides most items; this rule adds what the
training pool has too few examples of to learn: media reports of accidents and disputes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import ahocorasick_rs as acr

from classifiers._rx import Alternation
from classifiers._text import HASHTAG, LINK, MENTION
from classifiers.lexicon import DATA_DIR, load_toml


def _rx(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns) if patterns else "(?!)")


def _first(rx: re.Pattern[str], text: str) -> str | None:
    m = rx.search(text)
    return None if m is None else m.group(0)


REQUEST_CHARS = 16  # how far before an action verb a request word makes it a request (请求依法查处)

# What a post carries that is not its own words: hashtags, @mentions and reposters' names, links and videos.
_NOT_OWN = re.compile("|".join(p.pattern for p in (HASHTAG, MENTION, LINK)))
_NOT_LETTER = re.compile(r"[\W_]+")
# A post with this many characters of its own or fewer says nothing that can be known (the guide's "content cannot
# be known"): «O网页链接 请大家多多关注 #…##…# @央视新闻». All 138 labelled posts so are no issue.
BARE_CHARS = 10


def own_words(text: str) -> str:
    """The letters of ``text`` that are its own: no hashtags, @mentions, links, punctuation or spaces."""
    return _NOT_LETTER.sub("", _NOT_OWN.sub("", text))


def _evidence(kind: str, wording: str) -> str:
    return f"{'outbreak' if kind == 'new_cases' else kind}: {wording}"


# The lists every headline is read against, searched with literal gates (``classifiers._rx.Alternation``): one
# Aho-Corasick pass over the headline finds the gate literals it holds, and each list tries only the alternatives
# those allow. Searched as one alternation each, these lists cost more than the rest of the rule.
GATED = ("incident", "complaint", "allegation", "outbreak", "new_cases", "finding", "count", "not_a_report", "round_up")


@dataclass(frozen=True, slots=True)
class _Gates:
    lists: dict[str, Alternation]
    scan: acr.AhoCorasick
    literals: tuple[str, ...]
    # The last headline read and its literals: the rule reads one headline against several lists. One pair, replaced
    # whole, so a reader in another thread sees a headline with its own literals.
    last: list[tuple[str, frozenset[str]]] = field(default_factory=lambda: [("", frozenset())])

    @classmethod
    def of(cls, patterns: dict[str, list[str]]) -> _Gates:
        lists = {name: Alternation(patterns[name]) for name in GATED}
        literals = tuple(sorted(set().union(*(a.literals for a in lists.values())))) or ("\x00",)
        return cls(lists, acr.AhoCorasick(list(literals)), literals)

    def search(self, name: str, title: str) -> re.Match[str] | None:
        seen, present = self.last[0]
        if seen is not title:
            found = self.scan.find_matches_as_indexes(title, overlapping=True)
            present = frozenset(self.literals[i] for i, _s, _e in found)
            self.last[0] = (title, present)
        return self.lists[name].search(title, present)


@dataclass(frozen=True, slots=True)
class IssueRules:
    """The lists of ``issue.toml``: those in ``GATED`` in ``gates``, the others (searched only where a cue was found,
    or short) as one pattern each."""

    instance: re.Pattern[str]
    person: re.Pattern[str]
    outside: re.Pattern[str]
    action: re.Pattern[str]
    request: re.Pattern[str]
    good_news: re.Pattern[str]
    tracing: re.Pattern[str]
    first_case: re.Pattern[str]
    first_case_not: re.Pattern[str]
    gates: _Gates

    @classmethod
    def load(cls, path: Path = DATA_DIR / "issue.toml") -> IssueRules:
        raw = load_toml(path)

        def patterns(name: str) -> list[str]:
            return [str(p) for p in raw.get(name, [])]

        plain = {name: _rx(patterns(name)) for name in cls.__dataclass_fields__ if name != "gates"}
        return cls(**plain, gates=_Gates.of({name: patterns(name) for name in GATED}))

    def _cue(self, title: str) -> tuple[str, str] | None:
        """(list, wording) of the first cue list whose pattern the headline holds."""
        for kind in ("incident", "complaint", "allegation", "outbreak", "new_cases"):
            m = self.gates.search(kind, title)
            if m is not None:
                return kind, m.group(0)
        return None

    def _reported(self, title: str) -> tuple[str, str] | None:
        """(list, wording) of the cue when ``title`` reads as a live report of an incident, complaint, allegation or
        outbreak: not advice, a finding, a verdict, a retrospective or a statistic (a round-up of figures, for an
        outbreak), nor an allegation reported as an authority's action or finding."""
        found = self._cue(title)
        if found is None:
            return None
        kind = found[0]
        if kind == "allegation" and (self.action_taken(title) or self.gates.search("finding", title)):
            return None  # the authority's action or finding, relayed: answered by it
        # A new local case or cluster is an issue even when relayed from a notice («最新通报！广州新增4例本土
        # 确诊»); a round-up of figures is not. Other reports must not be advice, a finding, a verdict …
        blocker = "round_up" if kind in ("outbreak", "new_cases") else "not_a_report"
        return None if self.gates.search(blocker, title) else found

    def cue(self, title: str) -> str | None:
        """The wording that makes the headline an incident, complaint or outbreak report (None: none)."""
        found = self._cue(title)
        return None if found is None else _evidence(*found)

    def action_taken(self, title: str) -> str | None:
        """The verb when the headline reports an authority's action on the matter (查获, 取缔 …) rather than
        asking for it (请求查处): such a relay is answered by that action (``data/issue.toml``, ``action``)."""
        if "？" in title or "?" in title:
            return None
        for m in self.action.finditer(title):
            if self.request.search(title, max(0, m.start() - REQUEST_CHARS), m.start()) is None:
                return m.group(0)
        return None

    def good_news_in(self, title: str) -> str | None:
        """The wording when the headline is good news (治愈出院, 好消息 …): a positive story, no issue by the
        model alone (``data/issue.toml``, ``good_news``)."""
        return _first(self.good_news, title)

    def tracing_in(self, title: str) -> str | None:
        """The wording when the headline is an authority's appeal to find a case's fellow travellers (急寻同乘人员):
        a relay of its release, no issue by the model alone (``data/issue.toml``, ``tracing``)."""
        return _first(self.tracing, title)

    def first_case_in(self, title: str, headline_places: Sequence[tuple[int, int]], foreign: bool) -> str | None:
        """Evidence when ``title`` reports a place's first case (``data/issue.toml``, ``first_case``): a new local
        case by the guide, for a province as for a county, so the headline must name a place here (``headline_places``,
        as for ``report``) and no foreign one (``foreign``); not its first death or cure, a round-up or a question."""
        if not headline_places or foreign or "#" in title or self.outside.search(title):
            return None
        if (m := self.first_case.search(title)) is None or self.first_case_not.search(title) is not None:
            return None
        return f"first case: {m.group(0)}; place named"

    def model_blocks(
        self, title: str, own_headline: bool, foreign: str | None = None, post: str | None = None
    ) -> tuple[str, ...]:
        """Why the model alone makes no issue of ``title``, as evidence (empty: nothing keeps it from it): the headline
        is foreign news (``foreign``: the foreign place it names, with no domestic one; the guide's issues are
        matters in mainland China), or reports an authority's action on the matter, or, in a headline of the item's
        own (``own_headline``: not a post's first words standing in for one, where a hashtag may say it), good news
        or an appeal to find a case's fellow travellers; or the item is a post without a headline (``post``: its
        whole text) with ``BARE_CHARS`` or fewer words of its own."""
        bare = None
        if post is not None and len(words := own_words(post)) <= BARE_CHARS:
            bare = words or "none"
        found = [
            ("a foreign headline", foreign),
            ("an authority's action in the headline", self.action_taken(title)),
            ("a post with no words of its own to know it by", bare),
        ]
        if own_headline:
            found += [
                ("good news in the headline", self.good_news_in(title)),
                ("an appeal to find a case's fellow travellers", self.tracing_in(title)),
            ]
        return tuple(f"{why}: {wording}" for why, wording in found if wording is not None)

    def report(
        self, title: str, place_level: int, headline_places: Sequence[tuple[int, int]], foreign: bool
    ) -> str | None:
        """Evidence when ``title`` is a live report of a specific domestic incident or complaint, else None.

        ``place_level``: digits of the item's region code once trimmed (2 province, 4 city, 6 county; 0
        none), a municipality (北京) counted as a city; ``headline_places``: (start, level) of each place the
        headline names, in order, level counted the same way but a municipality as a province; ``foreign``:
        the headline names a foreign place and no domestic one.
        """
        if "#" in title or foreign or self.outside.search(title):
            return None  # a hashtag is a Weibo topic tag, not a report
        found = self._reported(title)
        if found is None:
            return None
        if found[0] == "new_cases":
            # The count is of the place named last before it: «广州新增4例» a city's, «河南新增4例…均有武汉居住史»
            # a province's. A province's or a municipality's count is a round-up of figures.
            at = title.find(found[1])
            counted = [level for start, level in headline_places if start < at]
            if not counted or counted[-1] < 4:
                return None
        cue = _evidence(*found)
        if place_level >= 4:
            return f"{cue}; place named"
        m = self.gates.search("count", title)
        if m is not None:
            return f"{cue}; count: {m.group(0)}"
        if place_level >= 2 and (m := self.instance.search(title)) is not None:
            return f"{cue}; instance: {m.group(0)}"
        if found[0] == "incident" and (m := self.person.search(title)) is not None:
            return f"{cue}; person: {m.group(0)}"
        return None
