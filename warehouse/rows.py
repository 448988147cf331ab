"""Query results by column name: ``row.deadline_at``, not ``row[4]``.

``named(con, sql, params)`` returns the rows as named tuples whose fields are the query's column names (its
``AS`` aliases), so a reader names what it reads and a reordered ``SELECT`` cannot shift its meaning. One tuple
type is made per distinct list of columns and reused.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any, Protocol

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
