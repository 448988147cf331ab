"""The rules file is checked by its schema: a bad value names the file, the line, the rule and the key."""

from __future__ import annotations

import pytest

from yuqing.errors import ConfigError
from yuqing.track.deadlines import RULES_PATH, parse_rules

BASE = RULES_PATH.read_text(encoding="utf-8")
OVERRIDE = '\n[[override]]\nid = "44.x"\nregion_prefix = "44"\nseverity = "general"\nmilestone = "first_response"\nhours = 24\n'


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_the_shipped_rules() -> None:
    rules = parse_rules(BASE)
    assert [(d.rule_id, d.hours, d.satisfied_by) for d in rules.deadlines] == [
        ("national.major.first_information", 5.0, ("first_information", "press_conference")),
        ("national.major.press_conference", 24.0, ("press_conference",)),
        ("national.general.first_response", 48.0, ("*",)),
    ]
    assert rules.clock == "event_start" and rules.link_window_days == 30.0 and rules.overrides == ()
    with_override = parse_rules(BASE + OVERRIDE)
    assert [(o.rule_id, o.region_prefix, o.hours, o.source_document) for o in with_override.overrides] == [
        ("44.x", "44", 24.0, None)
    ]


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("hours = 5", "hours = -5", ["rule 'national.major.first_information': hours: must be a positive number"]),
        ("hours = 5", 'hours = "5"', ["hours: must be a number, got a string"]),
        ('severity = "major_emergency"', 'severity = "major"', ["severity: must be one of", "'major'"]),
        ("window_days = 30", "window_days = 0", ["[linking]: 'window_days' must be a positive number"]),
        ('satisfied_by = ["press_conference"]', 'satisfied_by = ["presser"]', ["satisfied_by", "presser"]),
        ('id = "national.general.first_response"', 'rule_id = "x"', ["rule #3: rule_id: unknown key 'rule_id'"]),
        ('clock = "event_start"', 'clock = "later"', ["'clock' must be one of", "'later'"]),
        ("[linking]", "[linkin]", ["unknown key 'linkin'", "linking"]),
    ],
)
def test_a_bad_rule_names_its_line_and_key(old: str, new: str, words: list[str]) -> None:
    text = BASE.replace(old, new, 1)
    with pytest.raises(ConfigError) as info:
        parse_rules(text, where="rules.toml")
    message = str(info.value)
    assert message.startswith(f"rules.toml:{_line_of(text, new)}: "), message
    for word in words:
        assert word in message, message


def test_a_rule_without_its_keys_and_a_bad_override() -> None:
    with pytest.raises(ConfigError, match=r"^rules\.toml:1: has no version$"):
        parse_rules(BASE.replace('version = "2016-61-80.v1"', ""), where="rules.toml")
    text = BASE + OVERRIDE.replace('region_prefix = "44"', 'region_prefix = "4"')
    with pytest.raises(ConfigError) as info:
        parse_rules(text, where="rules.toml")
    line = _line_of(text, '\nregion_prefix = "4"') + 1
    assert str(info.value).startswith(f"rules.toml:{line}: override '44.x': "), info.value
    with pytest.raises(ConfigError, match=r"override .44\.x.: has no hours"):
        parse_rules(BASE + OVERRIDE.replace("hours = 24\n", ""), where="rules.toml")
