"""Topic tagger: lexicon terms found by one Aho-Corasick pass, validated, weighed title over body.

Speed: the automaton (all terms of all topics plus blocker phrases) runs on every item; items with
no hit stop there. Only hits on short, ambiguous terms (``strict`` in a topic file) are checked
against rjieba token boundaries (HMM off, user dictionary built from the lexicons), and the
segmenter runs at most once per field, lazily.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

import ahocorasick_rs as acr
import rjieba

from classifiers._text import Parsed
from classifiers.lexicon import ContextRule, SharedRules, TopicSpec
from yuqing.models import TopicTag

# Runs that jieba segments independently (it splits its input on punctuation and whitespace).
_CLAUSE = re.compile(r"[^\s，。！？；：、,.!?;:“”‘’\"'（）()《》<>【】\[\]…—|丨·]+")
REPEAT_FACTOR = 0.5  # each further occurrence of a term in the same field adds half its weight


@dataclass(frozen=True, slots=True)
class _Entry:
    topic: int
    weight: float
    strict: bool
    contexts: tuple[ContextRule, ...]
    term: str
    offset: int = 0  # where ``term`` sits inside the matched pattern (for terms nested in another's)


@dataclass(slots=True)
class _Acc:
    title: float = 0.0
    body: float = 0.0
    terms: dict[str, float] = field(default_factory=dict)
    publisher: float = 0.0


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
        # A pattern is validated on token boundaries when it is a strict term of every topic that
        # has it as a term (a pattern that is only a blocker is never strict).
        self._strict_pattern = [
            bool(es)
            and all(e.strict for e in es if e.offset == 0 and e.term == p)
            and any(e.offset == 0 and e.term == p for e in es)
            for p, es in zip(self._patterns, self._entries, strict=True)
        ]
        # Standard semantics with overlapping matches: candidates that fail validation (a strict
        # term off token boundaries) must not hide a valid match they overlap ("纳入学校": 入学 is
        # not a word there, 学校 is).
        self._ac = acr.AhoCorasick(self._patterns)
        # Negative phrases and digest patterns: a separate overlapping automaton, run only on items
        # with at least one candidate topic.
        neg: dict[str, list[tuple[int, float]]] = {}
        for i, spec in enumerate(specs):
            for phrase, weight in spec.negatives.items():
                neg.setdefault(phrase, []).append((i, weight))
        self._neg_patterns = list(neg)
        self._neg_entries = [tuple(neg[p]) for p in self._neg_patterns]
        self._neg_ac = acr.AhoCorasick(self._neg_patterns or ["\x00"])
        self._digest_ac = acr.AhoCorasick(list(rules.digest_patterns) or ["\x00"])
        self._bcache: tuple[str, list[tuple[int, int]], dict[int, set[int]]] | None = None
        self._jieba = rjieba.Jieba()
        for term in self._patterns:
            if len(term) >= 2 and not term.isascii() and not self._jieba.has_word(term):
                self._jieba.add_word(term, None, None)

    @property
    def terms(self) -> list[str]:
        return self._patterns

    def _boundaries(self, text: str, start: int, end: int) -> bool:
        """Whether text[start:end] begins and ends on rjieba token boundaries.

        jieba segments each run between punctuation/whitespace on its own, so only the clause that
        holds the match is segmented (cached per text), which gives the same boundaries as
        segmenting the whole text.
        """
        cache = self._bcache
        if cache is None or cache[0] is not text:
            cache = self._bcache = (text, [m.span() for m in _CLAUSE.finditer(text)], {})
        spans, done = cache[1], cache[2]
        i = bisect.bisect_right(spans, (start, len(text) + 1)) - 1
        if i < 0 or not (spans[i][0] <= start and end <= spans[i][1]):
            return False
        c_start, c_end = spans[i]
        bounds = done.get(c_start)
        if bounds is None:
            bounds = set()
            for _word, s, e in self._jieba.tokenize(text[c_start:c_end], "default", False):
                bounds.add(s + c_start)
                bounds.add(e + c_start)
            done[c_start] = bounds
        return start in bounds and end in bounds

    def _select(self, text: str) -> list[tuple[int, int, int]]:
        """Leftmost-longest non-overlapping matches among the valid ones."""
        found = self._ac.find_matches_as_indexes(text, overlapping=True)
        if not found:
            return []
        valid: list[tuple[int, int, int]] = []
        for idx, start, end in found:
            if self._strict_pattern[idx] and not self._boundaries(text, start, end):
                continue
            valid.append((idx, start, end))
        valid.sort(key=lambda m: (m[1], m[1] - m[2]))
        out: list[tuple[int, int, int]] = []
        last_end = -1
        for m in valid:
            if m[1] >= last_end:
                out.append(m)
                last_end = m[2]
        return out

    def _scan(self, text: str, is_title: bool, accs: dict[int, _Acc]) -> None:
        if not text:
            return
        counts: dict[tuple[int, str], int] = {}
        neg_prefixes = self.rules.negation_prefixes
        neg_window = self.rules.negation_window
        for idx, m_start, _m_end in self._select(text):
            for entry in self._entries[idx]:
                term = entry.term
                start = m_start + entry.offset
                end = start + len(term)
                before = text[max(0, start - neg_window) : start]
                if any(p in before for p in neg_prefixes):
                    continue
                if entry.strict and not self._boundaries(text, start, end):
                    continue
                weight = entry.weight
                for ctx in entry.contexts:
                    window = text[max(0, start - ctx.window) : end + ctx.window]
                    if any(n in window for n in ctx.near):
                        weight *= ctx.factor
                spec = self.specs[entry.topic]
                key = (entry.topic, term)
                n = counts.get(key, 0)
                if n >= spec.max_repeats:
                    continue
                counts[key] = n + 1
                weight *= 1.0 if n == 0 else REPEAT_FACTOR
                acc = accs.get(entry.topic)
                if acc is None:
                    acc = accs[entry.topic] = _Acc()
                if is_title:
                    contribution = weight * spec.title_weight
                    acc.title += contribution
                else:
                    contribution = weight * spec.body_weight
                    acc.body += contribution
                if contribution:
                    acc.terms[term] = acc.terms.get(term, 0.0) + contribution

    def tag(self, item: Parsed) -> tuple[TopicTag, ...]:
        if item.title and self._digest_ac.find_matches_as_indexes(item.title):
            return ()
        accs: dict[int, _Acc] = {}
        self._scan(item.title, True, accs)
        self._scan(item.body, False, accs)
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
            return ()
        negatives: dict[int, float] = {}
        whole = item.title + "\n" + item.body
        seen: set[int] = set()
        for idx, _s, _e in self._neg_ac.find_matches_as_indexes(whole, overlapping=True):
            if idx in seen:
                continue
            seen.add(idx)
            for topic, weight in self._neg_entries[idx]:
                negatives[topic] = negatives.get(topic, 0.0) + weight
        foreign = any(m in item.title for m in self.rules.foreign_markers) and not any(
            m in item.title for m in self.rules.domestic_markers
        )
        out: list[TopicTag] = []
        for i, acc in sorted(accs.items()):
            spec = self.specs[i]
            if foreign and not spec.foreign_ok:
                continue
            title_part = acc.title + acc.publisher
            total = title_part + acc.body + negatives.get(i, 0.0)
            if total < spec.threshold:
                continue
            if title_part >= spec.title_min:
                decided = "publisher" if acc.publisher and acc.title < spec.title_min else "title"
            elif acc.body >= spec.body_only_threshold:
                decided = "body"
            else:
                continue
            terms = tuple(t for t, _w in sorted(acc.terms.items(), key=lambda kv: -kv[1]))
            out.append(TopicTag(slug=spec.slug, score=round(total, 3), terms=terms, rule=decided))
        return tuple(out)
