"""Line numbers for the errors in hand-written TOML files (sources.toml, routes.toml)."""

from __future__ import annotations

import pytest

from yuqing.digest.routes import parse_routes
from yuqing.errors import ConfigError
from yuqing.tomllines import TomlLines

TEXT = """\
title = "x"
[defaults]
due_within_hours = 12

[[route]]
name = "a"
recipients = ["a@example.gov.cn"]
all = true

[[route]]
name = "b"
'recipients' = ["b@example.gov.cn"]
topicz = ["wage_arrears"]
"""


def test_tables_and_keys_are_found_in_their_own_table() -> None:
    lines = TomlLines(TEXT)
    assert lines.table("route", 0) == 5
    assert lines.table("route", 1) == 10
    assert lines.table("route", 2) == 0
    assert lines.table("defaults") == 2
    assert lines.key("recipients", "route", 1) == 12  # quoted key
    assert lines.key("topics", "route", 0) == 5  # not written there: its header
    assert lines.key("due_within_hours", "defaults") == 3
    assert lines.top_level("title") == 1


def test_a_route_error_names_the_line_of_its_key() -> None:
    with pytest.raises(ConfigError, match=r"^routes\.toml:12: route #2: topicz: unknown key"):
        parse_routes(TEXT.replace('title = "x"\n', ""), where="routes.toml")
