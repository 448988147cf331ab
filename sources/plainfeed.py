"""Plain RSS 2.0 and Atom 1.0 read without feedparser, finished the way feedparser finishes them.

Most feeds are well-formed RSS 2.0 whose items hold only title, link, description, guid, pubDate (and
content:encoded), or Atom 1.0 whose entries hold title, id, link, updated, published and content or summary as text
or HTML. For exactly those, the fields are read with ElementTree and finished the way feedparser finishes them (its
strict parser, which a well-formed document always gets): stripped, links resolved against the base URI, its
UTF-8/Latin-1 and cp1252 repairs, its HTML guess for RSS titles, guid/id as link, summary/content precedence.
Anything else (other versions, a DOCTYPE, xml:base, XHTML, extension elements in items, repeated or attributed
fields, markup as child elements): ``read_plain`` returns None and ``sources/parse.py`` hands the body to
feedparser. tests/sources/test_src_parse_fast.py checks that both paths agree.
"""

from __future__ import annotations

import contextlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable

from sources import feedparser_private
from sources.entries import RawEntry, parse_date, plain_text, raw_entry

_CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
_DC_NS = "http://purl.org/dc/elements/1.1/"
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_DOCTYPE_OR_ENTITY = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_RSS_0X_VERSIONS = frozenset({"0.91", "0.92", "0.93", "0.94"})  # feedparser names these rss09x
_ITEM_FIELDS = frozenset({"title", "link", "description", "guid", "pubdate"})
_ITEM_IGNORED = frozenset({"category", "comments", "enclosure", "source"})
# An author value with markup or entities goes to feedparser; an e-mail beside a name is split off here as feedparser
# 6.0 splits it (``_FeedParserMixin._sync_author_detail``: its pattern, then the brackets around what is left).
_AUTHOR_PLAIN = re.compile(r"[^<>&]*")
_AUTHOR_EMAIL = re.compile(
    r"(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))"
    r"(\?subject=\S+)?"
)
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


def _plain_author(el: ET.Element) -> str | None:
    """The text of an author element that needs no more reading than stripping (None: feedparser must read it)."""
    text = (el.text or "").strip()
    return text if not el.attrib and _AUTHOR_PLAIN.fullmatch(text) else None


def _author_name(text: str) -> str:
    """An RSS author's name, as feedparser gives it (``author_detail.name``, else the value): «joe@example.com (Joe)»
    is Joe; an e-mail alone stays the value."""
    found = _AUTHOR_EMAIL.search(text)
    if found is None:
        return text
    name = text.replace(found.group(0), "").replace("()", "").replace("<>", "").strip()
    if name[:1] == "(":
        name = name[1:]
    if name[-1:] == ")":
        name = name[:-1]
    return name.strip() or text


def _fast_item(item: ET.Element, base: str) -> RawEntry | None:
    fields: dict[str, ET.Element] = {}
    content: ET.Element | None = None
    author: str | None = None
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
        elif (not ns and local == "author") or (ns == _DC_NS and local == "creator"):
            if author is not None:
                return None  # several authors: feedparser decides which one counts
            author = _plain_author(child)
            if author is None:
                return None
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
    return raw_entry(
        guid, link, title, summary, published, published_raw, _author_name(_fp_finish(author)) if author else None
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
    author: str | None = None
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
            if local == "author":
                names = [p for p in child if _split_tag(p.tag)[1] == "name"]
                if author is not None or len(names) != 1:
                    return None  # several authors, or one without a name: feedparser decides
                author = _plain_author(names[0])
                if author is None:
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
    return raw_entry(guid, link, title, summary, when, published_raw or None, _fp_finish(author) if author else None)


def _fast_atom(root: ET.Element, base: str) -> tuple[str, list[RawEntry]] | None:
    """(feed title, entries) of a plain Atom 1.0 document; None when feedparser must handle it."""
    return _plain_feed(
        root, root, lambda ns, local: local == "entry" and ns == _ATOM_NS, _atom_title_type, _fast_entry, base
    )


def read_plain(feed_bytes: bytes, media_type: str, base: str) -> tuple[str, str, list[RawEntry]] | None:
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
