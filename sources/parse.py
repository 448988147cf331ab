"""Turn a retrieved body into plain-text feed entries (no network, no storage).

The body is decoded by :mod:`sources.encoding` first and handed to feedparser as UTF-8. feedparser's
``bozo`` flag is set for many harmless things (an encoding it had to fix up, an undeclared namespace),
so it is not an error by itself: a body is refused only when it yields no entries *and* is not a feed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import feedparser

from sources import feedparser_private, plainfeed
from sources.encoding import decode_body, rewrite_xml_declaration
from sources.entries import ParsedFeed, RawEntry, parse_date, plain_text, raw_entry
from yuqing.errors import ParseError

# Read plain RSS 2.0 and Atom 1.0 without feedparser (sources/plainfeed.py) where its internals are the checked ones
# (sources/feedparser_private.py); False sends every body through feedparser.
_FAST_PATH = feedparser_private.AVAILABLE

_LEADING_JUNK = re.compile(r"^(?:\s|<!--.*?-->|<\?.*?\?>|<!DOCTYPE[^>]*>)*", re.DOTALL | re.IGNORECASE)
_HTML_START = re.compile(r"<(?:html|head|body|script|meta|title|div)\b", re.IGNORECASE)
_HTML_DOCTYPE = re.compile(r"<!DOCTYPE\s+html", re.IGNORECASE)


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
    # feedparser splits an RSS «joe@example.com (Joe)» into a name and an e-mail: the name is the author.
    author = (entry.get("author_detail") or {}).get("name") or entry.get("author")
    return raw_entry(
        guid if isinstance(guid, str) else None,
        link if isinstance(link, str) else None,
        plain_text(entry.get("title"), title_detail.get("type")),
        plain_text(summary_value, summary_type),
        parse_date(published_raw, published_parsed),
        published_raw,
        author if isinstance(author, str) else None,
    )


# What feedparser itself raises on some hostile bodies instead of setting its bozo flag.
_FEEDPARSER_FAILURES = (ValueError, TypeError, OverflowError, LookupError, RecursionError, UnicodeError)
_CHAR_REF = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,16})|([0-9]{1,20}));")


def _xml_char(code: int) -> bool:
    # XML 1.0 §2.2 Char
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def _repair_char_refs(text: str) -> bytes:
    """UTF-8 feed bytes with numeric character references made valid XML: a UTF-16 surrogate pair written
    as two references (&#55357;&#56832;, as JavaScript-built sites emit) becomes the one character it
    encodes, and a reference to no XML character (a lone surrogate, &#99999999999;) becomes U+FFFD."""
    refs = list(_CHAR_REF.finditer(text))
    if not refs:
        return rewrite_xml_declaration(text).encode("utf-8")
    codes = [int(m.group(1), 16) if m.group(1) else int(m.group(2)) for m in refs]
    out: list[str] = []
    pos = 0
    skip = False
    for k, m in enumerate(refs):
        if skip:
            skip = False
            continue
        code = codes[k]
        out.append(text[pos : m.start()])
        pos = m.end()
        nxt = refs[k + 1] if k + 1 < len(refs) else None
        if (
            0xD800 <= code <= 0xDBFF
            and nxt is not None
            and nxt.start() == m.end()
            and 0xDC00 <= codes[k + 1] <= 0xDFFF
        ):
            out.append(f"&#{0x10000 + ((code - 0xD800) << 10) + (codes[k + 1] - 0xDC00)};")
            pos = nxt.end()
            skip = True
        elif _xml_char(code):
            out.append(m.group(0))
        else:
            out.append("\ufffd")
    out.append(text[pos:])
    return rewrite_xml_declaration("".join(out)).encode("utf-8")


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
    feed_bytes = decoded.feed_bytes() if "&#" not in decoded.text else _repair_char_refs(decoded.text)
    fast = plainfeed.read_plain(feed_bytes, media_type, final_url or url) if _FAST_PATH else None
    if fast is not None:
        return ParsedFeed(
            title=fast[1],
            items=fast[2],
            version=fast[0],
            charset_declared=decoded.declared,
            charset_used=decoded.used,
            charset_mismatch=decoded.mismatch,
            charset_lossy=decoded.lossy,
            bozo_reason=None,
        )
    if "content-language" in lowered:
        response_headers["content-language"] = lowered["content-language"]
    # No sanitising and no resolving of links inside embedded markup: every text field is reduced to
    # plain text by ``plain_text`` (all markup stripped, script/style/applet contents dropped), so
    # neither would change what is stored; both cost more than the rest of feedparser's work.
    try:
        result = feedparser.parse(
            feed_bytes,
            response_headers=response_headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except _FEEDPARSER_FAILURES as e:
        # feedparser's own failures on hostile input (e.g. a <height> inside a feed title): this feed is
        # unusable, every other one goes on.
        raise ParseError(f"not a usable feed: the parser failed ({type(e).__name__}: {e})", url=url) from e
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
