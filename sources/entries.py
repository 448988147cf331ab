"""What a parsed feed is made of (``RawEntry``, ``ParsedFeed``) and how its text is finished: HTML to plain text,
whitespace collapsed, dates read with or without a zone. Both feed readers (``sources/parse.py``: feedparser, and
``sources/plainfeed.py``: plain RSS 2.0 and Atom 1.0) produce these."""

from __future__ import annotations

import calendar
import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_tz
from html.parser import HTMLParser
from typing import Any

from yuqing.textsafe import stored_text

_WS = re.compile(r"\s+")
_TAG_LIKE = re.compile(r"</?[A-Za-z!?][^<>]*>")
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_CN_DATE = re.compile(
    r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$"
)


@dataclass(frozen=True, slots=True)
class RawEntry:
    """One feed entry as parsed: plain text, links as the feed gave them (resolved by feedparser)."""

    guid: str | None
    link: str | None
    title: str
    summary: str
    published: datetime | None  # aware when the feed gave a zone; naive (zone-less) otherwise
    published_raw: str | None
    author: str = ""  # who wrote the entry (RSS author or dc:creator, Atom author name); "" when the feed names none


# An author is a name or a handle: a longer value is cut here (what a feed's author field holds beyond this is not a name).
AUTHOR_CHARS = 200


def raw_entry(
    guid: str | None,
    link: str | None,
    title: str,
    summary: str,
    published: datetime | None,
    raw_time: str | None,
    author: str | None = None,
) -> RawEntry:
    """An entry as both readers finish it: the guid's whitespace collapsed, the link stripped, empty ones None;
    the author as plain text, cut at ``AUTHOR_CHARS``."""
    return RawEntry(
        guid=collapse(guid) or None if guid else None,
        link=link.strip() or None if link else None,
        title=title,
        summary=summary,
        published=published,
        published_raw=raw_time,
        author=plain_text(author, "text/plain")[:AUTHOR_CHARS] if author else "",
    )


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    items: list[RawEntry]
    version: str  # feedparser's format name ("rss20", "atom10", ...)
    charset_declared: str | None
    charset_used: str
    charset_mismatch: bool  # the declared charset was wrong (recorded for ops)
    charset_lossy: bool  # no encoding decoded the body cleanly; bad bytes became U+FFFD
    bozo_reason: str | None  # feedparser's complaint, kept for ops even when the feed was usable


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment; script/style contents are dropped, never shown."""

    _SKIP = frozenset({"script", "style", "template", "noscript", "iframe", "object", "applet"})
    _BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self._BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: tags and entities gone, whitespace collapsed."""
    if "<" not in fragment and "&" not in fragment:
        return collapse(fragment)
    extractor = _TextExtractor()
    extractor.feed(fragment)
    extractor.close()
    text = "".join(extractor.parts)
    # Escaped markup (``&lt;b&gt;``) becomes a tag once unescaped: strip what now looks like one too.
    return collapse(_TAG_LIKE.sub(" ", html.unescape(text) if "&" in text else text))


def plain_text(value: str | None, content_type: str | None) -> str:
    if not value:
        return ""
    if content_type and "html" not in content_type:
        # text/plain: feedparser already unescaped it; never let tag-like text through anyway.
        return collapse(_TAG_LIKE.sub(" ", value))
    return html_to_text(value)


def collapse(text: str) -> str:
    """Collapse whitespace; a ``<`` that could open a tag (unterminated, e.g. a quoted code sample)
    gets a space after it, so the text can never become markup wherever it is shown. Control characters become
    spaces and bidi controls go (``yuqing/textsafe.py``: what stored text keeps)."""
    return _WS.sub(" ", _TAG_START.sub("< ", stored_text(text))).strip()


def parse_date(raw: str | None, parsed: Any = None) -> datetime | None:
    """The entry's time; naive when the feed gave no zone (the caller assumes Asia/Shanghai).

    feedparser silently treats a zone-less date as UTC, so the raw string is parsed here first
    (RFC 822, ISO 8601, and the Chinese ``2021年6月17日 14:00`` form); feedparser's UTC struct is the
    fallback for the many other formats it knows.
    """
    if raw:
        text = raw.strip()
        fields = parsedate_tz(text)
        if fields is not None and fields[0] > 0:
            try:
                naive = datetime(*fields[:6])
            except ValueError:
                naive = None
            if naive is not None:
                offset = fields[9]
                if offset is None:
                    return naive
                return datetime.fromtimestamp(calendar.timegm(naive.timetuple()) - offset, UTC)
        try:
            iso = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
        except ValueError:
            iso = None
        if iso is not None:
            return iso if iso.tzinfo is None else iso.astimezone(UTC)
        match = _CN_DATE.match(text)
        if match:
            y, mo, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
            try:
                return datetime(y, mo, d, h, mi, s)
            except ValueError:
                pass
    if parsed is not None:
        try:
            return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
        except (OverflowError, ValueError, TypeError):
            return None
    return None
