"""Topic lexicons and rules as data: one TOML file per topic under ``data/topics/``.

Ops add a topic by adding a file; no code changes. See ``data/PROVENANCE.md`` for the keys.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from yuqing.errors import ConfigError

DATA_DIR = Path(__file__).with_name("data")
TOPICS_DIR = DATA_DIR / "topics"


class LexiconError(ConfigError):
    """A topic or rules file is missing a key or has a value of the wrong kind."""


@dataclass(frozen=True, slots=True)
class ContextRule:
    """A hit on one of ``terms`` is multiplied by ``factor`` when one of ``near`` stands within ``window``
    characters of it (``[[contexts]]``: an off-topic or negating setting), or, for ``absent``, when the
    item names none of ``near`` anywhere, title or body (``[[frames]]``: a word that names only the setting,
    such as 燃气 for a gas hazard, counts only in an item that names the matter; a frame has no ``window``). A frame
    with ``headline`` counts its terms in full only in the headline, beside one of ``near`` there: the headline must say
    it (pay owed, «工资没着落»), where a long message's body names pay, debts and refusals about anything."""

    terms: frozenset[str]
    near: tuple[str, ...]
    window: int
    factor: float
    absent: bool = False
    headline: bool = False


@dataclass(frozen=True, slots=True)
class PublisherRule:
    publisher: re.Pattern[str]
    title_any: tuple[str, ...]
    unless: tuple[str, ...]
    score: float


@dataclass(frozen=True, slots=True)
class TopicSpec:
    slug: str
    name: str
    order: int  # where the topic is listed (the priority topics 1-8, in the work plans' order)
    threshold: float
    title_min: float
    body_only_threshold: float
    title_weight: float
    body_weight: float
    max_repeats: int
    terms: dict[str, float]
    strict: frozenset[str]
    blockers: tuple[str, ...]
    contexts: tuple[ContextRule, ...]
    negatives: dict[str, float]
    publisher_rules: tuple[PublisherRule, ...]
    foreign_ok: bool
    # Whether a headline that names the topic in full makes it the item's subject, which no model overrules (false
    # where the terms name institutions where other matters happen: a school, a hospital, a care home).
    headline_subject: bool = True


@dataclass(frozen=True, slots=True)
class SharedRules:
    digest_patterns: tuple[str, ...]
    negation_prefixes: tuple[str, ...]
    negation_window: int
    lead_as_title_chars: int
    foreign_markers: tuple[str, ...]
    domestic_markers: tuple[str, ...]
    foreign_lookalikes: tuple[str, ...] = ()
    masked_place: str = "(?!)"  # a pattern: a place a message board masked (A市), domestic
    party_affairs: str = "(?!)"  # a pattern: a headline about a body's own Party work has no topic
    party_affairs_unless: str = "(?!)"  # a pattern: … unless it names a service or work the Party work led
    head_terms: frozenset[str] = frozenset()


def _num(d: dict[str, Any], key: str, default: float, where: Path) -> float:
    value = d.get(key, default)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise LexiconError(f"{where}: {key} must be a number, got {value!r}")
    return float(value)


def _strs(d: dict[str, Any], key: str, where: Path) -> tuple[str, ...]:
    value = d.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LexiconError(f"{where}: {key} must be a list of strings")
    return tuple(value)


def _pattern(d: dict[str, Any], key: str, where: Path) -> str:
    value = d.get(key, "(?!)")
    try:
        re.compile(value)
    except (TypeError, re.error) as exc:
        raise LexiconError(f"{where}: {key} must be a regular expression: {exc}") from None
    return str(value)


def _flag(d: dict[str, Any], key: str, where: Path, default: bool = False) -> bool:
    value = d.get(key, default)
    if not isinstance(value, bool):
        raise LexiconError(f"{where}: {key} must be true or false")
    return value


def _weights(d: dict[str, Any], key: str, where: Path) -> dict[str, float]:
    value = d.get(key, {})
    if not isinstance(value, dict):
        raise LexiconError(f"{where}: [{key}] must be a table of term = weight")
    out: dict[str, float] = {}
    for term, weight in value.items():
        if not isinstance(weight, int | float) or isinstance(weight, bool):
            raise LexiconError(f"{where}: [{key}] {term!r} must have a numeric weight")
        out[term] = float(weight)
    return out


def load_topic(path: Path) -> TopicSpec:
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    for key in ("slug", "terms"):
        if key not in raw:
            raise LexiconError(f"{path}: missing key {key!r}")
    terms = _weights(raw, "terms", path)
    if any("window" in f for f in raw.get("frames", [])):
        raise LexiconError(f"{path}: a [[frames]] table has no window: a frame looks at the whole item")
    contexts = tuple(
        ContextRule(
            terms=frozenset(_strs(c, "terms", path)),
            near=_strs(c, "near", path),
            window=int(_num(c, "window", 10, path)),
            factor=_num(c, "factor", 0.0, path),
            absent=table == "frames",
            headline=table == "frames" and _flag(c, "headline", path),
        )
        for table in ("contexts", "frames")
        for c in raw.get(table, [])
    )
    rules = tuple(
        PublisherRule(
            publisher=re.compile(str(r["publisher"])),
            title_any=_strs(r, "title_any", path),
            unless=_strs(r, "unless", path),
            score=_num(r, "score", 1.0, path),
        )
        for r in raw.get("publisher_rules", [])
    )
    return TopicSpec(
        slug=str(raw["slug"]),
        name=str(raw.get("name", raw["slug"])),
        order=int(_num(raw, "order", UNORDERED, path)),
        threshold=_num(raw, "threshold", 1.0, path),
        title_min=_num(raw, "title_min", 0.5, path),
        body_only_threshold=_num(raw, "body_only_threshold", 2.0, path),
        title_weight=_num(raw, "title_weight", 1.0, path),
        body_weight=_num(raw, "body_weight", 0.5, path),
        max_repeats=int(_num(raw, "max_repeats", 3, path)),
        terms=terms,
        strict=frozenset(_strs(raw, "strict", path)),
        blockers=_strs(raw, "blockers", path),
        contexts=contexts,
        negatives=_weights(raw, "negatives", path),
        publisher_rules=rules,
        foreign_ok=bool(raw.get("foreign_ok", False)),
        headline_subject=_flag(raw, "headline_subject", path, default=True),
    )


def load_topics(directory: Path = TOPICS_DIR) -> tuple[TopicSpec, ...]:
    """All ``*.toml`` topic files of ``directory``, in file-name order; slugs must be unique."""
    specs = tuple(load_topic(p) for p in sorted(directory.glob("*.toml")))
    seen: set[str] = set()
    for spec in specs:
        if spec.slug in seen:
            raise LexiconError(f"{directory}: topic slug {spec.slug!r} defined twice")
        seen.add(spec.slug)
    return specs


UNORDERED = 1000  # a topic file without ``order`` is listed after the priority topics, by slug


@cache
def topic_vocabulary(directory: Path = TOPICS_DIR) -> tuple[tuple[str, str], ...]:
    """(slug, Chinese name) of every topic, in listing order: the one vocabulary the digest, the topics dimension
    and the evaluation read (the classifier itself tags in file-name order)."""
    return tuple((spec.slug, spec.name) for spec in _ordered(directory))


@cache
def priority_topics(directory: Path = TOPICS_DIR) -> tuple[str, ...]:
    """The slugs of the topics whose file gives an ``order``: the eight priority topics, in the work plans' order."""
    return tuple(spec.slug for spec in _ordered(directory) if spec.order < UNORDERED)


def _ordered(directory: Path) -> list[TopicSpec]:
    return sorted(load_topics(directory), key=lambda spec: (spec.order, spec.slug))


def load_shared_rules(path: Path = DATA_DIR / "rules.toml") -> SharedRules:
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    return SharedRules(
        digest_patterns=_strs(raw, "digest_patterns", path),
        negation_prefixes=_strs(raw, "negation_prefixes", path),
        negation_window=int(_num(raw, "negation_window", 3, path)),
        lead_as_title_chars=int(_num(raw, "lead_as_title_chars", 40, path)),
        foreign_markers=_strs(raw, "foreign_markers", path),
        domestic_markers=_strs(raw, "domestic_markers", path),
        foreign_lookalikes=_strs(raw, "foreign_lookalikes", path),
        masked_place=_pattern(raw, "masked_place", path),
        party_affairs=_pattern(raw, "party_affairs", path),
        party_affairs_unless=_pattern(raw, "party_affairs_unless", path),
        head_terms=frozenset(_strs(raw, "head_terms", path)),
    )


def load_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)
