"""Kinds of source: what a source file's ``kind = "…"`` names, and how a body of that kind becomes entries.

Every kind is retrieved the same way, by ``sources/http.py`` (conditional GET, per-host politeness, deadlines,
body caps, redirects checked against the address policy), and its body is turned into ``RawEntry`` rows (title,
link, published time, summary) by the kind's parser. From there on nothing depends on the kind: normalising,
classifying, storing and tracking see items.

``feed`` (RSS, Atom, RDF through feedparser) is the first kind. docs/design.md, "Where to put a new …", says how a
second is added; tests/sources/test_src_kinds.py adds a JSON API kind that way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sources.parse import ParsedFeed, parse_feed

# body, url (as requested), final_url (after redirects), response headers -> the entries; raises ParseError
Parser = Callable[..., ParsedFeed]


@dataclass(frozen=True, slots=True)
class SourceKind:
    name: str
    parse: Parser
    description: str = ""


_KINDS: dict[str, SourceKind] = {}


def register(kind: SourceKind) -> SourceKind:
    """Make ``kind`` known to the sources file and the ingest (a second registration of a name replaces the
    first). Register at import time of a module every process imports: ingest's worker processes parse too."""
    _KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    if name == "feed":
        raise ValueError("the feed kind cannot be removed")
    _KINDS.pop(name, None)


def known() -> tuple[str, ...]:
    return tuple(sorted(_KINDS))


def kind_of(name: str) -> SourceKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise KeyError(f"unknown source kind {name!r} (known: {', '.join(known())})") from None


def parse(
    kind: str, body: bytes, *, url: str, final_url: str | None = None, headers: Mapping[str, str]
) -> ParsedFeed:
    """A retrieved body of a source of ``kind`` as entries."""
    return kind_of(kind).parse(body, url=url, final_url=final_url, headers=headers)


register(SourceKind("feed", parse_feed, "RSS 0.9x/2.0, RSS 1.0 (RDF) and Atom feeds, through feedparser"))
