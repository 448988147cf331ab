"""Severity proposal: ``major_emergency`` for grade I/II wording or casualty counts, else ``general``.

国办发〔2016〕80号 ties the 5 h / 24 h milestones to 特别重大、重大突发事件; the thresholds (≥10 deaths,
≥50 serious injuries …) follow 生产安全事故报告和调查处理条例 §3 and live in ``data/severity.toml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import ahocorasick_rs as acr

from classifiers.lexicon import DATA_DIR, load_toml
from yuqing.vocab import Severity

MAJOR = Severity.MAJOR.value
GENERAL = "general"
NEGATION_WINDOW = 8  # prevention talk ("坚决防范遏制重大事故") is not an event
_SENTENCE_ENDS = ("。", "！", "？", "!", "?", "；", ";")

_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
_NUM = r"[0-9０-９]+(?:\.[0-9]+)?万?|[零〇一二两三四五六七八九十百千万]+"
_KINDS = "死亡|遇难|罹难|身亡|丧生|殒命|失联|失踪|被困|重伤|受伤|中毒"
# "造成11人死亡", "致13名矿工遇难", "十一人死亡". A count and its kind are in one phrase: no punctuation, hashtag mark
# or bracket between them («#黄冈处理处分党员干部337人#看非自然死亡» counts no deaths).
_GAP = r"[^0-9，。；、,;#＃【】！？!?]"
_COUNT_BEFORE = re.compile(rf"(?P<num>{_NUM})\s*(?:人|名|位){_GAP}{{0,5}}?(?P<kind>{_KINDS})")
# "死亡11人", "遇难人数升至25人"
_COUNT_AFTER = re.compile(rf"(?P<kind>{_KINDS})(?:人数)?(?:{_GAP}{{0,4}}?)(?P<num>{_NUM})\s*(?:人|名)")
# "致1死3伤", "3死2伤": the short form of news headlines
_COUNT_SHORT = re.compile(rf"(?P<num>{_NUM})(?P<kind>死|伤)(?![亡者])")
_KIND_CLASS = {
    "死": "deaths",
    "伤": "hurt",
    "死亡": "deaths",
    "遇难": "deaths",
    "罹难": "deaths",
    "身亡": "deaths",
    "丧生": "deaths",
    "殒命": "deaths",
    "失联": "missing",
    "失踪": "missing",
    "被困": "missing",
    "重伤": "injured",
    "受伤": "hurt",
    "中毒": "poisoned",
}


def parse_cn_number(s: str) -> int | None:
    """Parse Arabic or Chinese numerals: '11', '１１', '十一', '两百零三', '1.2万', '三万五千'."""
    s = s.strip().translate(_FULLWIDTH)
    if not s:
        return None
    if s[0].isdigit():
        mult = 1
        if s.endswith("万"):
            s, mult = s[:-1], 10000
        try:
            return int(float(s) * mult)
        except ValueError:
            return None
    total = 0
    section = 0
    digit = 0
    seen = False
    for ch in s:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
            seen = True
        elif ch in _UNITS:
            section += (digit or 1) * _UNITS[ch]
            digit = 0
            seen = True
        elif ch == "万":
            total += (section + digit) * 10000
            section = digit = 0
            seen = True
        else:
            return None
    return total + section + digit if seen else None


@dataclass(frozen=True, slots=True)
class SeverityRules:
    death_threshold: int
    serious_injury_threshold: int
    missing_threshold: int
    poisoned_threshold: int
    grade: tuple[re.Pattern[str], ...]
    events: tuple[re.Pattern[str], ...]
    needs_count: tuple[re.Pattern[str], ...]
    mass_poisoning_min: int
    negations: tuple[str, ...]
    sentence_negations: tuple[str, ...]
    triggers: acr.AhoCorasick
    trigger_words: tuple[str, ...]
    # The words by which a headline names an incident or an emergency: ``headline_incident`` and the triggers.
    headline_words: acr.AhoCorasick

    @classmethod
    def load(cls, path: Path = DATA_DIR / "severity.toml") -> SeverityRules:
        raw = load_toml(path)
        return cls(
            death_threshold=int(raw["death_threshold"]),
            serious_injury_threshold=int(raw["serious_injury_threshold"]),
            missing_threshold=int(raw["missing_threshold"]),
            poisoned_threshold=int(raw["poisoned_threshold"]),
            grade=tuple(re.compile(p) for p in raw["grade_patterns"]),
            events=tuple(re.compile(p) for p in raw["event_patterns"] if p not in raw["event_needs_count"]),
            needs_count=tuple(re.compile(p) for p in raw["event_needs_count"]),
            mass_poisoning_min=int(raw["mass_poisoning_min"]),
            negations=tuple(raw["negations"]),
            sentence_negations=tuple(raw["sentence_negations"]),
            triggers=acr.AhoCorasick(list(raw["triggers"])),
            trigger_words=tuple(raw["triggers"]),
            headline_words=acr.AhoCorasick([*raw.get("headline_incident", ()), *raw["triggers"]]),
        )

    def names_incident(self, headline: str) -> bool:
        """Whether a headline names an incident or an emergency (``headline_incident`` or a trigger)."""
        return bool(self.headline_words.find_matches_as_indexes(headline))


def casualties(text: str) -> list[tuple[str, int, str]]:
    """(class, number, matched wording) for every casualty count in ``text``."""
    out: list[tuple[str, int, str]] = []
    for rx in (_COUNT_BEFORE, _COUNT_AFTER, _COUNT_SHORT):
        for m in rx.finditer(text):
            before = text[max(0, m.start() - 4) : m.start()]
            after = text[m.end() : m.end() + 2]
            if "累计" in before or "病例" in after or "病例" in m.group(0):
                continue  # epidemic statistics, not an incident's toll
            n = parse_cn_number(m.group("num"))
            if n is not None:
                out.append((_KIND_CLASS[m.group("kind")], n, m.group(0)))
    return out


def assess(
    rules: SeverityRules, title: str, body: str, triggered: bool | None = None
) -> tuple[str, tuple[str, ...]]:
    """``triggered``: whether a trigger is in title or body, if the caller knows."""
    if triggered is None:
        triggered = bool(rules.triggers.find_matches_as_indexes(title + "。" + body))
    if not triggered:
        return GENERAL, ()
    if title and not rules.names_incident(title):
        return GENERAL, ()  # the body's wording is background to the headline's matter
    text = title + "。" + body
    evidence: list[str] = []
    counts = casualties(text)
    limits = {
        "deaths": rules.death_threshold,
        "missing": rules.missing_threshold,
        "injured": rules.serious_injury_threshold,
        "poisoned": rules.poisoned_threshold,
    }
    for kind, n, wording in counts:
        limit = limits.get(kind)
        if limit is not None and n >= limit:
            evidence.append(f"{kind}={n}: {wording}")

    def negated(start: int, end: int) -> bool:
        around = text[max(0, start - NEGATION_WINDOW) : end + NEGATION_WINDOW]
        if any(neg in around for neg in rules.negations):
            return True
        # A condition, a supposition or a time years ago («如果货车出现自燃，发生爆炸», «前几年…锅炉爆炸事件») holds to
        # its sentence's end.
        sentence = text[max(text.rfind(stop, 0, start) for stop in _SENTENCE_ENDS) + 1 : start]
        return any(h in sentence for h in rules.sentence_negations)

    for rx in rules.grade:
        for m in rx.finditer(text):
            if not negated(m.start(), m.end()):
                evidence.append(f"grade wording: {m.group(0)}")
                break
    # An event type that is major by nature (a gas explosion, a collapse) is not when the report states a
    # toll under the thresholds: «燃气爆炸致1死3伤» is a general incident (docs/design.md "Severity").
    stated_below = bool(counts) and not evidence
    for rx in rules.events:
        if stated_below:
            break
        for ev in rx.finditer(text):
            if not negated(ev.start(), ev.end()):
                evidence.append(f"event: {ev.group(0)}")
                break
    for rx in rules.needs_count:
        nc = rx.search(text)
        if nc:
            victims = max((n for kind, n, _w in counts if kind in ("poisoned", "hurt")), default=0)
            if victims >= rules.mass_poisoning_min:
                evidence.append(f"mass poisoning ({victims}): {nc.group(0)}")
    return (MAJOR, tuple(evidence)) if evidence else (GENERAL, ())
