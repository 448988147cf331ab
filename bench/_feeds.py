"""Synthetic-from-real feeds for the ingest benchmark.

Real material, recombined: item titles, links and dates come from the WeChat-account RSS snapshots
(``feeds_wechat_gov_news``, latest and history) and the 澎湃/界面/凤凰 Atom snapshots
(``feeds_thepaper_jiemian_atom``); summaries are the opening sentences of THUCNews articles
(``thucnews_cnews_sample/cnews.val.txt``) cut to a real RSS-description length. Every generated item
gets a link and GUID unique across all feeds, so no two items are the same item. Feed identities
(name, official, region) are taken from ``samples/sources.toml`` round-robin and numbered.

Three feeds in four are RSS 2.0 shaped like the WeChat snapshots, one in four Atom shaped like the
澎湃/界面 ones. The generator is deterministic for a given seed.
"""

from __future__ import annotations

import os
import random
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("YUQING_SHARED", ROOT.parent / "shared"))
DATA = SHARED / "data"
WECHAT = DATA / "feeds_wechat_gov_news"
ATOM = DATA / "feeds_thepaper_jiemian_atom"
CNEWS = DATA / "thucnews_cnews_sample" / "cnews.val.txt"
SAMPLE_SOURCES = ROOT / "samples" / "sources.toml"

_ATOM_NS = "{http://www.w3.org/2005/Atom}"
SUMMARY_CHARS = (60, 240)  # a typical news-site RSS description: one to three sentences


@dataclass(frozen=True, slots=True)
class PoolItem:
    title: str
    link: str
    published: datetime


@dataclass(frozen=True, slots=True)
class Identity:
    name: str
    official: bool
    region: str | None


@dataclass(frozen=True, slots=True)
class GeneratedFeed:
    name: str
    path: str  # relative to the feed directory, as served
    official: bool
    region: str | None
    items: int


def _text(el: ET.Element | None) -> str:
    return " ".join((el.text or "").split()) if el is not None else ""


def _rss_items(path: Path) -> list[PoolItem]:
    out = []
    for item in ET.parse(path).getroot().iter("item"):
        title, link, date = _text(item.find("title")), _text(item.find("link")), _text(item.find("pubDate"))
        if title and link and date:
            out.append(PoolItem(title, link, parsedate_to_datetime(date).astimezone(UTC)))
    return out


def _atom_items(path: Path) -> list[PoolItem]:
    out = []
    for entry in ET.parse(path).getroot().iter(f"{_ATOM_NS}entry"):
        title = _text(entry.find(f"{_ATOM_NS}title"))
        link_el = entry.find(f"{_ATOM_NS}link")
        link = (link_el.get("href") or "").strip() if link_el is not None else ""
        updated = _text(entry.find(f"{_ATOM_NS}updated"))
        if title and link and updated:
            out.append(PoolItem(title, link, datetime.fromisoformat(updated).astimezone(UTC)))
    return out


def item_pool() -> list[PoolItem]:
    """Every distinct (by link) item of the real RSS and Atom snapshots."""
    items: dict[str, PoolItem] = {}
    for path in sorted([*WECHAT.glob("latest/*.xml"), *WECHAT.glob("history/*.xml")]):
        for it in _rss_items(path):
            items.setdefault(it.link, it)
    for path in sorted([*ATOM.glob("latest/*.xml"), *ATOM.glob("history/*.xml")]):
        for it in _atom_items(path):
            items.setdefault(it.link, it)
    if not items:
        raise FileNotFoundError(f"no feed snapshots under {WECHAT} or {ATOM}")
    return list(items.values())


def summary_pool() -> list[str]:
    """THUCNews article texts (whitespace collapsed); cut per item by :func:`summary_of`."""
    texts = []
    with CNEWS.open(encoding="utf-8") as fh:
        for line in fh:
            _label, _tab, text = line.partition("\t")
            text = " ".join(text.split())
            if len(text) >= SUMMARY_CHARS[0]:
                texts.append(text)
    return texts


def summary_of(text: str, rng: random.Random) -> str:
    """The article's opening, cut at the last sentence end before a real-description length."""
    limit = rng.randint(*SUMMARY_CHARS)
    head = text[:limit]
    cut = max(head.rfind("。"), head.rfind("！"), head.rfind("？"))
    return head[: cut + 1] if cut >= SUMMARY_CHARS[0] // 2 else head


def identities() -> list[Identity]:
    data = tomllib.loads(SAMPLE_SOURCES.read_text(encoding="utf-8"))
    return [
        Identity(s["name"], bool(s.get("official", False)), s.get("region")) for s in data.get("source", [])
    ] or [Identity("新闻源", False, None)]


def _unique_link(link: str, feed: int, n: int) -> str:
    return f"{link}{'&' if '?' in link else '?'}yqb={feed:05d}-{n:04d}"


def _rss(title: str, site: str, entries: list[tuple[PoolItem, str, str]]) -> str:
    newest = entries[0][0].published if entries else datetime(2021, 6, 17, tzinfo=UTC)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>',
        f"<title>{escape(title)}</title><link>{escape(site)}</link>",
        f"<description>{escape(title)}</description><pubDate>{format_datetime(newest)}</pubDate>",
    ]
    for it, link, summary in entries:
        parts.append(
            f"<item><title>{escape(it.title)}</title><link>{escape(link)}</link>"
            f'<guid isPermaLink="true">{escape(link)}</guid>'
            f"<description>{escape(summary)}</description>"
            f"<content:encoded><![CDATA[{it.title}]]></content:encoded>"
            f"<pubDate>{format_datetime(it.published)}</pubDate></item>"
        )
    parts.append("</channel></rss>\n")
    return "".join(parts)


def _atom(title: str, site: str, entries: list[tuple[PoolItem, str, str]]) -> str:
    newest = entries[0][0].published if entries else datetime(2026, 1, 29, tzinfo=UTC)
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n',
        f"    <id>{escape(site)}</id>\n    <title>{escape(title)}</title>\n",
        f"    <updated>{newest.isoformat().replace('+00:00', 'Z')}</updated>\n",
        f'    <link href="{escape(site)}"/>\n',
    ]
    for it, link, summary in entries:
        body = f"<p>{escape(summary)}</p>" if summary else ""
        parts.append(
            "    <entry>\n"
            f'        <title type="html"><![CDATA[{it.title}]]></title>\n'
            f"        <id>{escape(link)}</id>\n"
            f'        <link href="{escape(link)}"/>\n'
            f"        <updated>{it.published.isoformat().replace('+00:00', 'Z')}</updated>\n"
            f'        <content type="html"><![CDATA[<h3><a href="{link}">{it.title}</a></h3>{body}]]></content>\n'
            "    </entry>\n"
        )
    parts.append("</feed>\n")
    return "".join(parts)


def generate(
    directory: Path, feeds: int, items: int, *, seed: int = 20240501, summaries: bool = True
) -> list[GeneratedFeed]:
    """Write ``feeds`` feeds of ``items`` items each under ``directory``; return what was written."""
    rng = random.Random(seed)
    pool = item_pool()
    texts = summary_pool() if summaries else []
    people = identities()
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for f in range(feeds):
        who = people[f % len(people)]
        name = f"{who.name} #{f:05d}"
        atom = f % 4 == 3
        picked = sorted(rng.sample(pool, min(items, len(pool))), key=lambda it: it.published, reverse=True)
        while len(picked) < items:  # more items per feed than the pool holds: reuse, links stay unique
            picked.append(rng.choice(pool))
        entries = [
            (it, _unique_link(it.link, f, n), summary_of(rng.choice(texts), rng) if texts else "")
            for n, it in enumerate(picked)
        ]
        site = f"https://feeds.example.cn/{f:05d}/"
        rel = f"{f // 100:03d}/{f:05d}.{'atom' if atom else 'xml'}"
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text((_atom if atom else _rss)(name, site, entries), encoding="utf-8")
        out.append(GeneratedFeed(name, rel, who.official, who.region, len(entries)))
    return out


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_sources(path: Path, feeds: list[GeneratedFeed], urls: list[str]) -> None:
    """The ``[[source]]`` file for ``feeds`` served at ``urls`` (same order)."""
    lines = ["# Generated by bench/bench_ingest.py", ""]
    for feed, url in zip(feeds, urls, strict=True):
        lines += ["[[source]]", f"name = {_toml_str(feed.name)}", f"url = {_toml_str(url)}", 'kind = "feed"']
        lines.append(f"official = {'true' if feed.official else 'false'}")
        if feed.region:
            lines.append(f"region = {_toml_str(feed.region)}")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
