"""The one mechanism that checks hand-written TOML files: what an error says and where it points."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import Field

from yuqing.errors import ConfigError
from yuqing.tomlschema import Document, Table, matching, numbered, parse


class _Entry(Table):
    name: Annotated[str, matching(r"[a-z]+", "needs a lower-case name")]
    size: Annotated[int, Field(ge=1, le=9)] = 1
    on: bool = False


class _Settings(Table):
    depth: float = 1.0


class _File(Table):
    version: str
    settings: _Settings = Field(default_factory=_Settings)
    entry: list[_Entry] = Field(default_factory=list)


GOOD = 'version = "1"\n\n[settings]\ndepth = 2.5\n\n[[entry]]\nname = "a"\n\n[[entry]]\nname = "b"\nsize = 3\n'


def _error(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse(text, _File, where="f.toml", labels={"entry": numbered("entry")})
    return str(info.value)


def test_a_good_file_is_its_model() -> None:
    checked = parse(GOOD, _File, where="f.toml")
    assert checked.settings.depth == 2.5
    assert [(e.name, e.size, e.on) for e in checked.entry] == [("a", 1, False), ("b", 3, False)]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        # a key of an entry: the line of the key, the entry, the key, what is wrong
        (lambda t: t.replace("size = 3", "size = 30"), "f.toml:11: entry #2: size: must be at most 9, got 30"),
        (lambda t: t.replace("size = 3", 'size = "3"'), "f.toml:11: entry #2: size: must be an integer, got a string"),
        (lambda t: t.replace('name = "b"', 'name = "B"'), "f.toml:10: entry #2: name: needs a lower-case name, got 'B'"),
        (lambda t: t + "on = 1\n", "f.toml:12: entry #2: on: must be true or false, got a number"),
        # a misspelt key is named before the key it leaves missing, with the keys that exist
        (lambda t: t.replace('name = "b"', 'nmae = "b"'), "f.toml:10: entry #2: nmae: unknown key 'nmae' (known: name, on, size)"),
        # a key an entry lacks points at the entry's header
        (lambda t: t.replace('name = "b"\n', ""), "f.toml:9: entry #2: has no name"),
        # a key of a [table], and top-level keys
        (lambda t: t.replace("depth = 2.5", "depth = true"), "f.toml:4: [settings]: 'depth' must be a number, got a boolean"),
        (lambda t: t.replace('version = "1"', "version = 1"), "f.toml:1: 'version' must be a string, got a number"),
        (lambda t: "colour = 1\n" + t, "f.toml:1: unknown key 'colour' (known: entry, settings, version)"),
        (lambda t: 'version = "1"\n\n[entry]\nname = "a"\n', "f.toml:3: 'entry' must be a list, got a table"),
    ],
)  # fmt: skip
def test_the_first_problem_names_file_line_entry_and_key(edit: object, message: str) -> None:
    assert _error(edit(GOOD)) == message  # type: ignore[operator]


def test_invalid_toml_keeps_tomllib_position() -> None:
    assert _error('version = "1\n').startswith("f.toml: invalid TOML: ")
    assert "line 1" in _error('version = "1\n')


def test_a_check_across_entries_reports_through_the_document() -> None:
    doc = Document(GOOD, where="f.toml", labels={"entry": numbered("entry")})
    checked = doc.validate(_File)
    assert checked.version == "1"
    error = doc.error(("entry", 1, "name"), "the same name as line 7")
    assert str(error) == "f.toml:10: entry #2: name: the same name as line 7"
    plain = doc.error(("entry", 1, "name"), "duplicate name 'b'", name_key=False)
    assert str(plain) == "f.toml:10: entry #2: duplicate name 'b'"
