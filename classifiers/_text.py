"""Text normalisation shared by the classifiers: whitespace, traditional → simplified, publisher line."""

from __future__ import annotations

import re
from functools import cache
from typing import NamedTuple

import opencc

# "（微信公众号：深圳发布）", "（来源：湖北省卫健委）", " （来源：央视新闻微博）" at the end of an item.
_PUBLISHER = re.compile(r"[（(]\s*(?:微信公众号|公众号|来源|发布者)\s*[：:]\s*([^（）()]{1,40}?)\s*[）)]\s*$")
# piyao.org.cn entries: "中国互联网联合辟谣平台 标注：谣言；来源：武汉发布"
_PIYAO = re.compile(r"中国互联网联合辟谣平台\s*标注[：:]\s*([^；;]+)[；;]\s*来源[：:]\s*(.+?)\s*$")
# Tencent 较真 trailer: "（腾讯较真查证，结论：假/谣言；查证者：…）"
_FACTCHECK = re.compile(r"[（(]\s*腾讯较真查证[^（）()]*[）)]\s*$")
_PIYAO_MARK = "中国互联网联合辟谣平台"
_FACTCHECK_MARK = "腾讯较真查证"
_SENTENCE_END = re.compile(r"[。！？!?]")

# Weibo's markup, read by the issue rule (a post's own words), grouping (the hashtags a post takes up) and the
# events' headlines: a hashtag (#话题#); a repost chain's link to the post before (//@某人:, 回复@某人:); any
# @mention; a link, a video or the site's «收起全文» (collapse the full text).
HASHTAG = re.compile(r"#([^#]{1,60})#")
REPOST_LINK = re.compile(r"(?://|回复)@[^:：\s@#]{1,30}[:：]")
MENTION = re.compile(r"(?://|回复)?@[^\s:：@#]{1,30}[:：]?")
LINK = re.compile(r"O网页链接|L\S{1,40}的微博视频|https?://\S+|收起全文d?|展开全文c?")
MIN_LEAD_CHARS = 8


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@cache
def _traditional_only() -> re.Pattern[str]:
    """Characters that OpenCC t2s changes (traditional forms); lets simplified text skip conversion."""
    chars = [chr(c) for c in range(0x4E00, 0xA000)]
    converted = _converter().convert("\n".join(chars)).split("\n")
    changed = [a for a, b in zip(chars, converted, strict=False) if a != b]
    return re.compile("[" + "".join(changed) + "]")


def normalize(text: str) -> str:
    """Collapse whitespace runs to one space and convert traditional characters to simplified."""
    if not text:
        return ""
    # str.split() and re's \s both split on the characters str.isspace() accepts.
    text = " ".join(text.replace("\u200d", "").split())
    if _traditional_only().search(text):
        text = _converter().convert(text)
    return text


class Parsed(NamedTuple):
    """An item's text split into the parts the classifiers read differently."""

    title: str
    body: str  # text without the publisher/attribution trailer
    publisher: str | None  # account or source named in the trailer
    piyao_label: str | None  # 谣言 / 误区 / 辟谣 / 事实 for piyao.org.cn entries
    factcheck: bool  # a commercial fact-check trailer (never official)
    lead_title: bool  # title was empty and the body's first sentence stands in for it


def parse(title: str, text: str, lead_chars: int) -> Parsed:
    title = normalize(title)
    body = normalize(text)
    publisher: str | None = None
    piyao_label: str | None = None
    factcheck = False
    # Literal checks first: the patterns need these words, or a closing bracket at the very end
    # (``body`` is stripped), and most items have none of them.
    m = _PIYAO.search(body) if _PIYAO_MARK in body else None
    if m:
        piyao_label, publisher = m.group(1).strip(), m.group(2).strip()
        body = body[: m.start()].strip()
    else:
        f = _FACTCHECK.search(body) if _FACTCHECK_MARK in body else None
        if f:
            factcheck = True
            publisher = "腾讯较真"
            body = body[: f.start()].strip()
        p = _PUBLISHER.search(body) if body.endswith(("）", ")")) else None
        if p:
            publisher = p.group(1).strip()
            body = body[: p.start()].strip()
    lead = False
    if not title and body:
        # The first sentence, unless it is only a dateline such as "南都讯。".
        end = _SENTENCE_END.search(body, MIN_LEAD_CHARS, lead_chars + 1)
        cut = end.end() if end else min(len(body), lead_chars)
        title, body = body[:cut], body[cut:]
        lead = True
    return Parsed(title, body, publisher, piyao_label, factcheck, lead)
