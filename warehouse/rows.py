"""Query results by column name: ``row.deadline_at``, not ``row[4]``.

``named(con, sql, params)`` returns the rows as named tuples whose fields are the query's column names (its
``AS`` aliases), so a reader names what it reads and a reordered ``SELECT`` cannot shift its meaning. One tuple
type is made per distinct list of columns and reused. ``into(Type, row, …)`` makes a dataclass of such a row when its
columns are named as the dataclass's fields.
"""

from __future__ import annotations

import dataclasses
import json
from collections import namedtuple
from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any, Protocol, TypeVar

import duckdb


class Row(Protocol):
    """A result row: a tuple whose items are also attributes named after the query's columns."""

    def __getattr__(self, name: str) -> Any: ...

    def __getitem__(self, index: int) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...

    def _asdict(self) -> dict[str, Any]: ...


@cache
def _row_type(columns: tuple[str, ...]) -> Any:
    return namedtuple("Row", columns, rename=True)


def named(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> list[Row]:
    """The rows of ``sql`` as named tuples."""
    cursor = con.execute(sql, params) if params is not None else con.execute(sql)
    columns: Sequence[Any] = cursor.description or ()
    row = _row_type(tuple(str(c[0]) for c in columns))
    return [row(*r) for r in cursor.fetchall()]


T = TypeVar("T")


_FIELDS: dict[type, tuple[str, ...]] = {}


def into(cls: type[T], row: Any, **given: Any) -> T:
    """The dataclass ``cls`` with each field read from the attribute of ``row`` of the same name, but for the
    fields ``given`` (converted values, or fields the row does not have)."""
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    return cls(**{name: getattr(row, name) for name in names if name not in given}, **given)


def opened_by(issue: bool | None, evidence: str | None) -> tuple[str, ...] | None:
    """Why an event's opening item opened it, from the item's ``issue`` and the JSON of ``items.evidence->'issue'``:
    the classifier's issue evidence («p=0.46», «rule: first case: 确诊首例; place named»); ``()`` where the item is no
    issue (an official source's report of a major emergency elsewhere, or an item re-classified since); None where the
    item is not found or is an issue without recorded evidence."""
    if issue is None:
        return None
    if not issue:
        return ()
    found = json.loads(evidence) if evidence else None
    return tuple(str(e) for e in found) if isinstance(found, list) and found else None
