"""What may reach a mail that officials open: plain text, http(s) links, single-line headers.

Feed items are plain text by contract, but a feed can smuggle markup through (double-escaped
entities, a title that *is* HTML). Every text shown is reduced to plain text here and then escaped by
Jinja2's autoescape; a link is kept only if it is an absolute http(s) URL; anything bound for a header
loses CR/LF (header injection, RFC 5322 §2.2).
"""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import urlsplit

MAX_TITLE_CHARS = 120  # a digest line, not an article
MAX_URL_CHARS = 2048

_SCRIPT_LIKE = re.compile(r"<\s*(script|style|iframe|object|embed|template)\b.*?<\s*/\s*\1\s*>", re.I | re.S)
_COMMENT = re.compile(r"<!--.*?(-->|$)", re.S)
# A tag: '<' then a letter, '/', '!' or '?' ... up to the next '>'; or a tag cut off by the end of
# the text once it has attributes ("<img src=x onerror=..."). "a<b" and "PM2.5 < 35" stay.
_TAG = re.compile(r"<\s*[/!?]?\s*[a-zA-Z][^<>]*>|<\s*[a-zA-Z][a-zA-Z0-9]*\s[^<>]*$")
_WS = re.compile(r"\s+")


def _drop_controls(text: str) -> str:
    # Cc (C0/C1 controls incl. CR/LF), Cf (bidi overrides, zero-width), Zl/Zp (U+2028/2029) -> space:
    # they can reorder or hide text, or break a header or a text line.
    return "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text)


def plain_text(value: str | None, *, limit: int | None = MAX_TITLE_CHARS) -> str:
    """Plain single-line text: entities decoded, tags and scripts removed, whitespace collapsed."""
    if not value:
        return ""
    text = value
    for _ in range(3):  # double-escaped markup (&amp;lt;script&amp;gt;) unwraps one level per round
        before = text
        text = html.unescape(text)
        text = _SCRIPT_LIKE.sub(" ", text)
        text = _COMMENT.sub(" ", text)
        text = _TAG.sub(" ", text)
        if text == before:
            break
    text = _WS.sub(" ", _drop_controls(text)).strip()
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def safe_url(value: str | None) -> str | None:
    """The URL if it is an absolute http(s) link with a host and no credentials; else None."""
    if not value:
        return None
    url = value.strip()
    if len(url) > MAX_URL_CHARS or any(
        unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") or c.isspace() for c in url
    ):
        return None
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not hostname:
        return None
    if parts.username is not None or parts.password is not None:
        return None  # http://trusted.gov.cn@evil.example/ shows one host and opens another
    return url


def header_text(value: str, *, limit: int = 200) -> str:
    """A single-line header value: no CR/LF or other controls, bounded length."""
    text = _WS.sub(" ", _drop_controls(value)).strip()
    return text[:limit]
