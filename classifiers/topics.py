"""Topic tagger: lexicon terms found by one Aho-Corasick pass, validated, weighed title over body.

Speed: the automaton (all terms of all topics, blocker and negative phrases) runs on every item;
items with no hit stop there. ``Classifier`` folds it into its one pass over each item and hands the
matches over (``Prescanned``). Only hits on short, ambiguous terms (``strict`` in a topic file) that
the leftmost-longest selection would take are checked against rjieba token boundaries (HMM off, user
dictionary built from the lexicons), and the segmenter runs at most once per clause, lazily.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, NamedTuple

import ahocorasick_rs as acr

from classifiers._segmenter import jieba_class
from classifiers._text import Parsed
from classifiers.lexicon import ContextRule, SharedRules, TopicSpec
from yuqing.models import TopicTag

WORD_WINDOW = 8  # characters either side of a place name that ``starts_word`` segments
# Runs that jieba segments independently (it splits its input on punctuation and whitespace).
_CLAUSE = re.compile(r"[^\s，。！？；：、,.!?;:“”‘’\"'（）()《》<>【】\[\]…—|丨·]+")
_second = itemgetter(1)
REPEAT_FACTOR = 0.5  # each further occurrence of a term in the same field adds half its weight
# A headline alone that reads as a live report of a specific matter (an incident, a complaint, an allegation: the
# issue rule, ``IssueRules.report``) has that matter for its subject, so one word of a topic there names it: this
# share of the threshold suffices («垃圾中转站臭气熏天，宁乡居民：夏天不敢开窗», «…货车与面包车相撞，致5死3伤»).
# Elsewhere a single word of middling weight is too often a passing mention.
REPORTED_SHARE = 0.5


def _any_of(words: tuple[str, ...]) -> re.Pattern[str]:
    """A pattern found in a text exactly when one of ``words`` is (never, for no words)."""
    return re.compile("|".join(re.escape(w) for w in words) if words else "(?!)")


@dataclass(frozen=True, slots=True)
class _Entry:
    topic: int
    weight: float
    strict: bool
    contexts: tuple[ContextRule, ...]
    term: str
    offset: int = 0  # where ``term`` sits inside the matched pattern (for terms nested in another's)


class Tagged(NamedTuple):
    """An item's topics, and those its own headline makes its subject: the headline alone reaches the topic's
    threshold (a post's first words standing in for a headline never do), and the topic's terms name the matter, not
    an institution where other matters happen (``TopicSpec.headline_subject``). No model overrules these as a
    passing mention."""

    tags: tuple[TopicTag, ...]
    headline: frozenset[str] = frozenset()


_NOTHING = Tagged(())


@dataclass(slots=True)
class Prescanned:
    """An item's matches from a one-pass scan (title and body positions are their own).

    ``title_found``/``body_found``: overlapping matches ``(k, start, end)`` of the topic patterns
    (``k < n_topic_patterns``) in the automaton's order; ``negative_hits``: the ``k`` of every
    negative-phrase match, title first; ``*_negations``: spans of the negation prefixes;
    ``digest``: a digest pattern is in the title; ``party_work``: the wording of a headline about a body's own
    Party work (``TopicTagger.party_work``), None when it is not one.
    """

    title_found: list[tuple[int, int, int]]
    body_found: list[tuple[int, int, int]]
    negative_hits: list[int]
    title_negations: list[tuple[int, int]]
    body_negations: list[tuple[int, int]]
    digest: bool
    party_work: str | None


@dataclass(slots=True)
class _Acc:
    title: float = 0.0
    body: float = 0.0
    terms: dict[str, float] = field(default_factory=dict)
    publisher: float = 0.0


class _Frames:
    """Whether an item names a frame's words anywhere, title or body (the title alone for a ``headline`` frame);
    looked up only for a framed hit."""

    __slots__ = ("body", "seen", "title")

    def __init__(self, title: str, body: str) -> None:
        self.title = title
        self.body = body
        self.seen: dict[ContextRule, bool] = {}

    def named(self, frame: ContextRule) -> bool:
        named = self.seen.get(frame)
        if named is None:
            body = "" if frame.headline else self.body
            named = self.seen[frame] = any(n in self.title or n in body for n in frame.near)
        return named


class TopicTagger:
    def __init__(self, specs: tuple[TopicSpec, ...], rules: SharedRules) -> None:
        self.specs = specs
        self.rules = rules
        entries: dict[str, list[_Entry]] = {}
        claimed: dict[str, set[int]] = {}  # pattern -> topics that have it as a term or blocker
        for i, spec in enumerate(specs):
            for term, weight in spec.terms.items():
                ctx = tuple(c for c in spec.contexts if term in c.terms)
                entries.setdefault(term, []).append(_Entry(i, weight, term in spec.strict, ctx, term))
                claimed.setdefault(term, set()).add(i)
            for blocker in spec.blockers:
                entries.setdefault(blocker, [])
                claimed.setdefault(blocker, set()).add(i)
        # One leftmost-longest automaton serves all topics, so a long pattern of one topic would hide
        # the shorter terms of another inside it (eh's blocker 火神山医院 hides epidemic's 火神山).
        # Each pattern therefore also carries, for every topic that does not claim it, the terms of
        # that topic nested in it, as that topic's own automaton would have found them.
        per_topic = [
            (acr.AhoCorasick(list(spec.terms), matchkind=acr.MatchKind.LeftmostLongest), list(spec.terms))
            for spec in specs
            if spec.terms
        ]
        topic_ids = [i for i, spec in enumerate(specs) if spec.terms]
        for pattern in list(entries):
            for i, (ac, terms) in zip(topic_ids, per_topic, strict=True):
                if i in claimed[pattern]:
                    continue
                spec = specs[i]
                for idx, start, _end in ac.find_matches_as_indexes(pattern):
                    term = terms[idx]
                    ctx = tuple(c for c in spec.contexts if term in c.terms)
                    entries[pattern].append(
                        _Entry(i, spec.terms[term], term in spec.strict, ctx, term, start)
                    )
        self._patterns = list(entries)
        self._entries = [tuple(entries[p]) for p in self._patterns]
        self._max_repeats = tuple(spec.max_repeats for spec in specs)
        self._title_weight = tuple(spec.title_weight for spec in specs)
        self._body_weight = tuple(spec.body_weight for spec in specs)
        # A pattern is validated on token boundaries when it is a strict term of every topic that
        # has it as a term (a pattern that is only a blocker is never strict).
        self._strict_pattern = [
            bool(es)
            and all(e.strict for e in es if e.offset == 0 and e.term == p)
            and any(e.offset == 0 and e.term == p for e in es)
            for p, es in zip(self._patterns, self._entries, strict=True)
        ]
        # The same entries as plain tuples for the per-match loop:
        # (topic, weight, check, contexts, term, offset, len(term), key). ``check``: a strict term
        # whose span ``_select`` has not validated already (it validates a strict pattern's own
        # span); ``key`` numbers the (topic, term) pairs, for the per-field repeat counts.
        keys: dict[tuple[int, str], int] = {}
        self._hits: list[tuple[tuple[int, float, bool, tuple[ContextRule, ...], str, int, int, int], ...]] = [
            tuple(
                (
                    e.topic,
                    e.weight,
                    e.strict and not (validated and e.offset == 0 and e.term == p),
                    e.contexts,
                    e.term,
                    e.offset,
                    len(e.term),
                    keys.setdefault((e.topic, e.term), len(keys)),
                )
                for e in es
            )
            for p, es, validated in zip(self._patterns, self._entries, self._strict_pattern, strict=True)
        ]
        # Negative phrases share the automaton: a phrase that is not also a topic pattern gets an index
        # after the topic patterns, and ``_find`` sets negative-phrase matches aside for ``tag``.
        neg: dict[str, list[tuple[int, float]]] = {}
        for i, spec in enumerate(specs):
            for phrase, weight in spec.negatives.items():
                neg.setdefault(phrase, []).append((i, weight))
        self._n_topic_patterns = len(self._patterns)
        scan_patterns = self._patterns + [p for p in neg if p not in entries]
        self._neg_entries = [tuple(neg.get(p, ())) for p in scan_patterns]
        self._has_negatives = bool(neg)
        self._scan_patterns = scan_patterns
        # Standard semantics with overlapping matches: candidates that fail validation (a strict
        # term off token boundaries) must not hide a valid match they overlap ("纳入学校": 入学 is
        # not a word there, 学校 is).
        self._ac = acr.AhoCorasick(scan_patterns)
        # "any marker is a substring of the title", as one search each.
        self._foreign = _any_of(rules.foreign_markers)
        self._domestic = re.compile(f"{_any_of(rules.domestic_markers).pattern}|{rules.masked_place}")
        self._lookalike = _any_of(rules.foreign_lookalikes)
        # «韩国全国…», «日本国内…»: right after a foreign country's name these domestic markers are that country's.
        self._foreign_own = re.compile(f"(?:{self._foreign.pattern})(?:全国|国内)")
        self._digest_ac = acr.AhoCorasick(list(rules.digest_patterns) or ["\x00"])
        self._party = re.compile(rules.party_affairs)
        self._party_unless = re.compile(rules.party_affairs_unless)
        self._bcache: tuple[str, list[int], list[int], dict[int, set[int]]] | None = None
        self._segmenter: Any = None  # built on the first strict term to check (``_jieba``)

    @property
    def terms(self) -> list[str]:
        return self._patterns

    @property
    def _jieba(self) -> Any:
        """The segmenter, with the lexicons' terms as words, built when a strict term is first checked: its
        dictionary takes about 0.12 s to load, which a process that classifies nothing (``yuqing tag`` on an
        empty stream, ``--help``) or no item with a strict term does not pay."""
        if self._segmenter is None:
            seg = jieba_class()()
            for term in self._patterns:
                if len(term) >= 2 and not term.isascii() and not seg.has_word(term):
                    seg.add_word(term, None, None)
            self._segmenter = seg
        return self._segmenter

    def _boundaries(self, text: str, start: int, end: int) -> bool:
        """Whether text[start:end] begins and ends on rjieba token boundaries.

        jieba segments each run between punctuation/whitespace on its own, so only the clause that
        holds the match is segmented (once per clause and text), which gives the same boundaries as
        segmenting the whole text. The clauses of a text are found once (linear in its length), so the
        cost per match is a binary search, however long an unpunctuated run is.
        """
        cache = self._bcache
        if cache is None or cache[0] is not text:
            spans = [m.span() for m in _CLAUSE.finditer(text)]
            cache = self._bcache = (text, [a for a, _b in spans], [b for _a, b in spans], {})
        _text, c_starts, c_ends, done = cache
        i = bisect_right(c_starts, start) - 1
        if i < 0 or c_ends[i] <= start:
            return False  # the match starts on punctuation or whitespace
        c_start, c_end = c_starts[i], c_ends[i]
        if c_end < end:
            return False
        bounds = done.get(c_start)
        if bounds is None:
            # Tokens cover the clause one after the other: the boundaries are their starts and the
            # clause end (offsets within the clause).
            bounds = set(map(_second, self._jieba.tokenize(text[c_start:c_end], "default", False)))
            bounds.add(c_end - c_start)
            done[c_start] = bounds
        if end - c_start not in bounds:
            return False
        # A head term may end a longer word (发生爆炸); any other must also start one.
        return start - c_start in bounds or text[start:end] in self.rules.head_terms

    def starts_word(self, text: str, start: int) -> bool:
        """Whether rjieba starts a token at ``text[start]``, segmenting the ``WORD_WINDOW`` characters either side of it
        (a word is shorter, and a few characters of context segment it as the whole clause would)."""
        w0 = max(0, start - WORD_WINDOW)
        window = text[w0 : start + WORD_WINDOW]
        return any(s == start - w0 for _w, s, _e in self._jieba.tokenize(window, "default", False))

    @property
    def scan_patterns(self) -> list[str]:
        """The patterns of the overlapping automaton: topic patterns, then negative-only phrases."""
        return self._scan_patterns

    @property
    def n_topic_patterns(self) -> int:
        """``scan_patterns[:n]`` are topic patterns; the rest are negative phrases only."""
        return self._n_topic_patterns

    def is_negative(self, k: int) -> bool:
        """Whether scan pattern ``k`` is a negative phrase (of some topic)."""
        return bool(self._neg_entries[k])

    @property
    def negation_prefixes(self) -> tuple[str, ...]:
        return self.rules.negation_prefixes

    def _find(self, text: str, negative_hits: list[int]) -> list[tuple[int, int, int]]:
        """Overlapping matches of the topic patterns in ``text``; the matches of negative phrases
        are appended to ``negative_hits`` (pattern indexes, in the automaton's order)."""
        found = self._ac.find_matches_as_indexes(text, overlapping=True)
        if found and self._has_negatives:
            neg = self._neg_entries
            negative_hits.extend(m[0] for m in found if neg[m[0]])
            n_topic = self._n_topic_patterns
            if any(m[0] >= n_topic for m in found):
                found = [m for m in found if m[0] < n_topic]
        return found

    def _select(self, text: str, found: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
        """Leftmost-longest non-overlapping matches among the valid ones (``found``: all matches of
        the topic patterns in ``text``; sorted in place)."""
        if not found:
            return []
        if len(found) > 1:
            # Spans of distinct patterns differ, so (start, -end) orders them without ties. The
            # automaton reports them by end, longest first: reversed, they are by end descending,
            # and a stable sort by start alone then puts the longer of a shared start first.
            found.reverse()
            found.sort(key=_second)
        strict = self._strict_pattern
        boundaries = self._boundaries
        out: list[tuple[int, int, int]] = []
        last_end = -1
        for m in found:
            # Validity only matters for a match the greedy pass would take; an invalid one is
            # skipped as if it had not been found.
            if m[1] >= last_end:
                if strict[m[0]] and not boundaries(text, m[1], m[2]):
                    continue
                out.append(m)
                last_end = m[2]
        return out

    def _negations(self, text: str) -> list[tuple[int, int]]:
        """Spans of the negation prefixes in ``text`` (all occurrences, overlapping ones too)."""
        spans: list[tuple[int, int]] = []
        for p in self.rules.negation_prefixes:
            i = text.find(p)
            while i >= 0:
                spans.append((i, i + len(p)))
                i = text.find(p, i + 1)
        return spans

    def _scan(
        self,
        text: str,
        is_title: bool,
        frames: _Frames,
        accs: dict[int, _Acc],
        negative_hits: list[int],
        found: list[tuple[int, int, int]] | None = None,
        negations: list[tuple[int, int]] | None = None,
    ) -> None:
        """Add the hits in ``text`` to ``accs``. ``frames``: what the whole item names, for the framed
        terms. ``found`` (the topic-pattern matches; negative phrases already set aside) and ``negations``
        (the spans of the negation prefixes) may come from a caller that has scanned the text."""
        if not text:
            return
        if found is None:
            found = self._find(text, negative_hits)
        matches = self._select(text, found)
        if not matches:
            return
        counts: dict[int, int] = {}
        # A hit is negated when a prefix lies inside the ``negation_window`` characters before it.
        if negations is None:
            negations = self._negations(text)
        neg_window = self.rules.negation_window
        field_weight = self._title_weight if is_title else self._body_weight
        max_repeats = self._max_repeats
        hits = self._hits
        boundaries = self._boundaries
        count_of = counts.get
        acc_of = accs.get
        for idx, m_start, _m_end in matches:
            for topic, weight, strict, contexts, term, offset, length, key in hits[idx]:
                start = m_start + offset
                end = start + length
                if negations:
                    lo = start - neg_window if start > neg_window else 0
                    negated = False
                    for ns, ne in negations:
                        if lo <= ns and ne <= start:
                            negated = True
                            break
                    if negated:
                        continue
                if strict and not boundaries(text, start, end):
                    continue
                for ctx in contexts:
                    if ctx.absent:
                        # a headline frame lifts the headline's words alone
                        if (ctx.headline and not is_title) or not frames.named(ctx):
                            weight *= ctx.factor
                        continue
                    window = text[max(0, start - ctx.window) : end + ctx.window]
                    if any(n in window for n in ctx.near):
                        weight *= ctx.factor
                n = count_of(key, 0)
                if n >= max_repeats[topic]:
                    continue
                counts[key] = n + 1
                weight *= 1.0 if n == 0 else REPEAT_FACTOR
                acc = acc_of(topic)
                if acc is None:
                    acc = accs[topic] = _Acc()
                contribution = weight * field_weight[topic]
                if is_title:
                    acc.title += contribution
                else:
                    acc.body += contribution
                if contribution:
                    acc.terms[term] = acc.terms.get(term, 0.0) + contribution

    def foreign(self, title: str) -> bool:
        """The headline names a foreign place and no domestic marker (a foreign country's own «全国», «国内» is none;
        a place a message board masked, «A市», is one; «南北约1500米» names no foreign place)."""
        return self.foreign_marker(title) is not None

    def foreign_marker(self, title: str) -> str | None:
        """The foreign place a foreign headline names first (None: the headline is not foreign, ``foreign``)."""
        m = self._foreign.search(title)
        if m is None:
            return None
        if self._lookalike.search(title) is not None:
            title = self._lookalike.sub("", title)
            if (m := self._foreign.search(title)) is None:
                return None
        if self._domestic.search(self._foreign_own.sub("", title) if "国" in title else title) is not None:
            return None
        return m.group(0)

    @property
    def digest_patterns(self) -> tuple[str, ...]:
        return self.rules.digest_patterns

    def party_work(self, title: str) -> str | None:
        """The wording when the headline is about a body's own Party work (党史学习教育, 主题党日 …; ``rules.toml``
        ``party_affairs``), which gives the item no topic, from the lexicons or the model; None when it is not."""
        m = self._party.search(title)
        if m is None or self._party_unless.search(title) is not None:
            return None
        return m.group(0)

    def tag(
        self, item: Parsed, pre: Prescanned | None = None, foreign: bool | None = None, reported: bool = False
    ) -> Tagged:
        """Topics of ``item``; ``pre``: what a caller that has scanned the item already found; ``foreign``: whether
        its headline is foreign (``foreign``), if the caller knows; ``reported``: its headline reads as a live report
        of a matter (``REPORTED_SHARE``)."""
        if pre is None:
            digest = bool(item.title and self._digest_ac.find_matches_as_indexes(item.title))
            party = self.party_work(item.title)
        else:
            digest, party = pre.digest, pre.party_work
        if digest or party is not None:
            return _NOTHING
        accs: dict[int, _Acc] = {}
        frames = _Frames(item.title, item.body)
        if pre is None:
            negative_hits: list[int] = []
            self._scan(item.title, True, frames, accs, negative_hits)
            self._scan(item.body, False, frames, accs, negative_hits)
        else:
            negative_hits = pre.negative_hits
            if pre.title_found:
                self._scan(
                    item.title, True, frames, accs, negative_hits, pre.title_found, pre.title_negations
                )
            if pre.body_found:
                self._scan(item.body, False, frames, accs, negative_hits, pre.body_found, pre.body_negations)
        if item.publisher:
            for i, spec in enumerate(self.specs):
                for rule in spec.publisher_rules:
                    if (
                        rule.publisher.search(item.publisher)
                        and any(w in item.title for w in rule.title_any)
                        and not any(w in item.title for w in rule.unless)
                    ):
                        acc = accs.setdefault(i, _Acc())
                        acc.publisher += rule.score
                        acc.terms[f"publisher:{item.publisher}"] = rule.score
                        break
        if not accs:
            return _NOTHING
        negatives: dict[int, float] = {}
        title_negatives: dict[int, float] = {}
        seen: set[int] = set()
        for idx in negative_hits:
            if idx in seen:
                continue
            seen.add(idx)
            in_title = self._scan_patterns[idx] in item.title
            for topic, weight in self._neg_entries[idx]:
                negatives[topic] = negatives.get(topic, 0.0) + weight
                if in_title:
                    title_negatives[topic] = title_negatives.get(topic, 0.0) + weight
        if foreign is None:
            foreign = self.foreign(item.title)
        # A reported matter is one: only the topic its headline names most, and only when the headline names none
        # in full (a 讨薪 on a building site is no work-safety matter).
        headlines = {
            i: acc.title + acc.publisher + title_negatives.get(i, 0.0)
            for i, acc in accs.items()
            if not (foreign and not self.specs[i].foreign_ok)
        }
        reported_topic = None
        if reported and headlines and not item.lead_title:
            top = max(headlines, key=lambda i: headlines[i] / self.specs[i].threshold)
            if headlines[top] < self.specs[top].threshold <= headlines[top] / REPORTED_SHARE:
                reported_topic = top
        out: list[TopicTag] = []
        named: set[str] = set()
        for i, acc in sorted(accs.items()):
            spec = self.specs[i]
            if i not in headlines:
                continue
            title_part = acc.title + acc.publisher
            total = title_part + acc.body + negatives.get(i, 0.0)
            # A headline of the item's own is its own subject: where it names the topic in full, what the body
            # says against the topic (a severance claim beside «拖欠工资») does not undo it.
            headline = headlines[i]
            if headline >= spec.threshold and not item.lead_title:
                total = max(total, headline)
            report = i == reported_topic and total < spec.threshold
            if report:
                total = spec.threshold
            if total < spec.threshold:
                continue
            if title_part >= spec.title_min:
                decided = "publisher" if acc.publisher and acc.title < spec.title_min else "title"
                decided = "report" if report else decided
            elif acc.body >= spec.body_only_threshold:
                decided = "body"
            else:
                continue
            # Heaviest first; ties keep their order (a stable sort, also with ``reverse``).
            by_term = acc.terms
            terms = tuple(sorted(by_term, key=by_term.__getitem__, reverse=True))
            out.append(TopicTag(slug=spec.slug, score=round(total, 3), terms=terms, rule=decided))
            if headline >= spec.threshold and not item.lead_title and spec.headline_subject:
                named.add(spec.slug)
        return Tagged(tuple(out), frozenset(named))
