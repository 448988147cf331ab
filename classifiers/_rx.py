"""Regular-expression lists from the data files, searched with literal gates.

A rule list such as ``reported_text`` is the alternation ``(?:p1)|(?:p2)|…``. Scanning that over a
few hundred characters costs more than the rest of an item's work when an alternative starts with a
character class (``[^，。]{1,12}(卫健委|…)``), so each alternative is compiled on its own with the
literals it cannot match without (one of ``卫健委``, ``政府``, …). ``Alternation.search`` tries only
the alternatives whose literals the caller has seen in the item (one Aho-Corasick pass over all
gate literals) and returns what the joined pattern would: the leftmost match, and at the same start
the earlier alternative.

The literals are read from the pattern's parse tree, which only CPython's private ``re._parser`` gives. It is used
for the Python versions it was checked on (``CHECKED_PYTHON``); elsewhere, or if it fails on a pattern, a pattern
has no gate and is always tried: slower, never different.
"""

from __future__ import annotations

import functools
import importlib
import re
import sys
from collections.abc import Iterable
from typing import Any

CHECKED_PYTHON = ((3, 11), (3, 12), (3, 13))


def _private_parser() -> tuple[Any, Any]:
    if sys.version_info[:2] not in CHECKED_PYTHON:
        return None, None
    try:
        return importlib.import_module("re._parser"), importlib.import_module("re._constants")
    except ImportError:
        return None, None


_parser, _c = _private_parser()


def _parse(pattern: str) -> Any:
    """The parse tree of ``pattern``; None where the private parser is not used or cannot read it."""
    if _parser is None:
        return None
    try:
        parsed = _parser.parse(pattern)
    except re.error:
        raise  # the pattern is wrong: said where the rules are loaded
    except Exception:  # a parser that changed shape: no gate, the pattern is always tried
        return None
    return None if parsed.state.flags & (re.IGNORECASE | re.VERBOSE) else parsed


def _score(cand: frozenset[str]) -> tuple[int, int]:
    return (min(len(s) for s in cand), -len(cand))


def _required(items: Iterable[tuple[Any, Any]]) -> frozenset[str] | None:
    """Literals of which every match of the parsed sequence holds at least one (None: unknown)."""
    best: frozenset[str] | None = None
    run: list[str] = []

    def consider(cand: frozenset[str] | None) -> None:
        nonlocal best
        if not cand or any(not s or any(ch.isspace() for ch in s) for s in cand):
            return
        if best is None or _score(cand) > _score(best):
            best = cand

    for op, av in items:
        if op is _c.LITERAL:
            run.append(chr(av))
            continue
        if run:
            consider(frozenset(["".join(run)]))
            run = []
        cand: frozenset[str] | None = None
        if op is _c.SUBPATTERN:
            _group, add_flags, _del_flags, sub = av
            cand = None if add_flags else _required(sub)
        elif op is _c.BRANCH:
            subs = [_required(b) for b in av[1]]
            if all(s is not None for s in subs):
                cand = frozenset().union(*(s for s in subs if s is not None))
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
            lo, _hi, sub = av
            cand = _required(sub) if lo >= 1 else None
        elif op is getattr(_c, "ATOMIC_GROUP", None):
            cand = _required(av)
        consider(cand)
    if run:
        consider(frozenset(["".join(run)]))
    return best


def required_literals(pattern: str) -> frozenset[str] | None:
    """Literals (without whitespace) one of which every match of ``pattern`` contains, if known."""
    parsed = _parse(pattern)
    return None if parsed is None else _required(parsed)


MAX_LEAD = 24  # alternatives whose anchor literal is at most this far into a match are windowed
MAX_STARTS = 96  # more candidate starts than this: one ordinary search instead


def _pure_literals(items: Any) -> frozenset[str] | None:
    """The strings a sequence (or a group of alternative sequences) of plain literals spells."""
    if len(items) == 1 and items[0][0] is _c.SUBPATTERN and not items[0][1][1]:
        return _pure_literals(items[0][1][3])
    if len(items) == 1 and items[0][0] is _c.BRANCH:
        out: set[str] = set()
        for branch in items[0][1][1]:
            sub = _pure_literals(branch)
            if sub is None:
                return None
            out |= sub
        return frozenset(out)
    if items and all(op is _c.LITERAL for op, _av in items):
        return frozenset(["".join(chr(av) for _op, av in items)])
    return None


def anchor(pattern: str) -> tuple[frozenset[str], int] | None:
    """(literals, lead): every match of ``pattern`` starting at s holds one of ``literals`` at a
    position in [s, s + lead]. Only top-level items are considered; None if there is no such item
    with a small ``lead``, or if the pattern starts with a literal."""
    parsed = _parse(pattern)
    if parsed is None:
        return None
    items = list(parsed)
    if not items or items[0][0] is _c.LITERAL:
        return None  # a literal head is what the regex engine's own search skips to quickly
    best: tuple[frozenset[str], int] | None = None
    k = 0
    while k < len(items):
        j = k
        if items[k][0] is _c.LITERAL:
            while j + 1 < len(items) and items[j + 1][0] is _c.LITERAL:
                j += 1
        lits = _pure_literals(items[k : j + 1])
        if lits and all(lits) and not any(ch.isspace() for w in lits for ch in w):
            lead = _parser.SubPattern(parsed.state, items[:k]).getwidth()[1] if k else 0
            if lead <= MAX_LEAD and (best is None or _score(lits) > _score(best[0])):
                best = (lits, lead)
        k = j + 1
    return best


class Alternation:
    """The rule list ``patterns`` as one regular expression, alternatives gated by their literals."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        # Each alternative is compiled when an item first has its literals (most never have in a short run); its parse
        # (``required_literals``) says here whether it is a pattern at all, or compiling does where nothing parses.
        self._rxs: list[re.Pattern[str] | None] = (
            [None] * len(self.patterns) if _parser is not None else [re.compile(p) for p in self.patterns]
        )
        self._ungated: tuple[int, ...] = ()
        by_literal: dict[str, list[int]] = {}
        for i, p in enumerate(self.patterns):
            gate = required_literals(p)
            if gate is None:
                self._ungated += (i,)
            else:
                for lit in gate:
                    by_literal.setdefault(lit, []).append(i)
        self._by_literal = {lit: tuple(ix) for lit, ix in by_literal.items()}
        self._literals = frozenset(self._by_literal)
        self._anchors = tuple(anchor(p) for p in self.patterns)

    @property
    def literals(self) -> frozenset[str]:
        return self._literals

    @functools.cached_property
    def joined(self) -> re.Pattern[str]:
        """The list as one pattern: what ``search`` returns the first match of."""
        return re.compile("|".join(f"(?:{p})" for p in self.patterns))

    def search(self, text: str, present: set[str] | frozenset[str]) -> re.Match[str] | None:
        """``joined.search(text)``, given ``present`` ⊇ the gate literals that occur in ``text``."""
        if self._ungated:
            alts = set(self._ungated)
        elif self._literals.isdisjoint(present):
            return None
        else:
            alts = set()
        by_literal = self._by_literal
        for lit in self._literals.intersection(present):
            alts.update(by_literal[lit])
        best: re.Match[str] | None = None
        for i in sorted(alts):
            m = self._search_one(i, text)
            if m is not None and (best is None or m.start() < best.start()):
                best = m
                if m.start() == 0:
                    break
        return best

    def _search_one(self, i: int, text: str) -> re.Match[str] | None:
        """``rxs[i].search(text)``; with an anchor, only starts that reach an anchor literal are
        tried (``match`` at a position behaves as ``search`` does on reaching it)."""
        rx = self._rxs[i]
        if rx is None:
            rx = self._rxs[i] = re.compile(self.patterns[i])
        anc = self._anchors[i]
        if anc is None:
            return rx.search(text)
        literals, lead = anc
        starts: set[int] = set()
        for lit in literals:
            q = text.find(lit)
            while q >= 0:
                starts.update(range(max(0, q - lead), q + 1))
                if len(starts) > MAX_STARTS:
                    return rx.search(text)
                q = text.find(lit, q + 1)
        for start in sorted(starts):
            m = rx.match(text, start)
            if m is not None:
                return m
        return None
