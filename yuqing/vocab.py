"""The product's fixed vocabulary, in one place: severities, milestones (and the response kinds that meet them),
region levels. Topics are data: their slugs, Chinese names and order are read from the topic files
(``classifiers.lexicon.topic_vocabulary``).

Members are ``StrEnum``s: each is its string (``Severity.MAJOR == "major_emergency"``), so stored values, JSON
and SQL stay plain strings.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Severity(StrEnum):
    """An event's severity, in increasing order (docs/design.md "Events, responses, deadlines")."""

    GENERAL = "general"
    MAJOR = "major_emergency"  # 重大突发: 5 h first information, 24 h press conference


class Milestone(StrEnum):
    """A response deadline's milestone, and the kind of official response that meets it."""

    FIRST_INFORMATION = "first_information"  # 首次权威信息发布, 国办发〔2016〕80号: 5 h
    PRESS_CONFERENCE = "press_conference"  # 新闻发布会, 国办发〔2016〕61号、80号: 24 h
    FIRST_RESPONSE = "first_response"  # 首次回应, 国办发〔2016〕61号: 48 h


class RegionLevel(IntEnum):
    """How precisely a GB/T 2260 code names a place: the digits that name it, halved."""

    PROVINCE = 1  # 42
    CITY = 2  # 4203
    COUNTY = 3  # 420303


SEVERITIES: tuple[str, ...] = tuple(s.value for s in Severity)  # increasing
MILESTONES: tuple[str, ...] = tuple(m.value for m in Milestone)
