"""Encoding acceptance: lying and missing charsets come out as the right Chinese text."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from sources.encoding import decode_body, rewrite_xml_declaration
from sources.http import FetchRequest, FetchSettings, Retrieved, fetch_many_sync
from sources.parse import parse_feed
from tests.feedserver import HostileFeedServer

CASES = [
    # fixture, how it is served, the codec that must be chosen
    ("gov_utf8.xml", "type/application%2Frss%2Bxml", "utf-8"),
    ("gbk_declared_utf8.xml", "charset/utf-8", "gb18030"),  # header and XML declaration both say utf-8
    ("gbk_declared_utf8.xml", "notype", "gb18030"),
    ("gb18030_declared_gb2312.xml", "charset/gb2312", "gb18030"),
    ("gb18030_declared_gb2312.xml", "gzip", "gb18030"),
    ("big5_undeclared.xml", "notype", "cp950"),
    ("big5_undeclared.xml", "charset/utf-8", "cp950"),
    ("big5_undeclared.xml", "charset/gbk", "cp950"),  # a lie naming the other CJK encoding
]


def expected_titles(fixtures_dir: Path, name: str) -> list[str]:
    data = json.loads((fixtures_dir / f"{name}.expected.json").read_text(encoding="utf-8"))
    titles: list[str] = data["titles"]
    return titles


@pytest.mark.parametrize(("name", "mode", "codec"), CASES)
def test_lying_charsets_over_http(
    hostile_server: HostileFeedServer,
    settings: FetchSettings,
    fixtures_dir: Path,
    name: str,
    mode: str,
    codec: str,
) -> None:
    [got] = fetch_many_sync([FetchRequest(hostile_server.url(f"{mode}/{name}"))], settings=settings)
    assert isinstance(got, Retrieved), got
    feed = parse_feed(got.body, url=got.url, final_url=got.final_url, headers=got.headers)
    titles = [entry.title for entry in feed.items]
    assert titles == expected_titles(fixtures_dir, name)
    assert any(len(t) == 2 for t in titles)  # the two-character titles decoded right too
    assert feed.charset_used == codec
    assert not feed.charset_lossy
    assert all("\ufffd" not in entry.title + entry.summary for entry in feed.items)


def test_declared_versus_used_is_recorded(fixtures_dir: Path) -> None:
    body = (fixtures_dir / "gbk_declared_utf8.xml").read_bytes()
    feed = parse_feed(body, url="http://x/", headers={"Content-Type": "application/rss+xml; charset=UTF-8"})
    assert feed.charset_declared == "UTF-8" and feed.charset_used == "gb18030" and feed.charset_mismatch
    honest = parse_feed((fixtures_dir / "gov_utf8.xml").read_bytes(), url="http://x/", headers={})
    assert honest.charset_declared == "utf-8" and not honest.charset_mismatch
    gb = parse_feed((fixtures_dir / "gb18030_declared_gb2312.xml").read_bytes(), url="http://x/", headers={})
    # gb2312 is decoded with its superset: a declaration of a subset is not a mismatch worth alarming.
    assert gb.charset_declared == "gb2312" and gb.charset_used == "gb18030" and not gb.charset_mismatch


def test_real_gb18030_weibo_text_is_not_strict_gbk(shared_dir: Path, fixtures_dir: Path) -> None:
    # The shared Weibo day files decode as GB18030 but not as GBK; so must our fixture built from them.
    original = (shared_dir / "data/covid_weibo_2020_gbk/gbk_original_days/2020-02-04.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        original.decode("gbk")
    assert decode_body(original).used == "gb18030"
    body = (fixtures_dir / "gb18030_declared_gb2312.xml").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        body.decode("gbk")


def test_two_character_document_is_scored_on_whole_text(fixtures_dir: Path) -> None:
    # Only the two-character titles are CJK: the channel title and descriptions still decide.
    for name in ("gbk_declared_utf8.xml", "big5_undeclared.xml"):
        decoded = decode_body((fixtures_dir / name).read_bytes(), "text/xml; charset=utf-8")
        for title in expected_titles(fixtures_dir, name):
            assert title in decoded.text


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")],
)
def test_boms_win_over_declarations(fixtures_dir: Path, bom: bytes, codec: str) -> None:
    text = (fixtures_dir / "gov_utf8.xml").read_text(encoding="utf-8")
    body = bom + text.encode(codec)
    feed = parse_feed(body, url="http://x/", headers={"content-type": "application/xml; charset=gbk"})
    assert [e.title for e in feed.items] == expected_titles(fixtures_dir, "gov_utf8.xml")
    assert feed.charset_used == codec


def test_utf16_without_bom_is_sniffed(fixtures_dir: Path) -> None:
    text = (
        (fixtures_dir / "gov_utf8.xml")
        .read_text(encoding="utf-8")
        .replace('encoding="utf-8"', 'encoding="utf-16"')
    )
    feed = parse_feed(text.encode("utf-16-le"), url="http://x/", headers={})
    assert feed.charset_used == "utf-16-le"
    assert [e.title for e in feed.items] == expected_titles(fixtures_dir, "gov_utf8.xml")


def test_undecodable_bytes_are_marked_lossy() -> None:
    decoded = decode_body(b'<?xml version="1.0" encoding="utf-8"?><rss><title>\xff\xfe\xff</title></rss>')
    assert decoded.lossy and "\ufffd" in decoded.text


def test_xml_declaration_is_rewritten_for_feedparser() -> None:
    assert (
        rewrite_xml_declaration('<?xml version="1.0" encoding="gb2312"?><rss/>')
        == '<?xml version="1.0" encoding="utf-8"?><rss/>'
    )
    assert (
        rewrite_xml_declaration("\n  <?xml version='1.0'?><rss/>")
        == "<?xml version='1.0' encoding=\"utf-8\"?><rss/>"
    )
    assert rewrite_xml_declaration("<rss/>") == "<rss/>"
