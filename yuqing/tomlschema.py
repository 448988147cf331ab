"""The one way a hand-written TOML file is checked: a pydantic model per file, and errors that name the line.

Each file (``sources.toml``, ``rules.toml``, ``routes.toml``) declares its tables as :class:`Table` models: the
keys, their types and their checks live in the model, nothing is coerced (``"5"`` is not a number), and an unknown
key is an error. :func:`parse` reads the text and validates it; the first problem becomes a :class:`ConfigError`
that ops can act on, ``file:line: what: message``, the line found by :class:`yuqing.tomllines.TomlLines`.

A check that needs its own words raises ``ValueError(message)`` in a validator; the message is used as written.
"""

from __future__ import annotations

import re
import tomllib
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

from yuqing.errors import ConfigError
from yuqing.tomllines import TomlLines

M = TypeVar("M", bound=BaseModel)

# (index in its array, the table as written) -> how a message names one [[table]]: "source '澎湃新闻'", "route #2"
Label = Callable[[int, Any], str]
# (key, message) -> the error for a check across the keys of one [[table]] entry (Document.fail_at)
Fail = Callable[[str, str], ConfigError]


class Table(BaseModel):
    """A table of a hand-written file: unknown keys are errors, values are taken as written."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def matching(pattern: str, message: str) -> AfterValidator:
    """A string value that must match ``pattern`` (``Annotated[str, matching(…)]``); ``message`` otherwise, after
    which the value is quoted."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{message}, got {value!r}")
        return value

    return AfterValidator(check)


def numbered(kind: str) -> Label:
    """Name the n-th ``[[kind]]`` by its place in the file: ``route #2``."""
    return lambda index, _raw: f"{kind} #{index + 1}"


class Document:
    """A hand-written TOML file, read: its data, and errors located by key path (``("route", 1, "topics")``)."""

    def __init__(self, text: str, *, where: str, labels: Mapping[str, Label] | None = None) -> None:
        self.where = where
        self.labels = dict(labels or {})
        try:
            self.data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            # tomllib's message already ends with "(at line N, column M)".
            raise ConfigError(f"{where}: invalid TOML: {e}") from e
        self.lines = TomlLines(text)

    def validate(self, schema: type[M]) -> M:
        """The data checked against ``schema``; the first problem as a ConfigError naming its line."""
        try:
            return schema.model_validate(self.data)
        except ValidationError as e:
            errors = e.errors(include_url=False)
            # A misspelt key is the likelier cause of a missing one: say it first.
            error = next((x for x in errors if x["type"] == "extra_forbidden"), errors[0])
            message = _message(error, _model_at(schema, error["loc"]))
            # "has no name" names its key itself; every other message follows the key it is about.
            raise self.error(error["loc"], message, name_key=error["type"] != "missing") from None

    def error(self, loc: tuple[int | str, ...], message: str, *, name_key: bool = True) -> ConfigError:
        """``file:line: entry: key: message`` for a problem at ``loc`` (also a check across keys or tables);
        without ``key:`` when the message says which key itself (``name_key`` false)."""
        table, index, key = _split(loc)
        lines = self.lines
        if table is None:  # a top-level key
            return ConfigError(
                f"{self.where}:{lines.top_level(str(key)) if key is not None else 1}: {message}"
            )
        if index is None:  # a key of a [table]
            line = (lines.key(str(key), table) if key is not None else lines.table(table)) or lines.top_level(
                table
            )
            return ConfigError(f"{self.where}:{line}: [{table}]: {message}")
        # a key of the index-th [[table]]: the entry's name, then the key (but for a key it lacks)
        line = (lines.key(str(key), table, index) if key is not None else lines.table(table, index)) or 1
        label = self.labels.get(table)
        entry = label(index, self.entry(table, index)) if label else f"[[{table}]] #{index + 1}"
        named = f"{key}: " if key is not None and name_key else ""
        return ConfigError(f"{self.where}:{line}: {entry}: {named}{message}")

    def fail_at(self, table: str, index: int) -> Fail:
        """How a check across the keys of the index-th ``[[table]]`` reports: ``fail(key, message)``."""
        return lambda key, message: self.error((table, index, key), message)

    def entry(self, table: str, index: int) -> Any:
        """The index-th ``[[table]]`` as written (None when there is none)."""
        entries = self.data.get(table)
        return entries[index] if isinstance(entries, list) and index < len(entries) else None


def parse(text: str, schema: type[M], *, where: str, labels: Mapping[str, Label] | None = None) -> M:
    """``text`` read as TOML and checked against ``schema``; a ``ConfigError`` naming the line otherwise.

    ``labels`` says how a message names an entry of each array of tables (default ``[[name]] #n``)."""
    return Document(text, where=where, labels=labels).validate(schema)


def _split(loc: tuple[int | str, ...]) -> tuple[str | None, int | None, str | int | None]:
    """(table, index in its array, key) of an error's location; list items report their list's key."""
    if len(loc) == 1:
        return None, None, loc[0]
    head, second = str(loc[0]), loc[1]
    if isinstance(second, int):
        return head, second, loc[2] if len(loc) > 2 else None
    return head, None, second


def _model_at(schema: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model whose key ``loc`` names (to list the known keys when one is unknown)."""
    model: type[BaseModel] | None = schema
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        model = _inner_model(field.annotation) if field is not None else None
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _inner_model(arg)
            if found is not None:
                return found
    return None


_MUST_BE = {
    "string_type": "a string",
    "bool_type": "true or false",
    "int_type": "an integer",
    "float_type": "a number",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
}


def _message(error: ErrorDetails, model: type[BaseModel] | None) -> str:
    """What is wrong, in words; the key is named by the location (in an entry) or here (elsewhere)."""
    loc, kind = error["loc"], error["type"]
    ctx = error.get("ctx") or {}
    key = _split(loc)[2]
    in_entry = len(loc) > 1 and isinstance(loc[1], int)
    what = "" if in_entry else (f"{key!r} " if isinstance(key, str) else "")
    if kind == "extra_forbidden":
        known = f" (known: {', '.join(sorted(model.model_fields))})" if model is not None else ""
        return f"unknown key {key!r}{known}"
    if kind == "missing":
        return f"has no {key}"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", error["msg"]))
    got = error.get("input")
    if kind in _MUST_BE:
        return f"{what}must be {_MUST_BE[kind]}, got {_toml_type(got)}"
    if kind == "greater_than" and ctx.get("gt") == 0:
        return f"{what}must be a positive number, got {got!r}"
    if kind in _BOUNDS:
        return f"{what}must be {_BOUNDS[kind]} {next(iter(ctx.values()))}, got {got!r}"
    if kind in ("literal_error", "enum"):
        return f"{what}must be one of {ctx.get('expected')}, got {got!r}"
    return f"{what}{error['msg']}".strip()


_BOUNDS = {
    "greater_than": "greater than",
    "greater_than_equal": "at least",
    "less_than": "less than",
    "less_than_equal": "at most",
}


def _toml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__
