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
from dataclasses import dataclass
from pathlib import Path

from classifiers.lexicon import DATA_DIR, load_toml


def _rx(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns) if patterns else "(?!)")


@dataclass(frozen=True, slots=True)
class IssueRules:
    incident: re.Pattern[str]
    complaint: re.Pattern[str]
    outbreak: re.Pattern[str]
    count: re.Pattern[str]
    instance: re.Pattern[str]
    not_a_report: re.Pattern[str]
    outside: re.Pattern[str]
    round_up: re.Pattern[str]

    @classmethod
    def load(cls, path: Path = DATA_DIR / "issue.toml") -> IssueRules:
        raw = load_toml(path)
        return cls(**{name: _rx(list(raw.get(name, []))) for name in cls.__dataclass_fields__})

    def cue(self, title: str) -> str | None:
        """The wording that makes the headline an incident, complaint or outbreak report (None: none)."""
        for kind, rx in (("incident", self.incident), ("complaint", self.complaint), ("outbreak", self.outbreak)):
            m = rx.search(title)
            if m is not None:
                return f"{kind}: {m.group(0)}"
        return None

    def report(self, title: str, place_level: int, foreign: bool) -> str | None:
        """Evidence when ``title`` is a live report of a specific domestic incident or complaint, else None.

        ``place_level``: digits of the item's region code once trimmed (2 province, 4 city, 6 county; 0
        none); ``foreign``: the headline names a foreign place and no domestic one.
        """
        if "#" in title or foreign or self.outside.search(title):
            return None  # a hashtag is a Weibo topic tag, not a report
        cue = self.cue(title)
        if cue is None:
            return None
        # A new local case or cluster is an issue even when relayed from a notice («最新通报！广州新增4例本土
        # 确诊»); a round-up of figures is not. Other reports must not be advice, a finding, a verdict …
        blocker = self.round_up if cue.startswith("outbreak") else self.not_a_report
        if blocker.search(title):
            return None
        if place_level >= 4:
            return f"{cue}; place named"
        m = self.count.search(title)
        if m is not None:
            return f"{cue}; count: {m.group(0)}"
        if place_level >= 2 and (m := self.instance.search(title)) is not None:
            return f"{cue}; instance: {m.group(0)}"
        return None
