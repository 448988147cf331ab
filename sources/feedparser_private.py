"""The fast feed path's one door into feedparser's internals, opened only for the versions it was checked against.

``sources/parse.py`` reads plain RSS 2.0 and Atom 1.0 itself (``_fast_feed``) and must agree with feedparser to the
character, so it calls four of feedparser's private helpers: its date parser, its cp1252 table for C1 controls,
its URL join and its "does this look like HTML" test. They are imported here and nowhere else. When the installed
feedparser is not a version listed in ``CHECKED`` (``tests/sources/test_src_parse_fast.py`` compares the two paths
on every bundled feed), or one of the helpers is missing, ``AVAILABLE`` is False, ``REASON`` says why, and every body
goes through ``feedparser.parse``, the public path: slower, never different.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import feedparser

# feedparser releases (major, minor) whose private helpers the fast path was compared against.
CHECKED: tuple[tuple[int, int], ...] = ((6, 0),)


def unchecked_reason(version: str) -> str | None:
    """Why the fast path may not use feedparser ``version``'s internals; None when it may."""
    try:
        major, minor = (int(x) for x in version.split(".")[:2])
    except ValueError:
        return f"feedparser {version!r}: version not understood"
    if (major, minor) not in CHECKED:
        return f"feedparser {version}: the fast path was checked against {', '.join(f'{a}.{b}' for a, b in CHECKED)}"
    return None


def _unavailable(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError(f"feedparser's internals are not used: {REASON}")


parse_date: Callable[[str], Any] = _unavailable
urljoin: Callable[[str, str], str] = _unavailable
looks_like_html: Callable[[str], bool] = _unavailable
cp1252: dict[int, str] = {}

REASON = unchecked_reason(feedparser.__version__) or ""
if not REASON:
    try:
        from feedparser.datetimes import _parse_date
        from feedparser.html import _cp1252
        from feedparser.mixin import _FeedParserMixin
        from feedparser.urls import _urljoin

        parse_date, urljoin, cp1252 = _parse_date, _urljoin, _cp1252
        looks_like_html = _FeedParserMixin.looks_like_html
    except (ImportError, AttributeError) as e:
        REASON = f"feedparser {feedparser.__version__}: {e}"
AVAILABLE = not REASON
