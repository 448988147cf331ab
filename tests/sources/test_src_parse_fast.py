"""The plain-RSS fast path of ``parse_feed`` gives exactly what the feedparser path gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sources import parse, plainfeed
from sources.encoding import decode_body
from sources.parse import ParsedFeed, parse_feed
from tests.conftest import shared_path
from yuqing.errors import ParseError

ROOT = Path(__file__).resolve().parents[2]
CORPORA = ("feedparser_tests", "feeds_rssant_realworld", "feeds_wechat_gov_news", "feeds_thepaper_jiemian_atom")
HEADERS: tuple[dict[str, str], ...] = ({}, {"content-type": "application/rss+xml; charset=utf-8"}, {"content-type": "text/html"})
BASE = "http://example.com/feeds/x.xml"


def _both(body: bytes, headers: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    def run() -> ParsedFeed | str:
        try:
            return parse_feed(body, url=BASE, headers=headers)
        except ParseError as e:
            return f"ParseError: {e}"

    with monkeypatch.context() as m:
        m.setattr(parse, "_FAST_PATH", True)
        fast = run()
        m.setattr(parse, "_FAST_PATH", False)
        slow = run()
    return fast, slow


def _took_fast_path(body: bytes, headers: dict[str, str]) -> bool:
    content_type = headers.get("content-type")
    decoded = decode_body(body, content_type)
    media = (content_type or "application/xml").split(";", 1)[0].strip()
    return plainfeed.read_plain(decoded.feed_bytes(), media, BASE) is not None


def _corpus_files() -> Iterator[Path]:
    yield from sorted((ROOT / "tests" / "sources" / "fixtures").glob("*.xml"))
    yield from sorted((ROOT / "samples").rglob("*.xml"))
    data = shared_path() / "data"
    for corpus in CORPORA:
        for path in sorted((data / corpus).rglob("*")):
            if path.is_file() and path.suffix.lower() not in (".md", ".txt", ".json", ".csv"):
                yield path


def test_fast_path_agrees_with_feedparser_on_every_corpus_file(monkeypatch: pytest.MonkeyPatch) -> None:
    fast_taken = 0
    differences = []
    for path in _corpus_files():
        body = path.read_bytes()
        for headers in HEADERS:
            fast, slow = _both(body, headers, monkeypatch)
            if fast != slow:
                differences.append(f"{path} {headers}")
            fast_taken += isinstance(fast, ParsedFeed) and _took_fast_path(body, headers)
    assert differences == []
    assert fast_taken > 300  # the WeChat RSS snapshots and much of the real-world corpus


def _rss(items: str, channel: str = "<title>频道</title>") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel>{channel}{items}</channel></rss>"
    ).encode()


EDGE_ITEMS = {
    "guid permalink, no link": "<item><title>甲</title><guid>a/b?x=1&amp;y=2</guid></item>",
    "guid not a permalink": '<item><title>乙</title><guid isPermaLink="false">a/b</guid><link>/rel</link></item>',
    "guid other casing": '<item><title>乙</title><guid ispermalink="False">x</guid></item>',
    "link before guid": "<item><link>https://a.cn/1</link><guid>https://a.cn/g</guid></item>",
    "empty link after guid": "<item><guid>https://a.cn/g</guid><link></link></item>",
    "link with entity": "<item><link>https://a.cn/?a=1&amp;amp;b=2&amp;c;</link></item>",
    "title looks like html": "<item><title>&lt;b&gt;粗体&lt;/b&gt; &amp;amp; 更多</title></item>",
    "title with tag-like text": "<item><title>a &lt;b&gt; c &lt;3</title></item>",
    "latin-1 mojibake": "<item><title>\u00e4\u00b8\u00ad\u00e6\u0096\u0087</title></item>",
    "cp1252 controls": "<item><title>\u0093quoted\u0094</title></item>",
    "empty description, content": "<item><description></description><content:encoded><![CDATA[<p>正文</p>]]></content:encoded></item>",
    "content before description": "<item><content:encoded>正文</content:encoded><description>摘要</description></item>",
    "content only": "<item><content:encoded><![CDATA[<script>x()</script>只有正文]]></content:encoded></item>",
    "dates": "<item><pubDate>2021年6月17日 14:00</pubDate></item><item><pubDate>Thu, 17 Jun 2021 14:00:11 +0800</pubDate></item>"
    "<item><pubDate>17 June 2021</pubDate></item><item><pubDate>   </pubDate></item><item><pubDate>junk</pubDate></item>",
    "ignored extras": '<item><title>丙</title><category domain="d">c</category>'
    '<enclosure url="https://a.cn/a.mp3" type="audio/mpeg" length="1"/></item>',
    "authors": "<item><title>甲</title><author> 网友 UU008 </author></item><item><dc:creator>某人</dc:creator></item>",
    "authors with e-mail": "<item><author>joe@example.com (Joe Bloggs)</author></item><item><author>(乙) a.b@x.cn</author>"
    "</item><item><author>noreply@example.com</author></item>",
    "whitespace": "<item><title>\n  丁  戊\u3000</title><description>  \n </description></item>",
    "upper-case names": "<item><Title>己</Title><PubDate>Thu, 17 Jun 2021 14:00:11 GMT</PubDate></item>",
    "no items": "",
}


@pytest.mark.parametrize("name", sorted(EDGE_ITEMS))
def test_fast_path_edge_cases(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    body = _rss(EDGE_ITEMS[name])
    assert _took_fast_path(body, {})
    fast, slow = _both(body, {}, monkeypatch)
    assert fast == slow


FALLBACKS = {
    "atom link in item": '<item xmlns:atom="http://www.w3.org/2005/Atom"><atom:link href="x"/></item>',
    "dc:date": "<item><dc:date>2021-06-17</dc:date></item>",
    "two titles": "<item><title>a</title><title>b</title></item>",
    "typed description": '<item><description type="text">a</description></item>',
    "markup as elements": "<item><description><p>a</p></description></item>",
    "xml:base": '<item xml:base="http://other.cn/"><link>x</link></item>',
    "author with markup": "<item><author>张三 &lt;z@x.cn&gt;</author></item>",
    "two authors": "<item><author>x</author><dc:creator>某人</dc:creator></item>",
}


@pytest.mark.parametrize("name", sorted(FALLBACKS))
def test_unusual_feeds_go_to_feedparser(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    body = _rss(FALLBACKS[name])
    assert not _took_fast_path(body, {})
    fast, slow = _both(body, {}, monkeypatch)
    assert fast == slow


def _atom(entries: str, feed: str = '<title type="html">频道 &amp;lt;b&amp;gt;</title>') -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        f'xmlns:media="http://search.yahoo.com/mrss/">{feed}<id>urn:x</id>{entries}</feed>'
    ).encode()


ATOM_EDGE = {
    "id only": "<entry><title>甲</title><id>a/b</id></entry>",
    "links": '<entry><id>https://a.cn/1</id><link rel="self" href="/self"/><link href="/alt?a=1&amp;b=2"/>'
    '<link rel="alternate" type="application/pdf" href="/pdf"/><link rel="enclosure" href="/e.mp3"/></entry>',
    "two alternates": '<entry><link href="/one"/><link rel="alternate" type="text/html" href="/two"/><id>x</id></entry>',
    "html title and content": '<entry><title type="html">&lt;b&gt;粗&lt;/b&gt;</title>'
    '<content type="html"><![CDATA[<p>正文 <script>x</script></p>]]></content></entry>',
    "text content": '<entry><content type="text">a &lt;b&gt; c</content></entry>',
    "summary only": '<entry><summary type="html">&lt;i&gt;摘要&lt;/i&gt;</summary></entry><entry><summary>纯 &lt;文本&gt;</summary></entry>',
    "dates": "<entry><published>2021-06-17T14:00:00+08:00</published><updated>2021-06-18T00:00:00Z</updated></entry>"
    "<entry><updated>2021-06-18T00:00:00.175000Z</updated></entry>"
    "<entry><published>junk</published><updated>Thu, 17 Jun 2021 14:00:11 GMT</updated></entry>"
    "<entry><published></published><updated>2021-06-18</updated></entry>",
    "people and categories": '<entry><author><name>某人</name><uri>https://a.cn</uri></author><category term="t"/></entry>',
    "no entries": "",
}


@pytest.mark.parametrize("name", sorted(ATOM_EDGE))
def test_atom_fast_path_edge_cases(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    body = _atom(ATOM_EDGE[name])
    assert _took_fast_path(body, {})
    fast, slow = _both(body, {}, monkeypatch)
    assert fast == slow


ATOM_FALLBACKS = {
    "xhtml content": '<entry><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">a</div></content></entry>',
    "xml:base": '<entry xml:base="http://other.cn/"><link href="x"/></entry>',
    "summary and content": "<entry><summary>a</summary><content>b</content></entry>",
    "extension element": '<entry><media:title>a</media:title></entry>',
    "content by reference": '<entry><content src="http://a.cn/x"/></entry>',
    "two authors": "<entry><author><name>甲</name></author><author><name>乙</name></author></entry>",
    "author without a name": "<entry><author><email>a@b.cn</email></author></entry>",
}


def test_both_paths_read_the_author(monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry's author is its name: RSS author or dc:creator as given, an e-mail split off, an Atom author's name."""
    cases = [
        (_rss(EDGE_ITEMS["authors"]), ["网友 UU008", "某人"]),
        (_rss(EDGE_ITEMS["authors with e-mail"]), ["Joe Bloggs", "乙", "noreply@example.com"]),
        (_rss(FALLBACKS["author with markup"]), ["张三"]),
        (_atom(ATOM_EDGE["people and categories"] + "<entry><contributor><name>乙</name></contributor></entry>"), ["某人", ""]),
    ]
    for body, authors in cases:
        fast, slow = _both(body, {}, monkeypatch)
        assert isinstance(fast, ParsedFeed) and fast == slow
        assert [e.author for e in fast.items] == authors


@pytest.mark.parametrize("name", sorted(ATOM_FALLBACKS))
def test_unusual_atom_goes_to_feedparser(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    body = _atom(ATOM_FALLBACKS[name])
    assert not _took_fast_path(body, {})
    fast, slow = _both(body, {}, monkeypatch)
    assert fast == slow


def test_feedparser_internals_are_used_only_for_checked_versions() -> None:
    from sources import feedparser_private

    assert feedparser_private.AVAILABLE, feedparser_private.REASON  # the pinned feedparser is a checked one
    assert parse._FAST_PATH
    assert feedparser_private.unchecked_reason("6.0.14") is None
    assert "checked against 6.0" in (feedparser_private.unchecked_reason("6.1.0") or "")
    assert "checked against 6.0" in (feedparser_private.unchecked_reason("7.0.0") or "")
    assert "not understood" in (feedparser_private.unchecked_reason("next") or "")
