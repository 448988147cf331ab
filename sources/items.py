"""Normalise parsed entries into :class:`yuqing.models.Item`: plain text, canonical link, UTC times,
stable keys.

``item_id`` and ``content_hash`` are persisted keys (the warehouse upserts by ``item_id``); they are
pinned by a golden test (tests/sources/test_items.py), so changing how they are computed re-keys the
warehouse and must come with a migration.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit, urlunsplit

from sources.parse import RawEntry
from yuqing.models import Item
from yuqing.timeutil import to_utc

# Clocks of feed servers and ours disagree a little; a published time up to this far after our
# fetch is still believed (docs/design.md "Time": not in the future of its fetch).
CLOCK_SKEW = timedelta(minutes=10)
# Before this, a published time is a CMS default (1970-01-01, 1900-01-01), not a real date.
EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=UTC)

_SEP = "\x1f"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(link: str | None, base: str | None) -> str | None:
    """Absolute http(s) URL with the fragment dropped and the query kept; None for anything else."""
    if not link:
        return None
    link = link.strip()
    try:
        absolute = urljoin(base, link) if base else link
        parts = urlsplit(absolute)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    # Credentials (user:pass@) in a feed link are a mistake or a trap: the netloc above drops them.
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).digest()[:16].hex()


def item_key(
    source: str, *, guid: str | None, url: str | None, title: str, published_at: datetime | None
) -> str:
    """The stable id: GUID, else link, else title and published time, within the source."""
    if guid:
        key = "guid:" + guid
    elif url:
        key = "link:" + url
    else:
        key = "title:" + title + "|" + (published_at.isoformat() if published_at else "")
    return _digest(source + _SEP + key)


def content_hash(title: str, summary: str, url: str | None) -> str:
    return _digest(title + _SEP + summary + _SEP + (url or ""))


def unreliable_guids(entries: Sequence[RawEntry], base: str | None) -> set[str]:
    """GUIDs that name different entries within one batch (some CMSs emit one GUID for everything).

    Keying by such a GUID would merge different news items into one, so they fall back to links.
    """
    seen: dict[str, tuple[str | None, str]] = {}
    bad: set[str] = set()
    for entry in entries:
        if not entry.guid:
            continue
        identity = (canonical_url(entry.link, base), entry.title)
        previous = seen.setdefault(entry.guid, identity)
        if previous != identity:
            bad.add(entry.guid)
    return bad


def plausible_time(published_at: datetime | None, fetched_at: datetime) -> datetime:
    if published_at is None or published_at > fetched_at + CLOCK_SKEW or published_at < EARLIEST_PLAUSIBLE:
        return fetched_at
    return published_at


def normalise(
    entries: Sequence[RawEntry], *, source: str, final_url: str | None, fetched_at: datetime
) -> list[Item]:
    """Items for one fetched batch, in feed order; entries with the same item id keep the first."""
    fetched_utc = to_utc(fetched_at)
    bad_guids = unreliable_guids(entries, final_url)
    items: list[Item] = []
    seen_ids: set[str] = set()
    for entry in entries:
        url = canonical_url(entry.link, final_url)
        if entry.guid is None and url is None and not entry.title:
            continue  # nothing to show or key on
        published_at = to_utc(entry.published) if entry.published is not None else None
        guid = entry.guid if entry.guid and entry.guid not in bad_guids else None
        # A GUID repeated across different items is no identity; neither is an empty one.
        item_id = item_key(source, guid=guid, url=url, title=entry.title, published_at=published_at)
        if item_id in seen_ids:
            continue
        seen_ids.add(item_id)
        items.append(
            Item(
                item_id=item_id,
                source=source,
                guid=entry.guid,
                url=url,
                title=entry.title,
                summary=entry.summary,
                published_at=published_at,
                fetched_at=fetched_utc,
                item_time=plausible_time(published_at, fetched_utc),
                content_hash=content_hash(entry.title, entry.summary, url),
                author=entry.author,
            )
        )
    return items
