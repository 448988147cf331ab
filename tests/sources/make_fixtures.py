"""Rebuild the encoding fixtures in tests/sources/fixtures/ from the shared data (run by hand).

    .venv/bin/python -m tests.sources.make_fixtures

Titles are real: taken from the WeChat government/news feed snapshots and the GB18030 Weibo posts in
the shared data folder, then encoded into the charsets Chinese sites actually (mis)use. Each feed has
an ``*.expected.json`` beside it with the titles that must come out.
"""

from __future__ import annotations

import csv
import io
import json
import re
from html import escape
from pathlib import Path

import opencc

from tests.conftest import shared_path

FIXTURES = Path(__file__).parent / "fixtures"
WECHAT_FEED = "feeds_wechat_gov_news/latest/MTI0MDU3NDYwMQ.xml"  # 央视新闻
# Two-character titles cut from real ones ("出征！", "喜报！", "端午安康"): the hardest case for the
# decoder, which must get them right from the rest of the document.
TWO_CHAR_TITLES = ["出征", "喜报", "端午"]


def _wechat_titles(shared: Path, count: int) -> list[str]:
    text = (shared / "data" / WECHAT_FEED).read_text(encoding="utf-8")
    return re.findall(r"<item><title>(.*?)</title>", text)[:count]


def _rss(titles: list[str], *, declaration: str | None, channel: str) -> str:
    items = "".join(
        f"<item><title>{escape(t)}</title><link>https://news.example.cn/a/{i}.html</link>"
        f"<guid>n-{i}</guid><description>{escape(t)}</description>"
        f"<pubDate>Thu, 17 Jun 2021 14:{i:02d}:00 +0800</pubDate></item>\n"
        for i, t in enumerate(titles)
    )
    head = f'<?xml version="1.0" encoding="{declaration}"?>\n' if declaration else ""
    return f'{head}<rss version="2.0"><channel><title>{escape(channel)}</title>\n{items}</channel></rss>\n'


def _write(name: str, body: bytes, titles: list[str]) -> None:
    (FIXTURES / name).write_bytes(body)
    expected = {"titles": titles}
    (FIXTURES / f"{name}.expected.json").write_text(
        json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


def main() -> None:
    shared = shared_path()
    FIXTURES.mkdir(exist_ok=True)
    titles = [t for t in _wechat_titles(shared, 12) if t.encode("gbk", errors="ignore").decode("gbk") == t]
    simplified = TWO_CHAR_TITLES[:2] + titles[:8] + TWO_CHAR_TITLES[2:]

    _write(
        "gov_utf8.xml", _rss(simplified, declaration="utf-8", channel="央视新闻").encode("utf-8"), simplified
    )
    # GBK bytes behind a UTF-8 declaration (the common lie).
    _write(
        "gbk_declared_utf8.xml",
        _rss(simplified, declaration="utf-8", channel="央视新闻").encode("gbk"),
        simplified,
    )

    # GB18030 declared as gb2312: real Weibo posts with characters outside GB2312 and GBK.
    raw = (
        (shared / "data/covid_weibo_2020_gbk/gbk_original_days/2020-02-04.csv").read_bytes().decode("gb18030")
    )
    posts: list[str] = []
    for row in csv.reader(io.StringIO(raw)):
        if len(row) < 2 or row[0] == "userid":
            continue
        text = row[1].strip()
        try:
            text.encode("gbk")
        except UnicodeEncodeError:
            posts.append(text[:60])
        if len(posts) == 6:
            break
    weibo = [TWO_CHAR_TITLES[0], *posts, TWO_CHAR_TITLES[1]]
    _write(
        "gb18030_declared_gb2312.xml",
        _rss(weibo, declaration="gb2312", channel="微博").encode("gb18030"),
        weibo,
    )

    # Traditional Chinese in Big5 with no declaration anywhere.
    s2t = opencc.OpenCC("s2t")
    traditional = [s2t.convert(t) for t in simplified]
    traditional = [t for t in traditional if t.encode("cp950", errors="ignore").decode("cp950") == t]
    _write(
        "big5_undeclared.xml",
        _rss(traditional, declaration=None, channel="央視新聞").encode("cp950"),
        traditional,
    )


if __name__ == "__main__":
    main()
