"""Where a key of a hand-written TOML file is, for error messages that name the line ops must fix.

``tomllib`` gives values without positions. ``TomlLines`` scans the text for table headers and ``key =`` lines,
which is enough for the files people edit (``sources.toml``, ``routes.toml``: one key a line). The sources and
routes parsers both read their line numbers here.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?")


class TomlLines:
    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        # (0-based line, table name, is an array of tables) of every header, in order
        self.headers: list[tuple[int, str, bool]] = []
        for index, line in enumerate(self.lines):
            m = _HEADER.match(line)
            if m:
                self.headers.append((index, m.group(2), m.group(1) == "[["))

    def _header(self, table: str, n: int | None) -> int | None:
        """0-based line of the n-th ``[[table]]`` (``n`` None: of ``[table]``)."""
        seen = -1
        for index, name, is_array in self.headers:
            if name == table and is_array == (n is not None):
                seen += 1
                if n is None or seen == n:
                    return index
        return None

    def table(self, table: str, n: int | None = None) -> int:
        """1-based line of the n-th ``[[table]]`` header (``n`` None: ``[table]``); 0 when there is none."""
        start = self._header(table, n)
        return 0 if start is None else start + 1

    def key(self, key: str, table: str, n: int | None = None) -> int:
        """1-based line of ``key = …`` inside that table; its header's line when the key is not written there
        (0 when the table is not)."""
        start = self._header(table, n)
        if start is None:
            return 0
        pattern = re.compile(
            r"^\s*(?:" + re.escape(key) + r'|"' + re.escape(key) + r'"|' + re.escape(f"'{key}'") + r")\s*[=.]"
        )
        for index in range(start + 1, len(self.lines)):
            line = self.lines[index]
            if _HEADER.match(line):
                break
            if pattern.match(line):
                return index + 1
        return start + 1

    def top_level(self, key: str) -> int:
        """1-based line of the first ``key = …``, ``[key]`` or ``[[key]]``, anywhere; 1 when not found."""
        pattern = re.compile(r"^\s*(?:\[\[?\s*)?[\"']?" + re.escape(key) + r"[\"']?\s*(?:[=.\]])")
        for index, line in enumerate(self.lines):
            if pattern.match(line):
                return index + 1
        return 1
