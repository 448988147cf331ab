"""The classifier facade: loads the data files once and tags items (pure functions of text + metadata)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypedDict, Unpack

import ahocorasick_rs as acr
import numpy as np

from classifiers import official, region, severity
from classifiers._text import Parsed, parse
from classifiers.issue import IssueRules
from classifiers.lexicon import DATA_DIR, TOPICS_DIR, load_shared_rules, load_topics
from classifiers.model import MODEL_PATH, LinearModel, ModelInput, Scored
from yuqing.errors import ConfigError
from yuqing.models import Tags, TopicTag
from yuqing.vocab import Severity

if TYPE_CHECKING:
    # Imported when a Classifier is built (it loads the segmenter's dictionary, ~0.15 s), so that
    # importing the package stays cheap for what only needs its data files (topic slugs, version).
    from classifiers.topics import Prescanned

# Bump when the code changes what it outputs for the same data; the data files are hashed in.
CODE_VERSION = "32"


def data_version(*dirs: Path) -> str:
    """A short hash of every file under ``dirs`` (names and bytes), in a stable order."""
    h = hashlib.sha256()
    for d in dirs:
        for path in sorted(p for p in d.rglob("*") if p.is_file() and p.suffix in {".toml", ".tsv", ".npz"}):
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
        self._party_work = clf.tagger.party_work
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
        # The scan reads title + "\n" + body: no pattern may hold the separator or be empty. The severity rules
        # join title and body with "。" and the official ones with " ": a trigger holding either (or any
        # whitespace) could span that join, which the scan does not see. The data files are refused instead.
        bad = [p for p in self.patterns if not p or _SEP in p]
        bad += [
            p
            for p in (*clf.severity_rules.trigger_words, *clf.official_rules.trigger_words)
            if "。" in p or any(ch.isspace() for ch in p)
        ]
        if bad:
            raise ConfigError(
                f"classifier data: {len(bad)} pattern(s) empty or holding a line break, or triggers holding "
                f"whitespace or 「。」, which the one-pass scan cannot read: {', '.join(map(repr, bad[:5]))}"
            )
        # Per pattern: (topic k, negative k, place k, roles), -1 where the pattern has no such role.
        self._route = list(zip(topic, negative, place, roles, strict=True))
        self._gate_of = [self.patterns[i] if r & _OFFICIAL_GATE else "" for i, r in enumerate(roles)]
        # A contiguous NFA, not a DFA: it scans as fast here (the scan is ~5 % of an item's time) and
        # builds in a fifth of the time (7 ms against 32 ms for ~7,000 patterns), which every start-up pays.
        self._ac = acr.AhoCorasick(self.patterns or ["\x00"], implementation=acr.Implementation.ContiguousNFA)

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
        title_lists = (t_topic, t_place, t_neg)
        body_lists = (b_topic, b_place, b_neg)
        for i, start, end in found:
            k, neg, place, r = route[i]
            in_title = start < body_at
            if in_title:
                topics, places, negations = title_lists
            else:
                topics, places, negations = body_lists
                start -= body_at
                end -= body_at
            if k >= 0:
                topics.append((k, start, end))
            if place >= 0:
                places.append((place, start, end))
            if r:
                if r & _NEGATION:
                    negations.append((start, end))
                if in_title:
                    # Digest patterns count in the title only; official triggers anywhere in it.
                    flags |= r & (_DIGEST | _OFFICIAL_TRIGGER | _SEVERITY_TRIGGER)
                else:
                    flags |= r & _SEVERITY_TRIGGER
                    # Official triggers count in the first TRIGGER_CHARS characters of the body.
                    if r & _OFFICIAL_TRIGGER and end <= trigger_chars:
                        flags |= _OFFICIAL_TRIGGER
                if r & _OFFICIAL_GATE:
                    present.add(gate_of[i])
            if neg >= 0:
                negative_hits.append(neg)
        return _Hits(
            self._prescanned(
                t_topic, b_topic, negative_hits, t_neg, b_neg, bool(flags & _DIGEST), self._party_work(title)
            ),
            t_place,
            b_place,
            present,
            flags,
        )


class SourceMeta(TypedDict, total=False):
    """What is known of an item's source besides its text: its name, the URL its feed was fetched from, whether it
    is an official body, and its region (``sources.toml``)."""

    source_name: str | None
    feed_url: str | None
    source_official: bool | None
    source_region: str | None


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


# Fields past these lengths are cut before classification (a note goes into the evidence). Real titles
# are under 200 characters and the longest real bodies here (official replies) under 3,000; a cap keeps
# the cost of one item bounded whatever a feed sends.
TITLE_CAP = 1_000
TEXT_CAP = 20_000


@dataclass(slots=True)
class _Ruled:
    """What the rule-based parts say about one item, and what the model reads of it."""

    item: Parsed
    topics: tuple[TopicTag, ...]
    headline_topics: frozenset[str]  # topics the headline names in full (``topics.Tagged``)
    region: region.Region | None
    severity: str
    severity_evidence: tuple[str, ...]
    response: official.Response
    official_item: bool  # an official response, or from an official source or publisher: never an issue
    issue_rule: str | None  # the incident/complaint rule's evidence (classifiers/issue.py)
    foreign: bool  # the headline names a foreign place and no domestic one
    # Why the model alone makes no issue of the headline, as evidence (IssueRules.model_blocks).
    issue_blocks: tuple[str, ...]
    # The wording of a headline about a body's own Party work: no topic, from the lexicons or the model. (A digest
    # of headlines gets none from the lexicons; the model reads whether one subject leads it, an outbreak's
    # morning round-up.)
    party_work: str | None
    model_input: ModelInput
    notes: dict[str, str]

    @property
    def model_issue_blocked(self) -> bool:
        """The model alone does not make an issue of a headline reporting an authority's action on the matter (a
        raid, a seizure, a ban): the matter is answered by it (labelling guide); nor of good news in a headline of
        its own (patients cured and discharged), a positive story by the guide, nor of a relayed appeal to find a
        case's fellow travellers, an official release. Other relays of an official release are left to the model,
        which learned them from the labels: the relay rule also fires on citizen messages that quote a fine or a
        finding (罚款, 处理结果), and blocking on it cost more issues than it saved."""
        return bool(self.issue_blocks)

    def overrulable(self, slug: str) -> bool:
        """Whether the model may overrule the lexicon's ``slug`` as the guide's passing mention: only in an item
        with a body, and not where the item's own headline names the topic in full. A headline is its own subject
        («集中隔离的酒店房间没有窗户» over a complaint is about quarantine, whatever the model learned of the word
        on boards from before 2020)."""
        return bool(self.model_input.body) and slug not in self.headline_topics


@dataclass(slots=True)
class Findings:
    """What the rule-based parts find in one item (``Classifier._findings``)."""

    topics: tuple[TopicTag, ...]
    headline_topics: frozenset[str]  # topics the headline names in full (``topics.Tagged``)
    lex_title: list[int]  # lexicon patterns found in the title and in the body (model signals)
    lex_body: list[int]
    title_places: list[tuple[str, Any, int]]  # places the headline names
    foreign_place: str | None  # the foreign place a foreign headline names (TopicTagger.foreign_marker)
    party_work: str | None  # a headline about a body's own Party work (TopicTagger.party_work)
    region: region.Region | None
    # ``Region.specific`` (or the code) of the region read from every place name found, in-word ones too: what the
    # model's ``place:N`` signal reads (empty: none)
    place_specific: str
    severity: str
    severity_evidence: tuple[str, ...]
    response: official.Response
    # What the one-pass scan found for the topic tagger, read again for a headline reporting a matter (None: the
    # tagger scans the item itself)
    scanned: Prescanned | None = None


class Classifier:
    """Tags items with topics, region, severity, official/reported response and issue, with evidence.

    Build once (``Classifier.default()`` is cached per process) and call ``classify_many`` on batches
    (``classify`` for one item). ``topics_dir`` points at another directory of topic TOML files (a
    ninth topic needs no code: its lexicon decides it alone until a model is trained with it).

    Two parts decide together. The rules (lexicons, gazetteer, severity and official-response rules)
    run on every item and give region, severity, response kinds and their own topic verdicts; the
    learned model (``classifiers/model.py``) reads the item's text and the rules' findings and gives
    topics, official_response and issue. A topic is tagged when the lexicon or the model says so; an
    item is an official response when the rules or the model say so; an issue when the model says
    so and it is not an official response.
    """

    def __init__(
        self,
        topics_dir: Path | None = None,
        data_dir: Path = DATA_DIR,
        model: LinearModel | bool | None = True,
    ) -> None:
        from classifiers.topics import TopicTagger

        tdir = topics_dir or (data_dir / "topics")
        self.topics_dir = tdir
        self.specs = load_topics(tdir)
        self._topic_slugs = tuple(s.slug for s in self.specs)
        self.rules = load_shared_rules(data_dir / "rules.toml")
        self.tagger = TopicTagger(self.specs, self.rules)
        self.gazetteer = region.Gazetteer(data_dir / "gazetteer.tsv")
        self.severity_rules = severity.SeverityRules.load(data_dir / "severity.toml")
        self.official_rules = official.OfficialRules.load(data_dir / "official.toml")
        self.issue_rules = IssueRules.load(data_dir / "issue.toml")
        patterns = self.tagger.scan_patterns
        self._lex_signals = ([f"lex:t:{p}" for p in patterns], [f"lex:b:{p}" for p in patterns])
        self._one_pass = _OnePass(self)
        if model is True:
            path = data_dir / MODEL_PATH.name
            self.model: LinearModel | None = LinearModel.load(path) if path.exists() else None
        elif model is False:
            self.model = None
        else:
            self.model = model
        dirs = [data_dir] if tdir.is_relative_to(data_dir) else [data_dir, tdir]
        # The data files' hash covers the model file; a classifier built without it says so.
        self.version = f"{CODE_VERSION}+{data_version(*dirs)}" + ("" if self.model is not None else "+rules")

    @staticmethod
    @cache
    def default() -> Classifier:
        return Classifier()

    @property
    def topic_slugs(self) -> tuple[str, ...]:
        return self._topic_slugs

    def classify(self, title: str, text: str, **source: Unpack[SourceMeta]) -> Tags:
        unknown = source.keys() - SourceMeta.__annotations__.keys()
        if unknown:
            raise TypeError(f"classify() got unexpected keyword arguments {sorted(unknown)}")
        return self.classify_many([{"title": title, "text": text, **source}])[0]

    def rules_pass(self, title: str, text: str, **source: Unpack[SourceMeta]) -> _Ruled:
        """The rule-based parts on one item, and the model's input (its text and the rules' signals)."""
        source_name = source.get("source_name")
        feed_url = source.get("feed_url")
        source_official = source.get("source_official")
        source_region = source.get("source_region")
        notes: dict[str, str] = {}
        title, text = title or "", text or ""
        if len(title) > TITLE_CAP:
            notes["truncated_title"] = f"first {TITLE_CAP} of {len(title)} characters"
            title = title[:TITLE_CAP]
        if len(text) > TEXT_CAP:
            notes["truncated_text"] = f"first {TEXT_CAP} of {len(text)} characters"
            text = text[:TEXT_CAP]
        item = parse(title, text, self.rules.lead_as_title_chars)
        if item.title and item.body.startswith(item.title):
            # Feeds often repeat the headline as the body (WeChat's content:encoded): it says nothing more,
            # and the labelled sets give such items without it.
            item = item._replace(body=item.body[len(item.title) :].strip())
        found = self._findings(item, source_name, feed_url, source_official, source_region)
        reg = found.region
        publisher = item.publisher or source_name or ""
        kind = self.official_rules.publisher_kind(publisher) if publisher else None
        official_item = (
            found.response.official or bool(source_official) or (kind == "official" and not item.factcheck)
        )
        # How precisely the item names a place (``Region.specific``: a case report's county is named though the
        # report is its province's), as the model's ``place:N`` signal reads it.
        place_level = len(region.trimmed_code(found.place_specific)) if found.place_specific else 0
        if place_level == 2 and found.place_specific[:2] in MUNICIPALITIES:
            place_level = 4  # 北京, 上海 …: a city, as precisely named as 广州
        # A place the headline names counts for the rule even when the gazetteer cannot tell which of
        # several places of that name it is (白云区: Guangzhou's or Guiyang's).
        places = self.gazetteer.places
        headline_places = [(pos, 2 * places[e.codes[0]].level) for _s, e, pos in found.title_places]
        place_level = max([place_level, *(level for _pos, level in headline_places)])
        foreign_place = found.foreign_place
        foreign = foreign_place is not None
        issue_rule = first_case = None
        # The rule reads a headline. A post's first words standing in for one (Weibo) are no headline: there the
        # rule's cues were right 5 times in 19 on the labelled items (a round-up, advice, a SARS memory, a call for
        # 求助 posts), against 165 in 168 in headlines; the model judges such posts.
        if not (official_item or item.factcheck or item.piyao_label is not None or item.lead_title):
            issue_rule = self.issue_rules.report(item.title, place_level, headline_places, foreign)
            if issue_rule is None:
                first_case = self.issue_rules.first_case_in(item.title, headline_places, foreign)
            if issue_rule is not None and not item.body:
                # A headline alone that reports a specific matter: one word of a topic names its subject
                # (``topics.REPORTED_SHARE``). With a body, the body says what the matter is.
                found.topics = self.tagger.tag(item, found.scanned, foreign, reported=True).tags
        # Foreign news is no issue (the guide's issues are matters in mainland China), unless the headline also names a
        # place here, or is a post's hashtag (#韩国累计确诊…# followed by a complaint about a court in 山西).
        foreign_news = None if headline_places or "#" in item.title else foreign_place
        issue_blocks = self.issue_rules.model_blocks(
            item.title, not item.lead_title, foreign_news, f"{item.title}{item.body}" if item.lead_title else None
        )
        # A place's first case is no part of the model's ``issue_rule`` signal: the model learned that signal from the
        # rule without it, and the signal keeps that meaning (as ``place:N`` keeps reading ``Region.specific``).
        signals = self._signals(item, found, kind, issue_rule)
        model_input = ModelInput(item.title, item.body, publisher, signals)
        issue_rule = issue_rule or first_case
        # The response read again by the rules kept out of the model's signals (``official.revised``).
        response = official.revised(self.official_rules, item, found.response, official_item, self.tagger.foreign_marker)
        sev, sev_evidence = found.severity, found.severity_evidence
        if foreign and sev == Severity.MAJOR:
            # The response clocks are the mainland's (国办发〔2016〕61号, 80号): a foreign incident starts none.
            sev, sev_evidence = Severity.GENERAL, (*sev_evidence, "foreign headline: no response clock here")
        return _Ruled(
            item,
            found.topics,
            found.headline_topics,
            reg,
            sev,
            sev_evidence,
            response,
            official_item,
            issue_rule,
            foreign,
            issue_blocks,
            found.party_work,
            model_input,
            notes,
        )

    def _findings(
        self,
        item: Parsed,
        source_name: str | None,
        feed_url: str | None,
        source_official: bool | None,
        source_region: str | None,
    ) -> Findings:
        """What the lexicons, gazetteer and rules find in an item, from one Aho-Corasick pass over it."""
        hits = self._one_pass.scan(item.title, item.body)
        flags = hits.flags
        gaz = self.gazetteer
        title_places = gaz.mentions(_leftmost_longest(list(hits.title_place))) if hits.title_place else []
        body_places = gaz.mentions(_leftmost_longest(hits.body_place)) if hits.body_place else []
        reg, specific = self._region(item, title_places, body_places, source_name, source_region)
        sev, sev_evidence = severity.assess(
            self.severity_rules, item.title, item.body, bool(flags & _SEVERITY_TRIGGER)
        )
        resp = official.detect(
            self.official_rules,
            item,
            source_name=source_name,
            url=feed_url,
            source_official=source_official,
            triggered=bool(flags & _OFFICIAL_TRIGGER),
            # A gate literal may span title and body when the title is the body's lead.
            present=None if item.lead_title else hits.present,
        )
        foreign_place = self.tagger.foreign_marker(item.title)
        tagged = self.tagger.tag(item, hits.topics, foreign_place is not None)
        return Findings(
            topics=tagged.tags,
            headline_topics=tagged.headline,
            scanned=hits.topics,
            lex_title=[k for k, _s, _e in hits.topics.title_found],
            lex_body=[k for k, _s, _e in hits.topics.body_found],
            title_places=title_places,
            foreign_place=foreign_place,
            party_work=hits.topics.party_work,
            region=reg,
            place_specific=specific,
            severity=sev,
            severity_evidence=sev_evidence,
            response=resp,
        )

    def _region(
        self,
        item: Parsed,
        title_places: list[tuple[str, Any, int]],
        body_places: list[tuple[str, Any, int]],
        source_name: str | None,
        source_region: str | None,
    ) -> tuple[region.Region | None, str]:
        """(the item's region, how specific a place it names) from the place names found in its title and body.

        How specific a place the item names is read from every name found: the model's ``place:N`` signal, learned
        so. Where the item is, though, is read without a name found inside another word (``_whole_words``) and without
        the place a company with a branch elsewhere was registered in (``region.branch_parents``), nor one inside a user's
        name that a repost chain quotes (``region.outside_handles``)."""

        def resolve(title_found: list[tuple[str, Any, int]], body_found: list[tuple[str, Any, int]]) -> region.Region | None:
            publisher = item.publisher or source_name
            found = (title_found, body_found)
            return region.resolve(
                self.gazetteer, item.title, item.body, publisher, source_region, found, headline=not item.lead_title
            )

        reg = resolve(title_places, body_places)
        specific = (reg.specific or reg.code) if reg is not None else ""
        own = (
            region.outside_handles(item.title, region.branch_parents(item.title, self._whole_words(item.title, title_places))),
            region.outside_handles(item.body, region.branch_parents(item.body, self._whole_words(item.body, body_places))),
        )
        if own != (title_places, body_places):
            reg = resolve(*own)
        return reg, specific

    def _whole_words(self, text: str, places: list[tuple[str, Any, int]]) -> list[tuple[str, Any, int]]:
        """``places`` without a name found inside another word («顺应城市» holds 应城市, «滨河北路» 河北, «医保定点» 保定,
        «佛罗里达州» 达州): after a Chinese character, a name counts only where the segmenter starts a word with it
        («湖北省应城市»), or right after another place's name, where the segmenter may err («信阳新县», read as 信 + 阳新 +
        县), or after a word that introduces a place, which its dictionary may hold with the name («从朝阳», «中国香港»,
        «首都北京»)."""
        ends = {pos + len(surface) for surface, _e, pos in places}
        kept = [
            m
            for m in places
            if not (
                m[2] > 0
                and m[2] not in ends
                and "\u4e00" <= text[m[2] - 1] <= "\u9fff"
                and text[m[2] - 1] not in _INTRO_CHARS
                and text[max(0, m[2] - 2) : m[2]] not in _INTRO_WORDS
                and not self.tagger.starts_word(text, m[2])
            )
        ]
        return places if len(kept) == len(places) else kept

    def _signals(
        self,
        item: Parsed,
        found: Findings,
        kind: str | None,
        issue_rule: str | None,
    ) -> tuple[str, ...]:
        """The rules' findings as named model features (see ``classifiers/model.py``)."""
        topics, sev, resp = found.topics, found.severity, found.response
        lex_title, lex_body = found.lex_title, found.lex_body
        lex_t, lex_b = self._lex_signals
        out = [lex_t[k] for k in dict.fromkeys(lex_title)]
        out += [lex_b[k] for k in dict.fromkeys(lex_body)]
        out += [f"rule:{t.slug}" for t in topics]
        out.append(f"publisher:{kind or 'unknown'}")
        cue = self.issue_rules.cue(item.title)
        if cue is not None:
            out.append("cue:" + cue.split(":", 1)[0])
        if issue_rule is not None:
            out.append("issue_rule")
        if "#" in item.title:
            out.append("hashtag")
        if resp.official:
            out.append("response:official")
        if resp.reported:
            out.append("response:reported")
        out += [f"response:{k}" for k in resp.kinds]
        if item.piyao_label is not None:
            out.append(f"piyao:{item.piyao_label}")
        if item.factcheck:
            out.append("factcheck")
        # The item's shape: a headline alone (news wires, Q&A sites), a headline with a body (message
        # boards, articles), a body whose lead stands in for the headline (posts), and the body's length.
        if item.lead_title:
            out.append("shape:body_only")
        elif item.body:
            out.append("shape:title_body")
        else:
            out.append("shape:title_only")
        out.append(f"body_len:{min(len(item.body) // 100, 5)}")
        if sev == Severity.MAJOR:
            out.append("severity:major")
        if found.place_specific:
            # how specific a place the item names (``Region.specific``), not the division it is about
            out.append(f"place:{len(region.trimmed_code(found.place_specific))}")
        return tuple(out)

    def classify_many(self, records: Iterable[Mapping[str, Any]]) -> list[Tags]:
        """Tag records shaped like ``yuqing tag`` input: title, text, optional source metadata (``source_name``,
        ``feed_url``: the URL the item's feed was fetched from, ``source_official``, ``source_region``). An item's
        own link is never evidence that it is official: whoever writes a feed writes its links.

        The model scores the whole batch at once; pass batches (hundreds to thousands of items).
        """
        ruled = [
            self.rules_pass(
                str(r.get("title") or ""),
                str(r.get("text") or ""),
                source_name=r.get("source_name") or r.get("source"),
                feed_url=r.get("feed_url"),
                source_official=r.get("source_official"),
                source_region=r.get("source_region"),
            )
            for r in records
        ]
        model = self.model
        if model is None or not ruled:
            return [self._assemble(r, None, None, -1, {}) for r in ruled]
        inputs = [r.model_input for r in ruled]
        scored = model.score(inputs)
        positive = scored.margin >= model.thresholds
        # Evidence is wanted where the model decides: its topics, official_response where the rules did not
        # already say so, issue where it is not overruled (an official item, a relay).
        wanted = positive.copy()
        k_off, k_issue = model.index.get("official_response"), model.index.get("issue")
        if k_off is not None:
            wanted[:, k_off] &= np.array([not r.response.official for r in ruled])
        if k_issue is not None:
            wanted[:, k_issue] &= np.array([not (r.official_item or r.model_issue_blocked) for r in ruled])
        why = model.explain_all(scored, wanted, inputs)
        return [self._assemble(r, model, scored, row, why) for row, r in enumerate(ruled)]

    def _assemble(
        self,
        r: _Ruled,
        model: LinearModel | None,
        scored: Scored | None,
        row: int,
        explained: dict[tuple[int, int], tuple[tuple[str, float], ...]],
    ) -> Tags:
        topics = list(r.topics)
        resp = r.response
        official_response = resp.official
        response_evidence = resp.evidence
        issue_evidence: tuple[str, ...] = ()
        extra: dict[str, str] = dict(r.notes)
        if r.item.publisher:
            extra["publisher"] = r.item.publisher
        if r.party_work is not None:
            extra["no_topic"] = f"a headline about Party work: {r.party_work}"
        if model is None or scored is None:
            # Without a model: the incident rule, or an on-topic item that is neither official nor a response.
            if r.issue_rule is not None:
                issue, issue_evidence = True, (f"rule: {r.issue_rule}",)
            else:
                issue = bool(topics) and not (r.official_item or resp.reported or r.model_issue_blocked)
                issue_evidence = ("rules: on a topic, not official, not a response",) if issue else ()
        else:
            margin = scored.margin[row]
            positive = margin >= model.thresholds
            by_slug = {t.slug: t for t in topics}
            overruled: list[str] = []
            for slug in self.topic_slugs:
                k = model.index.get(slug)
                if k is None or r.party_work is not None:
                    continue
                lex = by_slug.get(slug)
                if not positive[k]:
                    if lex is not None and r.overrulable(slug) and margin[k] < model.overrule[k]:
                        # the guide's passing mention: the model is sure the terms are not the subject
                        del by_slug[slug]
                        p = _probability(margin[k])
                        overruled.append(f"{slug} by model p={p} over {'/'.join(lex.terms)}")
                    continue
                why = _fmt(explained.get((row, k), ()))
                if lex is not None:
                    by_slug[slug] = TopicTag(slug, lex.score, lex.terms + why, f"{lex.rule}+model")
                else:
                    by_slug[slug] = TopicTag(slug, _probability(margin[k]), why, "model")
            topics = [by_slug[s] for s in self.topic_slugs if s in by_slug]
            if overruled:
                extra["overruled"] = "; ".join(overruled)
            k_off = model.index.get("official_response")
            if k_off is not None and positive[k_off] and not official_response and not r.item.factcheck:
                official_response = True
                response_evidence = (
                    *response_evidence,
                    "model: " + ", ".join(_fmt(explained.get((row, k_off), ()))),
                )
            k_issue = model.index.get("issue")
            # A headline reporting an authority's action is no issue unless the rule finds the incident itself
            # reported in it (labelling guide: «十堰燃气爆炸已致25人死亡，救援仍在进行» is one).
            model_says = bool(k_issue is not None and positive[k_issue])
            by_model = model_says and not r.model_issue_blocked
            official_item = r.official_item or official_response
            issue = (by_model or r.issue_rule is not None) and not official_item
            if k_issue is not None:
                p = _probability(margin[k_issue])
                why = _fmt(explained.get((row, k_issue), ())) if by_model else ()
                issue_evidence = (f"p={p:.2f}", *why)
            if model_says:
                issue_evidence = (*issue_evidence, *r.issue_blocks)
            if r.issue_rule is not None:
                issue_evidence = (*issue_evidence, f"rule: {r.issue_rule}")
            if official_item and (by_model or r.issue_rule is not None):
                issue_evidence = (*issue_evidence, "official: not an issue")
        kinds = resp.kinds
        if official_response and not kinds:
            kinds = (official.FIRST_INFORMATION, official.FIRST_RESPONSE)
        reported_response = resp.reported and not official_response
        if reported_response and r.foreign:
            # A media relay of a foreign authority («伊朗新增1289例…», «韩国…通报») answers no body here: it is
            # no response to link, whatever incident its wording resembles.
            reported_response, kinds = False, ()
            response_evidence = (*response_evidence, "foreign headline: not a response of a body here")
        reg = r.region
        return Tags(
            topics=tuple(topics),
            region_code=reg.code if reg else None,
            region_name=reg.name if reg else None,
            region_evidence=reg.evidence if reg else None,
            severity=r.severity,
            severity_evidence=r.severity_evidence,
            official_response=official_response,
            response_kinds=kinds,
            reported_response=reported_response,
            response_evidence=response_evidence,
            classifier_version=self.version,
            issue=issue,
            issue_evidence=issue_evidence,
            extra=extra,
        )


def _probability(margin: float) -> float:
    return round(1.0 / (1.0 + math.exp(-float(margin))), 3)


def _fmt(features: tuple[tuple[str, float], ...]) -> tuple[str, ...]:
    return tuple(f"{name} {weight:+.2f}" for name, weight in features)


# Words that introduce a place, which the segmenter's dictionary may hold together with the name that follows («从朝阳»,
# «中国香港», «首都北京»): a name right after one of them stands.
_INTRO_CHARS = frozenset("从在到赴去来往至于自向经由回返")
_INTRO_WORDS = frozenset({"中国", "首都", "我国"})
MUNICIPALITIES = frozenset({"11", "12", "31", "50"})  # cities with the rank of a province


__all__ = ["CODE_VERSION", "TOPICS_DIR", "Classifier", "data_version"]
