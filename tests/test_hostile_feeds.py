"""Every bad-input feed of the shared corpus goes through fetch → parse → items without a crash.

Each file is served over the loopback server (with the Content-Type its own ``Header:`` comment asks
for, as the feedparser suite simulates) and must either yield items whose text is plain and correctly
decoded, or raise ParseError / RetrieveError with a reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sources.http import LOOPBACK_NETWORKS, FetchRequest, FetchSettings, Retrieved, fetch_many_sync
from sources.items import normalise
from sources.parse import parse_feed
from tests.conftest import shared_path
from tests.feedserver import HostileFeedServer
from yuqing.errors import ParseError, RetrieveError

CORPORA = ("feedparser_tests", "feeds_rssant_realworld")
MARKUP = re.compile(r"<[A-Za-z/!?]")
FETCHED = datetime(2024, 1, 1, tzinfo=UTC)
SETTINGS = FetchSettings(allowed_networks=LOOPBACK_NETWORKS, total_deadline=10.0, max_concurrency=8, per_host_concurrency=8)


def corpus_files() -> list[str]:
    data = shared_path() / "data"
    files: list[str] = []
    for corpus in CORPORA:
        root = data / corpus
        for path in sorted(root.rglob("*")):
            if (
                path.is_file()
                and path.suffix.lower() not in (".md", ".txt")
                and not path.name.startswith("LICENSE")
            ):
                files.append(str(path.relative_to(data)))
    return files


FILES = corpus_files()


@pytest.fixture(scope="module")
def retrieved() -> Iterator[dict[str, Retrieved | RetrieveError]]:
    """One concurrent fetch of the whole corpus (fast), looked up per parametrized case."""
    with HostileFeedServer(shared_path() / "data") as server:
        results = fetch_many_sync(
            [FetchRequest(server.url(f"feedparser/{f}")) for f in FILES], settings=SETTINGS
        )
        yield dict(zip(FILES, results, strict=True))


def test_corpus_is_there() -> None:
    assert len(FILES) > 400


@pytest.mark.parametrize("name", FILES)
def test_hostile_feed(name: str, retrieved: dict[str, Retrieved | RetrieveError]) -> None:
    got = retrieved[name]
    if isinstance(got, RetrieveError):
        assert str(got) and got.outcome
        return
    try:
        feed = parse_feed(got.body, url=got.url, final_url=got.final_url, headers=got.headers)
    except ParseError as e:
        assert str(e)
        return
    items = normalise(feed.items, source="corpus", final_url=got.final_url, fetched_at=FETCHED)
    for item in items:
        for text in (item.title, item.summary):
            assert not MARKUP.search(text), f"markup left in {text[:200]!r}"
        if not feed.charset_lossy and "\ufffd".encode() not in got.body:
            assert "\ufffd" not in item.title, (
                f"replacement character in {item.title!r} ({feed.charset_used})"
            )
        assert item.url is None or item.url.startswith(("http://", "https://"))
        assert item.item_time <= FETCHED


@pytest.mark.parametrize(
    "name",
    [f for f in FILES if "/parser/failed/" in f],
)
def test_rssant_failed_feeds_are_refused(name: str, retrieved: dict[str, Retrieved | RetrieveError]) -> None:
    got = retrieved[name]
    assert isinstance(got, Retrieved)
    with pytest.raises(ParseError, match="not a feed"):
        parse_feed(got.body, url=got.url, final_url=got.final_url, headers=got.headers)


@pytest.mark.parametrize(
    ("name", "codec", "needle"),
    [
        ("feeds_rssant_realworld/encoding/chardet/big5.xml", "cp950", "周杰倫"),
        ("feeds_rssant_realworld/encoding/chardet/gb2312__gb18030.xml", "gb18030", None),
        ("feeds_rssant_realworld/encoding/chardet/utf-8.xml", "utf-8", None),
        ("feeds_rssant_realworld/encoding/chardet/utf-8.not-utf-16.xml", "utf-8", None),
        ("feedparser_tests/illformed/chardet/gb2312.xml", "gb18030", "不归移民漫画系列：专业工作"),
        ("feedparser_tests/illformed/chardet/big5.xml", "cp950", None),
    ],
)
def test_undeclared_cjk_corpus_files(
    name: str, codec: str, needle: str | None, retrieved: dict[str, Retrieved | RetrieveError]
) -> None:
    got = retrieved[name]
    assert isinstance(got, Retrieved)
    try:
        feed = parse_feed(got.body, url=got.url, final_url=got.final_url, headers=got.headers)
    except ParseError as e:  # a title-only document without entries
        pytest.fail(f"{name}: {e}")
    assert feed.charset_used == codec
    if needle:
        texts = [feed.title] + [i.title for i in feed.items]
        assert any(needle in t for t in texts), texts


def test_file_list_is_stable() -> None:
    # Guards the parametrization against an empty or moved shared folder.
    assert any(f.startswith("feedparser_tests/encoding/") for f in FILES)
    assert any(f.startswith("feeds_rssant_realworld/parser/well/") for f in FILES)
    assert Path(shared_path() / "data" / FILES[0]).is_file()
