"""Which characters of feed text are kept, and what reaches a terminal.

**Stored text** (titles, summaries, at ingest: ``sources.entries.collapse``) keeps everything printable. C0 and C1
control characters (ESC, BEL, …) become spaces, and the bidirectional embedding, override and isolate controls
(U+202A–U+202E, U+2066–U+2069, and the marks U+200E, U+200F, U+061C) are dropped: they can reorder or hide what
an analyst reads, and no news title needs them. Other format characters stay (the zero-width joiner holds emoji
together). Migration 009 applied the same to text stored before.

**A terminal** (every human-readable line ``yuqing`` prints) gets the same, whatever the text's origin (a source's
name, an error message, text stored by an older version): control characters other than newline and tab, and the
bidi controls, are replaced by U+FFFD, so a clear-screen or a window-title sequence is shown, not obeyed.
Machine-readable output (``yuqing tag``, ``--json``) is JSON, which escapes control characters itself.
"""

from __future__ import annotations

import io
from typing import TextIO

BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_CONTROLS = [*range(0x00, 0x20), *range(0x7F, 0xA0)]

# At ingest: controls to spaces (then collapsed with the other whitespace), bidi controls removed.
STORED: dict[int, str | None] = {cp: " " for cp in _CONTROLS} | {ord(c): None for c in BIDI_CONTROLS}
# On a terminal: both shown as U+FFFD; newline and tab kept (they lay out the CLI's own tables).
TERMINAL: dict[int, str | None] = {cp: "\ufffd" for cp in _CONTROLS if cp not in (0x0A, 0x09)}
TERMINAL.update({ord(c): "\ufffd" for c in BIDI_CONTROLS})


def stored_text(text: str) -> str:
    return text.translate(STORED)


def terminal_text(text: str) -> str:
    return text.translate(TERMINAL)


class TerminalWriter(io.TextIOBase):
    """A text stream that writes ``terminal_text`` of everything to ``target``."""

    def __init__(self, target: TextIO) -> None:
        self._target = target

    def write(self, s: str) -> int:
        self._target.write(terminal_text(s))
        return len(s)

    def flush(self) -> None:
        self._target.flush()

    def isatty(self) -> bool:
        return self._target.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._target.encoding


def pad_columns(text: str, width: int) -> str:
    """Left-justify counting CJK characters as two columns, so terminal tables line up."""
    cols = sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
    return text + " " * max(1, width - cols)
