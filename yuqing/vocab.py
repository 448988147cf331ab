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


class ReleaseRelay(StrEnum):
    """The response evidence of a report that carries an authority's own release in its text (``official.revised``):
    such a report may answer the event it opens, since the release it relays is the authority's information on the
    matter (labelling guide: «the quote may satisfy a milestone»)."""

    CONFIRMATION = "an authority's confirmation relayed"  # «吉林卫健委：昨天…», «国家卫健委确认…»
    PRESS_CONFERENCE = "an authority's press conference relayed"  # «烟台市政府新闻办召开发布会，承认了…»


class RegionLevel(IntEnum):
    """How precisely a GB/T 2260 code names a place: the digits that name it, halved."""

    PROVINCE = 1  # 42
    CITY = 2  # 4203
    COUNTY = 3  # 420303


SEVERITIES: tuple[str, ...] = tuple(s.value for s in Severity)  # increasing
MILESTONES: tuple[str, ...] = tuple(m.value for m in Milestone)
