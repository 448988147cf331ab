"""Event tracking: group items into events, link official responses, compute response deadlines.

Pure deciders: ``grouping.group``, ``responses.link``, ``deadlines.milestones``; the runner
``run.run_track`` does the I/O through ``warehouse/events.py``.
"""

from .deadlines import Rules, load_rules, milestones, parse_rules
from .grouping import Grouping, GroupingParams, group
from .model import Deadline, Event, Milestone, Response, TrackItem
from .responses import LinkParams, link

__all__ = [
    "Deadline",
    "Event",
    "Grouping",
    "GroupingParams",
    "LinkParams",
    "Milestone",
    "Response",
    "Rules",
    "TrackItem",
    "group",
    "link",
    "load_rules",
    "milestones",
    "parse_rules",
]
