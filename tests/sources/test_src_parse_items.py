from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from sources.http import FetchRequest, FetchSettings, Retrieved, fetch_many_sync
from sources.items import canonical_url, content_hash, item_key, normalise
from sources.parse import RawEntry, parse_feed
from tests.feedserver import HostileFeedServer
from yuqing.errors import ParseError
from yuqing.feedserver import FeedServer

FETCHED = datetime(2021, 6, 17, 8, 0, tzinfo=UTC)


def fetch(server: FeedServer, path: str, settings: FetchSettings) -> Retrieved:
    [got] = fetch_many_sync([FetchRequest(server.url(path))], settings=settings)
    assert isinstance(got, Retrieved), got
    return got


def test_links_text_and_times_over_http(feed_server: FeedServer, settings: FetchSettings) -> None:
    got = fetch(feed_server, "links_and_dates.xml", settings)
    feed = parse_feed(got.body, url=got.url, final_url=got.final_url, headers=got.headers)
    assert feed.title == "某市人民政府 & 政务要闻"
    items = normalise(feed.items, source="某市政府", final_url=got.final_url, fetched_at=FETCHED)
    first, second, future = items
    # Plain text: no tags, no script content, entities decoded, whitespace collapsed.
    assert first.title == "关于加强冷链食品疫情防控的&通告"
    assert first.summary == "市疫情防控指挥部发布通告。 请市民 配合。"
    # Relative links resolved against the final URL (Content-Location); fragment dropped, query kept.
    assert first.url == feed_server.url("xxgk/2021/06/t20210617_1.html")
    assert second.url == feed_server.url("detail.html") + "?id=42&from=rss"
    assert future.url is None  # javascript: links are dropped
    # A zone-less time is Asia/Shanghai: 09:30 +08:00 is 01:30 UTC.
    assert first.published_at == datetime(2021, 6, 17, 1, 30, tzinfo=UTC)
    assert first.item_time == first.published_at
    assert second.published_at == datetime(2021, 6, 17, 2, 0, tzinfo=UTC)
    # A time after the fetch is not plausible: the item's time is its fetch.
    assert future.published_at == datetime(2099, 12, 31, 16, 0, tzinfo=UTC)
    assert future.item_time == FETCHED
    assert first.guid == "gov-2021-0617-1"


def test_atom_html_titles_become_plain_text(feed_server: FeedServer, settings: FetchSettings) -> None:
    got = fetch(feed_server, "atom_relative.xml", settings)
    feed = parse_feed(got.body, url=got.url, final_url=got.final_url, headers=got.headers)
    [item] = normalise(feed.items, source="澎湃", final_url=got.final_url, fetched_at=FETCHED)
    assert item.title == "河南暴雨最新情况" and item.summary == "应急管理部"
    assert item.url == feed_server.url("news/1.html")


def test_repeated_guids_fall_back_to_links(fixtures_dir: Path) -> None:
    feed = parse_feed(
        (fixtures_dir / "repeated_guids.xml").read_bytes(), url="https://news.example.cn/rss", headers={}
    )
    items = normalise(
        feed.items, source="县融媒", final_url="https://news.example.cn/rss", fetched_at=FETCHED
    )
    assert len({i.item_id for i in items}) == 3
    assert items[0].item_id == item_key(
        "县融媒", guid=None, url="https://news.example.cn/a/1.html", title="", published_at=None
    )
    assert items[2].item_id == item_key("县融媒", guid="stable-3", url=None, title="", published_at=None)


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("maintenance.html", "not a feed: got an HTML page"),
        ("type/application%2Frss%2Bxml/maintenance.html", "not a feed: got an HTML page"),
        ("empty.xml", "empty body"),
        ("garbage.xml", "not a feed"),
    ],
)
def test_not_feeds_raise_parse_error(
    hostile_server: HostileFeedServer, settings: FetchSettings, path: str, reason: str
) -> None:
    got = fetch(hostile_server, path, settings)
    with pytest.raises(ParseError, match=reason) as info:
        parse_feed(got.body, url=got.url, final_url=got.final_url, headers=got.headers)
    assert info.value.url == got.url


def test_canonical_url() -> None:
    base = "https://www.example.gov.cn/xxgk/index.html"
    assert canonical_url("a.html#x", base) == "https://www.example.gov.cn/xxgk/a.html"
    assert canonical_url("HTTPS://WWW.Example.gov.cn:443?q=1", None) == "https://www.example.gov.cn/?q=1"
    assert canonical_url("http://user:pw@example.cn:8080/p", None) == "http://example.cn:8080/p"
    assert canonical_url("mailto:x@example.cn", base) is None
    assert canonical_url("javascript:void(0)", base) is None
    assert canonical_url("", base) is None
    assert canonical_url("http://[::1]:80/x", None) == "http://[::1]/x"


def test_golden_item_ids_and_hashes() -> None:
    """Persisted keys: changing any of these re-keys the warehouse (needs a migration, not a test edit)."""
    published = datetime(2021, 6, 17, 6, 0, tzinfo=UTC)
    assert (
        item_key("央视新闻", guid="n-1", url="https://a.cn/1", title="t", published_at=None)
        == "87eb142b4be0e3c9c9929560f440ad40"
    )
    assert (
        item_key(
            "央视新闻",
            guid=None,
            url="https://mp.weixin.qq.com/s/IYiVDv07vXVD6B9KvJJoew",
            title="t",
            published_at=None,
        )
        == "8e8371e337d2a8f5d0ae389dc577b826"
    )
    assert (
        item_key("央视新闻", guid=None, url=None, title="送别！翻译界泰斗许渊冲逝世", published_at=published)
        == "b9c5db5a73bd1a311b0efd3af534be13"
    )
    assert (
        item_key("央视新闻", guid=None, url=None, title="出征", published_at=None)
        == "5218138d22d4d2e853023dd584bedc31"
    )
    assert (
        content_hash(
            "送别！翻译界泰斗许渊冲逝世",
            "送别！翻译界泰斗许渊冲逝世",
            "https://mp.weixin.qq.com/s/IYiVDv07vXVD6B9KvJJoew",
        )
        == "2d06e6e5b40e4daf13977bdbd5c59c88"
    )
    assert content_hash("出征", "", None) == "a30122c75b75cdde4f2c1fe3ec0f85f2"
    entry = RawEntry(
        guid=None,
        link="/a/1.html#c",
        title="喜报",
        summary="",
        published=datetime(2021, 6, 17, 14, 0),
        published_raw=None,
    )
    [item] = normalise(
        [entry], source="某市政府", final_url="https://www.example.gov.cn/rss.xml", fetched_at=FETCHED
    )
    assert (item.item_id, item.content_hash, item.published_at) == (
        "80ca43a5e49cd23a40ad0111d9a7e32f",
        "6af99cd65dc09f6c04a224fdade2bed0",
        published,
    )
