"""Turn a retrieved body into plain-text feed entries (no network, no storage).

The body is decoded by :mod:`sources.encoding` first and handed to feedparser as UTF-8. feedparser's
``bozo`` flag is set for many harmless things (an encoding it had to fix up, an undeclared namespace),
so it is not an error by itself: a body is refused only when it yields no entries *and* is not a feed.
"""

from __future__ import annotations

import calendar
import contextlib
import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_tz
from html.parser import HTMLParser
from typing import Any

import feedparser

from sources import feedparser_private
from sources.encoding import decode_body, rewrite_xml_declaration
from yuqing.errors import ParseError
from yuqing.textsafe import stored_text

# Read plain RSS 2.0 and Atom 1.0 without feedparser (see _fast_feed) where its internals are the checked ones
# (sources/feedparser_private.py); False sends every body through feedparser.
_FAST_PATH = feedparser_private.AVAILABLE

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


# ------------------------------------------------------------------------------------------------
# Fast path: plain RSS 2.0 and Atom 1.0
#
# Most feeds are well-formed RSS 2.0 whose items hold only title, link, description, guid, pubDate
# (and content:encoded), or Atom 1.0 whose entries hold title, id, link, updated, published and
# content or summary as text or HTML. For exactly those, the fields are read with ElementTree and
# finished the way feedparser finishes them (its strict parser, which a well-formed document always
# gets): stripped, links resolved against the base URI, its UTF-8/Latin-1 and cp1252 repairs, its
# HTML guess for RSS titles, guid/id as link, summary/content precedence. Anything else (other
# versions, a DOCTYPE, xml:base, XHTML, extension elements in items, repeated or attributed fields,
# markup as child elements) goes to feedparser. tests/sources/test_src_parse_fast.py checks that both paths agree.

_CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
_DC_NS = "http://purl.org/dc/elements/1.1/"
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_DOCTYPE_OR_ENTITY = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_RSS_0X_VERSIONS = frozenset({"0.91", "0.92", "0.93", "0.94"})  # feedparser names these rss09x
_ITEM_FIELDS = frozenset({"title", "link", "description", "guid", "pubdate"})
_ITEM_IGNORED = frozenset({"author", "category", "comments", "enclosure", "source"})
_XML_MEDIA_TYPES = frozenset(
    {
        "application/xml",
        "application/xml-dtd",
        "application/xml-external-parsed-entity",
        "text/xml",
        "text/xml-external-parsed-entity",
    }
)
_LINK_ENTITY = re.compile("&([A-Za-z0-9_]+);")
_C1_CONTROL = re.compile("[\x80-\x9f]")
_fp_looks_like_html = feedparser_private.looks_like_html


def _split_tag(tag: str) -> tuple[str, str]:
    """(namespace, lower-cased local name): feedparser matches element names case-insensitively."""
    if tag[:1] == "{":
        ns, _, local = tag[1:].partition("}")
        return ns, local.lower()
    return "", tag.lower()


def _fp_finish(text: str) -> str:
    """feedparser's last steps on every text value of a UTF-8 document: undo UTF-8 read as Latin-1,
    then map the C1 controls to their cp1252 characters."""
    if text.isascii():
        return text
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        text = text.encode("iso-8859-1").decode("utf-8")
    return text.translate(feedparser_private.cp1252) if _C1_CONTROL.search(text) else text


def _is_xml_media_type(media_type: str) -> bool:
    media = media_type.lower()
    return media in _XML_MEDIA_TYPES or (
        media.startswith(("application/", "text/")) and media.endswith("+xml")
    )


def _fast_item(item: ET.Element, base: str) -> RawEntry | None:
    fields: dict[str, ET.Element] = {}
    content: ET.Element | None = None
    for child in item:
        if not isinstance(child.tag, str) or len(child):
            return None
        ns, local = _split_tag(child.tag)
        if not ns and local in _ITEM_FIELDS:
            if local in fields:
                return None
            if child.attrib and not (
                local == "guid" and [k.lower() for k in child.attrib] == ["ispermalink"]
            ):
                return None
            fields[local] = child
        elif not ns and local in _ITEM_IGNORED:
            continue
        elif ns == _CONTENT_NS and local == "encoded" and content is None and not child.attrib:
            content = child
        elif ns == _DC_NS and local == "creator":
            continue
        else:
            return None

    def raw(name: str) -> str | None:
        el = fields.get(name)
        return None if el is None else (el.text or "").strip()

    title_raw = raw("title")
    title = ""
    if title_raw is not None:
        title_type = "text/html" if _fp_looks_like_html(title_raw) else "text/plain"
        title = plain_text(_fp_finish(title_raw), title_type)

    link: str | None = None
    link_raw = raw("link")
    if link_raw is not None:
        link = _fp_finish(feedparser_private.urljoin(base, link_raw) if link_raw else link_raw)
        if "&" in link:
            link = _LINK_ENTITY.sub(r"&\g<1>", link.replace("&amp;", "&"))

    guid: str | None = None
    guid_raw = raw("guid")
    if guid_raw is not None:
        is_link = next(iter(fields["guid"].attrib.values()), "true") == "true"
        guid = _fp_finish(feedparser_private.urljoin(base, guid_raw) if guid_raw and is_link else guid_raw)
        if is_link and link is None:
            link = guid

    description = raw("description")
    summary = ""
    if description:
        summary = plain_text(_fp_finish(description), "text/html")
    elif content is not None:
        summary = plain_text(_fp_finish((content.text or "").strip()), "text/html")

    published_raw = raw("pubdate")
    published_raw = _fp_finish(published_raw) if published_raw else None
    published = parse_date(published_raw)
    if published is None and published_raw:
        published = parse_date(None, feedparser_private.parse_date(published_raw))
    return RawEntry(
        guid=collapse(guid) or None if guid else None,
        link=link.strip() or None if link else None,
        title=title,
        summary=summary,
        published=published,
        published_raw=published_raw,
    )


def _only_direct(root: ET.Element, entries: int) -> bool:
    """No xml:base anywhere, and no item or entry other than the ``entries`` found where expected."""
    entry_like = 0
    for el in root.iter():
        if not isinstance(el.tag, str) or _XML_BASE in el.attrib:
            return False
        if _split_tag(el.tag)[1] in ("item", "entry"):
            entry_like += 1
    return entry_like == entries


def _plain_feed(
    root: ET.Element,
    container: ET.Element,
    is_entry: Callable[[str, str], bool],
    title_type: Callable[[str, ET.Element], str | None],
    read: Callable[[ET.Element, str], RawEntry | None],
    base: str,
) -> tuple[str, list[RawEntry]] | None:
    """(feed title, entries) of the entries directly in ``container`` (``is_entry(namespace, local name)``), each
    read by ``read``, and its one title (``title_type``: its content type, None when it is not plain); None when
    feedparser must handle the document (another title, entries elsewhere, xml:base, an entry ``read`` cannot take).
    """
    found: list[ET.Element] = []
    feed_titles: list[ET.Element] = []
    for child in container:
        if not isinstance(child.tag, str):
            return None
        ns, local = _split_tag(child.tag)
        if is_entry(ns, local):
            found.append(child)
        elif local == "title":
            if title_type(ns, child) is None:
                return None
            feed_titles.append(child)
    if len(feed_titles) > 1 or not _only_direct(root, len(found)):
        return None
    entries: list[RawEntry] = []
    for element in found:
        entry = read(element, base)
        if entry is None:
            return None
        entries.append(entry)
    title = ""
    if feed_titles:
        first = feed_titles[0]
        kind = title_type(_split_tag(first.tag)[0], first) or "text/plain"
        title = plain_text(_fp_finish((first.text or "").strip()), kind)
    return title, entries


def _rss_title_type(ns: str, title: ET.Element) -> str | None:
    if ns or title.attrib or len(title):
        return None
    return "text/html" if _fp_looks_like_html((title.text or "").strip()) else "text/plain"


def _atom_title_type(ns: str, title: ET.Element) -> str | None:
    return None if ns != _ATOM_NS or len(title) else _atom_text_type(title)


def _fast_rss(root: ET.Element, base: str) -> tuple[str, list[RawEntry]] | None:
    """(feed title, entries) of a plain RSS 2.0 document; None when feedparser must handle it."""
    if len(root) != 1 or not isinstance(root[0].tag, str):
        return None
    versions = [v for k, v in root.attrib.items() if k.lower() == "version"]
    if len(versions) != 1 or not versions[0].startswith("2.") or versions[0] in _RSS_0X_VERSIONS:
        return None
    channel = root[0]
    if channel.tag.lower() != "channel":
        return None
    return _plain_feed(root, channel, lambda ns, local: local == "item" and not ns, _rss_title_type, _fast_item, base)


_ATOM_NS = "http://www.w3.org/2005/Atom"
_ATOM_TEXT_TYPES = {
    "text": "text/plain",
    "html": "text/html",
    "text/plain": "text/plain",
    "text/html": "text/html",
}
_ATOM_LINK_ATTRS = frozenset({"href", "rel", "type", "hreflang", "title", "length"})
_ATOM_PERSON = frozenset({"name", "uri", "email"})


def _atom_text_type(el: ET.Element) -> str | None:
    """The content type feedparser gives an Atom text construct; None when it is not plain text/html."""
    if not el.attrib:
        return "text/plain"
    if list(el.attrib) != ["type"]:
        return None
    return _ATOM_TEXT_TYPES.get(el.attrib["type"].lower())


def _is_person_part(el: ET.Element) -> bool:
    if not isinstance(el.tag, str) or el.attrib or len(el):
        return False
    ns, local = _split_tag(el.tag)
    return ns == _ATOM_NS and local in _ATOM_PERSON


def _fast_entry(entry: ET.Element, base: str) -> RawEntry | None:
    single: dict[str, ET.Element] = {}
    alternate: str | None = None
    for child in entry:
        if not isinstance(child.tag, str):
            return None
        ns, local = _split_tag(child.tag)
        if ns != _ATOM_NS:
            return None
        if local in ("title", "id", "updated", "published", "content", "summary"):
            if local in single or len(child):
                return None
            if local in ("id", "updated", "published") and child.attrib:
                return None
            single[local] = child
        elif local == "link":
            if len(child) or "href" not in child.attrib or not set(child.attrib) <= _ATOM_LINK_ATTRS:
                return None
            rel = child.attrib.get("rel", "alternate")
            kind = child.attrib.get("type", "application/atom+xml" if rel == "self" else "text/html")
            if rel == "alternate" and _ATOM_TEXT_TYPES.get(kind.lower(), kind.lower()) in (
                "text/html",
                "application/xhtml+xml",
            ):
                alternate = feedparser_private.urljoin(base, child.attrib["href"])
        elif local in ("author", "contributor"):
            if child.attrib or not all(_is_person_part(p) for p in child):
                return None
        elif local == "category":
            if len(child):
                return None
        else:
            return None
    if "content" in single and "summary" in single:
        return None

    def raw(name: str) -> str | None:
        el = single.get(name)
        return None if el is None else (el.text or "").strip()

    title = ""
    if "title" in single:
        title_type = _atom_text_type(single["title"])
        if title_type is None:
            return None
        title = plain_text(_fp_finish(raw("title") or ""), title_type)

    guid: str | None = None
    id_raw = raw("id")
    if id_raw is not None:
        guid = _fp_finish(feedparser_private.urljoin(base, id_raw) if id_raw else id_raw)
    link = alternate if alternate is not None else guid

    summary = ""
    for name in ("content", "summary"):
        if name in single:
            text_type = _atom_text_type(single[name])
            if text_type is None:
                return None
            value = _fp_finish(raw(name) or "")
            # Content is copied to the summary without its type: read as HTML either way.
            summary = plain_text(value, text_type if name == "summary" else None)

    published = raw("published")
    updated = raw("updated")
    published = _fp_finish(published) if published is not None else None
    updated = _fp_finish(updated) if updated is not None else None
    published_raw = published or updated
    when = parse_date(published_raw)
    if when is None and published_raw:
        parsed = (feedparser_private.parse_date(published) if published else None) or (
            feedparser_private.parse_date(updated) if updated else None
        )
        when = parse_date(None, parsed)
    return RawEntry(
        guid=collapse(guid) or None if guid else None,
        link=link.strip() or None if link else None,
        title=title,
        summary=summary,
        published=when,
        published_raw=published_raw or None,
    )


def _fast_atom(root: ET.Element, base: str) -> tuple[str, list[RawEntry]] | None:
    """(feed title, entries) of a plain Atom 1.0 document; None when feedparser must handle it."""
    return _plain_feed(
        root, root, lambda ns, local: local == "entry" and ns == _ATOM_NS, _atom_title_type, _fast_entry, base
    )


def _fast_feed(feed_bytes: bytes, media_type: str, base: str) -> tuple[str, str, list[RawEntry]] | None:
    """(version, feed title, entries) of plain RSS 2.0 or Atom 1.0; None when feedparser must parse it."""
    if not _is_xml_media_type(media_type) or _DOCTYPE_OR_ENTITY.search(feed_bytes):
        return None
    try:
        root = ET.fromstring(feed_bytes)
    except ET.ParseError:
        return None
    if not isinstance(root.tag, str):
        return None
    if root.tag.lower() == "rss":
        rss = _fast_rss(root, base)
        return None if rss is None else ("rss20", *rss)
    if root.tag == f"{{{_ATOM_NS}}}feed" and not root.attrib:
        atom = _fast_atom(root, base)
        return None if atom is None else ("atom10", *atom)
    return None


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
    fast = _fast_feed(feed_bytes, media_type, final_url or url) if _FAST_PATH else None
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
