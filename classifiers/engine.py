"""The classifier facade: loads the data files once and tags items (pure functions of text + metadata)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from functools import cache
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import ahocorasick_rs as acr

from classifiers import official, region, severity
from classifiers._text import parse
from classifiers.lexicon import DATA_DIR, TOPICS_DIR, load_shared_rules, load_topics
from yuqing.models import Tags

if TYPE_CHECKING:
    # Imported when a Classifier is built (it loads the segmenter's dictionary, ~0.15 s), so that
    # importing the package stays cheap for what only needs its data files (topic slugs, version).
    from classifiers.topics import Prescanned

# Bump when the code changes what it outputs for the same data; the data files are hashed in.
CODE_VERSION = "1"


def data_version(*dirs: Path) -> str:
    """A short hash of every file under ``dirs`` (names and bytes), in a stable order."""
    h = hashlib.sha256()
    for d in dirs:
        for path in sorted(p for p in d.rglob("*") if p.is_file() and p.suffix in {".toml", ".tsv"}):
            h.update(path.relative_to(d).as_posix().encode())
            h.update(b"\0")
            h.update(path.read_bytes())
            h.update(b"\0")
    return h.hexdigest()[:12]


# Roles of a pattern of the one-pass automaton (bit flags).
_SEVERITY_TRIGGER = 1
_OFFICIAL_TRIGGER = 2
_OFFICIAL_GATE = 4
_DIGEST = 8
_NEGATION = 16
# Joins title and body for the one pass; no pattern may contain it, so no match spans both.
_SEP = "\n"


class _OnePass:
    """One overlapping Aho-Corasick pass over ``title + "\n" + body`` for every lexicon of an item.

    The topic patterns, negative phrases and negation prefixes, the gazetteer, the severity and
    official-response triggers, the official rules' gate literals and the digest patterns are the
    patterns of one automaton; each match is handed to the parts whose pattern it is. Overlapping
    matches are all occurrences of every pattern, so each part sees what its own automaton would
    have reported: the topic tagger the same matches in the same order (by end, longest first),
    the gazetteer its leftmost-longest matches after a greedy pass over them.
    """

    def __init__(self, clf: Classifier) -> None:
        from classifiers.topics import Prescanned

        self._prescanned = Prescanned
        index: dict[str, int] = {}
        topic: list[int] = []
        negative: list[int] = []
        place: list[int] = []
        roles: list[int] = []

        def slot(pattern: str) -> int:
            i = index.get(pattern)
            if i is None:
                i = index[pattern] = len(index)
                topic.append(-1)
                negative.append(-1)
                place.append(-1)
                roles.append(0)
            return i

        tagger = clf.tagger
        for k, p in enumerate(tagger.scan_patterns):
            i = slot(p)
            if k < tagger.n_topic_patterns:
                topic[i] = k
            if tagger.is_negative(k):
                negative[i] = k
        for k, p in enumerate(clf.gazetteer.patterns):
            place[slot(p)] = k
        for words, role in (
            (clf.severity_rules.trigger_words, _SEVERITY_TRIGGER),
            (clf.official_rules.trigger_words, _OFFICIAL_TRIGGER),
            (clf.official_rules.gate_literals, _OFFICIAL_GATE),
            (tagger.digest_patterns, _DIGEST),
            (tagger.negation_prefixes, _NEGATION),
        ):
            for p in words:
                i = slot(p)
                roles[i] |= role
        self.patterns = list(index)
        # Severity joins title and body with "。", official triggers with " ": a trigger holding
        # either (or any whitespace) could span the join, so those cases keep their own automata.
        self.usable = (
            bool(self.patterns)
            and not any(_SEP in p or not p for p in self.patterns)
            and not any(
                "。" in p or any(ch.isspace() for ch in p)
                for p in (*clf.severity_rules.trigger_words, *clf.official_rules.trigger_words)
            )
        )
        # Per pattern: (topic k, negative k, place k, roles), -1 where the pattern has no such role.
        self._route = list(zip(topic, negative, place, roles, strict=True))
        self._gate_of = [self.patterns[i] if r & _OFFICIAL_GATE else "" for i, r in enumerate(roles)]
        self._ac = acr.AhoCorasick(self.patterns or ["\x00"], implementation=acr.Implementation.DFA)

    def scan(self, title: str, body: str) -> _Hits:
        found = self._ac.find_matches_as_indexes(title + _SEP + body, overlapping=True)
        body_at = len(title) + 1
        t_topic: list[tuple[int, int, int]] = []
        b_topic: list[tuple[int, int, int]] = []
        t_place: list[tuple[int, int, int]] = []
        b_place: list[tuple[int, int, int]] = []
        t_neg: list[tuple[int, int]] = []
        b_neg: list[tuple[int, int]] = []
        negative_hits: list[int] = []
        present: set[str] = set()
        route, gate_of = self._route, self._gate_of
        trigger_chars = official.TRIGGER_CHARS
        flags = 0
        for i, start, end in found:
            k, neg, place, r = route[i]
            if start < body_at:
                if k >= 0:
                    t_topic.append((k, start, end))
                if place >= 0:
                    t_place.append((place, start, end))
                if r:
                    if r & _NEGATION:
                        t_neg.append((start, end))
                    # Digest patterns count in the title only; official triggers anywhere in it.
                    flags |= r & (_DIGEST | _OFFICIAL_TRIGGER | _SEVERITY_TRIGGER)
                    if r & _OFFICIAL_GATE:
                        present.add(gate_of[i])
            else:
                start -= body_at
                end -= body_at
                if k >= 0:
                    b_topic.append((k, start, end))
                if place >= 0:
                    b_place.append((place, start, end))
                if r:
                    if r & _NEGATION:
                        b_neg.append((start, end))
                    flags |= r & _SEVERITY_TRIGGER
                    # Official triggers count in the first TRIGGER_CHARS characters of the body.
                    if r & _OFFICIAL_TRIGGER and end <= trigger_chars:
                        flags |= _OFFICIAL_TRIGGER
                    if r & _OFFICIAL_GATE:
                        present.add(gate_of[i])
            if neg >= 0:
                negative_hits.append(neg)
        return _Hits(
            self._prescanned(t_topic, b_topic, negative_hits, t_neg, b_neg, bool(flags & _DIGEST)),
            t_place,
            b_place,
            present,
            flags,
        )


class _Hits(NamedTuple):
    topics: Prescanned
    title_place: list[tuple[int, int, int]]
    body_place: list[tuple[int, int, int]]
    present: set[str]
    flags: int


def _leftmost_longest(matches: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """The matches a leftmost-longest automaton reports, from all (overlapping) matches."""
    if len(matches) < 2:
        return matches
    # By (start, -end), without ties: reversed, the automaton's order (by end, longest first) is by
    # end descending, and a stable sort by start then puts the longer of a shared start first.
    matches.reverse()
    matches.sort(key=_second)
    out: list[tuple[int, int, int]] = []
    last_end = -1
    for m in matches:
        if m[1] >= last_end:
            out.append(m)
            last_end = m[2]
    return out


_second = itemgetter(1)


class Classifier:
    """Tags items with topics, region, severity and official/reported response, with evidence.

    Build once (``Classifier.default()`` is cached per process) and call ``classify`` per item.
    ``topics_dir`` points at another directory of topic TOML files (a ninth topic needs no code).
    """

    def __init__(self, topics_dir: Path | None = None, data_dir: Path = DATA_DIR) -> None:
        from classifiers.topics import TopicTagger

        tdir = topics_dir or (data_dir / "topics")
        self.topics_dir = tdir
        self.specs = load_topics(tdir)
        self.rules = load_shared_rules(data_dir / "rules.toml")
        self.tagger = TopicTagger(self.specs, self.rules)
        self.gazetteer = region.Gazetteer(data_dir / "gazetteer.tsv")
        self.severity_rules = severity.SeverityRules.load(data_dir / "severity.toml")
        self.official_rules = official.OfficialRules.load(data_dir / "official.toml")
        one = _OnePass(self)
        self._one_pass = one if one.usable else None
        dirs = [data_dir] if tdir.is_relative_to(data_dir) else [data_dir, tdir]
        self.version = f"{CODE_VERSION}+{data_version(*dirs)}"

    @staticmethod
    @cache
    def default() -> Classifier:
        return Classifier()

    @property
    def topic_slugs(self) -> tuple[str, ...]:
        return tuple(s.slug for s in self.specs)

    def classify(
        self,
        title: str,
        text: str,
        *,
        source_name: str | None = None,
        url: str | None = None,
        source_official: bool | None = None,
        source_region: str | None = None,
    ) -> Tags:
        item = parse(title or "", text or "", self.rules.lead_as_title_chars)
        one = self._one_pass
        if one is None:
            topics = self.tagger.tag(item)
            reg = region.resolve(
                self.gazetteer, item.title, item.body, item.publisher or source_name, source_region
            )
            sev, sev_evidence = severity.assess(self.severity_rules, item.title, item.body)
            resp = official.detect(
                self.official_rules, item, source_name=source_name, url=url, source_official=source_official
            )
        else:
            hits = one.scan(item.title, item.body)
            flags = hits.flags
            topics = self.tagger.tag(item, hits.topics)
            gaz = self.gazetteer
            reg = region.resolve(
                gaz,
                item.title,
                item.body,
                item.publisher or source_name,
                source_region,
                (
                    gaz.mentions(_leftmost_longest(hits.title_place)) if hits.title_place else [],
                    gaz.mentions(_leftmost_longest(hits.body_place)) if hits.body_place else [],
                ),
            )
            sev, sev_evidence = severity.assess(
                self.severity_rules, item.title, item.body, bool(flags & _SEVERITY_TRIGGER)
            )
            resp = official.detect(
                self.official_rules,
                item,
                source_name=source_name,
                url=url,
                source_official=source_official,
                triggered=bool(flags & _OFFICIAL_TRIGGER),
                # A gate literal may span title and body when the title is the body's lead.
                present=None if item.lead_title else hits.present,
            )
        extra: dict[str, str] = {}
        if item.publisher:
            extra["publisher"] = item.publisher
        return Tags(
            topics=topics,
            region_code=reg.code if reg else None,
            region_name=reg.name if reg else None,
            region_evidence=reg.evidence if reg else None,
            severity=sev,
            severity_evidence=sev_evidence,
            official_response=resp.official,
            response_kinds=resp.kinds,
            reported_response=resp.reported,
            response_evidence=resp.evidence,
            classifier_version=self.version,
            extra=extra,
        )

    def classify_many(self, records: Iterable[Mapping[str, Any]]) -> list[Tags]:
        """Tag records shaped like ``yuqing tag`` input: title, text, optional url/source metadata."""
        out: list[Tags] = []
        for r in records:
            out.append(
                self.classify(
                    str(r.get("title") or ""),
                    str(r.get("text") or ""),
                    source_name=r.get("source_name") or r.get("source"),
                    url=r.get("url"),
                    source_official=r.get("source_official"),
                    source_region=r.get("source_region"),
                )
            )
        return out


__all__ = ["CODE_VERSION", "TOPICS_DIR", "Classifier", "data_version"]
