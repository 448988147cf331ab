"""Turn a retrieved body into plain-text feed entries (no network, no storage).

The body is decoded by :mod:`sources.encoding` first and handed to feedparser as UTF-8. feedparser's
``bozo`` flag is set for many harmless things (an encoding it had to fix up, an undeclared namespace),
so it is not an error by itself: a body is refused only when it yields no entries *and* is not a feed.
"""

from __future__ import annotations

import calendar
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_tz
from html.parser import HTMLParser
from typing import Any

import feedparser

from sources.encoding import decode_body
from yuqing.errors import ParseError

_WS = re.compile(r"\s+")
_TAG_LIKE = re.compile(r"</?[A-Za-z!?][^<>]*>")
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_LEADING_JUNK = re.compile(r"^(?:\s|<!--.*?-->|<\?.*?\?>|<!DOCTYPE[^>]*>)*", re.DOTALL | re.IGNORECASE)
_HTML_START = re.compile(r"<(?:html|head|body|script|meta|title|div)\b", re.IGNORECASE)
_HTML_DOCTYPE = re.compile(r"<!DOCTYPE\s+html", re.IGNORECASE)
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

    _SKIP = frozenset({"script", "style", "template", "noscript", "iframe", "object"})
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
    gets a space after it, so the text can never become markup wherever it is shown."""
    return _WS.sub(" ", _TAG_START.sub("< ", text.replace("\x00", ""))).strip()


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


def _looks_like_html(text: str) -> bool:
    head = text[:4096]
    if _HTML_DOCTYPE.search(head):
        return True
    rest = _LEADING_JUNK.sub("", head, count=1)
    return bool(_HTML_START.match(rest))


def _not_a_feed_reason(text: str, result: Any) -> str:
    stripped = text.strip()
    if not stripped:
        return "empty body"
    if _looks_like_html(text):
        return "not a feed: got an HTML page"
    if stripped[0] in "{[":
        return "not a feed: got a JSON document (JSON Feed is not supported)"
    exc = result.get("bozo_exception")
    if exc is not None:
        return f"not a feed: {type(exc).__name__}: {exc}"
    return "not a feed: no RSS, RDF or Atom root element"


def _entry(entry: Any) -> RawEntry:
    title_detail = entry.get("title_detail") or {}
    summary_detail = entry.get("summary_detail") or {}
    summary_value = entry.get("summary")
    summary_type = summary_detail.get("type")
    if not summary_value and entry.get("content"):
        first = entry["content"][0]
        summary_value, summary_type = first.get("value"), first.get("type")
    # dict.get: FeedParserDict.get maps published onto updated with a deprecation warning.
    published_raw = dict.get(entry, "published") or dict.get(entry, "updated")
    published_parsed = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
    guid = entry.get("id") or None
    link = entry.get("link") or None
    return RawEntry(
        guid=collapse(guid) or None if isinstance(guid, str) else None,
        link=link.strip() or None if isinstance(link, str) else None,
        title=plain_text(entry.get("title"), title_detail.get("type")),
        summary=plain_text(summary_value, summary_type),
        published=parse_date(published_raw, published_parsed),
        published_raw=published_raw,
    )


def parse_feed(
    body: bytes, *, url: str, final_url: str | None = None, headers: Mapping[str, str]
) -> ParsedFeed:
    """Parse ``body`` (as retrieved from ``final_url``) into plain-text entries.

    Raises ParseError when the body is empty, an HTML page, or anything else that is not a feed.
    """
    if not body.strip():
        raise ParseError("empty body", url=url)
    lowered = {k.lower(): v for k, v in headers.items()}
    decoded = decode_body(body, lowered.get("content-type"))
    content_type = lowered.get("content-type") or "application/xml"
    media_type = content_type.split(";", 1)[0].strip() or "application/xml"
    response_headers = {
        # Consistent with the UTF-8 bytes below, so feedparser does not re-guess the encoding.
        "content-type": f"{media_type}; charset=utf-8",
        # feedparser resolves relative links against Content-Location; without it they stay relative.
        "content-location": final_url or url,
    }
    if "content-language" in lowered:
        response_headers["content-language"] = lowered["content-language"]
    result = feedparser.parse(decoded.feed_bytes(), response_headers=response_headers, sanitize_html=True)
    entries = result.get("entries") or []
    version = result.get("version") or ""
    if not version and (not entries or _looks_like_html(decoded.text)):
        raise ParseError(_not_a_feed_reason(decoded.text, result), url=url)
    feed = result.get("feed") or {}
    bozo_exc = result.get("bozo_exception") if result.get("bozo") else None
    return ParsedFeed(
        title=plain_text(feed.get("title"), (feed.get("title_detail") or {}).get("type")),
        items=[_entry(e) for e in entries],
        version=version,
        charset_declared=decoded.declared,
        charset_used=decoded.used,
        charset_mismatch=decoded.mismatch,
        charset_lossy=decoded.lossy,
        bozo_reason=f"{type(bozo_exc).__name__}: {bozo_exc}" if bozo_exc is not None else None,
    )
