"""The sources file (docs/sources.md): TOML, one ``[[source]]`` table per source.

Unknown keys are an error naming the key and its line. ``tomllib`` reports no positions, so lines
are found by scanning the text for the n-th ``[[source]]`` header and the key inside its table.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sources import kinds
from sources.urls import redact, url_problem
from yuqing.errors import ConfigError
from yuqing.models import SourceConfig
from yuqing.tomllines import TomlLines

KNOWN_KEYS = frozenset({"name", "url", "kind", "official", "region"})
OFFICIAL_SUFFIXES = (".gov.cn", ".政务", ".xn--zfr164b")  # .政务 in its ASCII (punycode) form too

_TABLE = "source"  # the sources file is an array of [[source]] tables
_REGION = re.compile(r"^\d{6}$")  # GB/T 2260: six digits


def infer_official(url: str) -> bool:
    """A government host (.gov.cn, .政务) is official unless the sources file says otherwise."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    return host.endswith(OFFICIAL_SUFFIXES)


def load_sources(path: str | Path) -> list[SourceConfig]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read the sources file: {e}") from e
    return parse_sources(text, origin=str(path))


def parse_sources(text: str, *, origin: str = "<sources>") -> list[SourceConfig]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        # tomllib's message already ends with "(at line N, column M)".
        raise ConfigError(f"{origin}: invalid TOML: {e}") from e
    lines = TomlLines(text)
    for key in data:
        if key != "source":
            raise ConfigError(
                f"{origin}:{lines.top_level(key)}: unknown key {key!r} (expected [[source]] tables)"
            )
    tables = data.get("source", [])
    if not isinstance(tables, list):
        raise ConfigError(
            f"{origin}:{lines.table(_TABLE, 0) or 1}: 'source' must be an array of tables ([[source]])"
        )

    sources: list[SourceConfig] = []
    first_line_of: dict[str, int] = {}
    url_line_of: dict[str, int] = {}
    for n, table in enumerate(tables):
        where = f"{origin}:{lines.table(_TABLE, n)}"
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: each source must be a table")
        for key in table:
            if key not in KNOWN_KEYS:
                raise ConfigError(
                    f"{origin}:{lines.key(key, _TABLE, n)}: unknown key {key!r} in [[source]] "
                    f"(allowed: {', '.join(sorted(KNOWN_KEYS))})"
                )
        sources.append(_source(table, n, origin, lines))
        name = sources[-1].name
        if name in first_line_of:
            raise ConfigError(
                f"{origin}:{lines.key('name', _TABLE, n)}: duplicate source name {name!r} "
                f"(first defined at line {first_line_of[name]})"
            )
        first_line_of[name] = lines.key("name", _TABLE, n)
        url = sources[-1].url
        if url in url_line_of:
            raise ConfigError(
                f"{origin}:{lines.key('url', _TABLE, n)}: source {name!r}: the same url as the source at line "
                f"{url_line_of[url]}: a feed is fetched once; give it one name"
            )
        url_line_of[url] = lines.key("url", _TABLE, n)
    return sources


def _string(table: dict[str, Any], key: str, n: int, origin: str, lines: TomlLines) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(
            f"{origin}:{lines.key(key, _TABLE, n)}: {key!r} must be a string, got {type(value).__name__}"
        )
    return value.strip()


def _source(table: dict[str, Any], n: int, origin: str, lines: TomlLines) -> SourceConfig:
    name = _string(table, "name", n, origin, lines)
    if not name:
        raise ConfigError(f"{origin}:{lines.table(_TABLE, n)}: source without a name")
    url = _string(table, "url", n, origin, lines)
    if not url:
        raise ConfigError(f"{origin}:{lines.table(_TABLE, n)}: source {name!r} has no url")
    problem = url_problem(url)
    if problem is not None:
        raise ConfigError(
            f"{origin}:{lines.key('url', _TABLE, n)}: source {name!r}: url must be an http:// or https:// URL with a host "
            f"that can be fetched ({problem}), got {redact(url)!r}"
        )
    kind = _string(table, "kind", n, origin, lines) or "feed"
    if kind not in kinds.known():
        raise ConfigError(
            f"{origin}:{lines.key('kind', _TABLE, n)}: source {name!r}: unknown kind {kind!r} (known: {', '.join(kinds.known())})"
        )
    official = table.get("official")
    if official is None:
        official = infer_official(url)
    elif not isinstance(official, bool):
        raise ConfigError(
            f"{origin}:{lines.key('official', _TABLE, n)}: source {name!r}: official must be true or false"
        )
    region = table.get("region")
    if isinstance(region, int) and not isinstance(region, bool):
        region = str(region)  # region = 330100 written without quotes
    if region is not None and (not isinstance(region, str) or not _REGION.match(region.strip())):
        raise ConfigError(
            f"{origin}:{lines.key('region', _TABLE, n)}: source {name!r}: region must be a six-digit GB/T 2260 code, got {region!r}"
        )
    return SourceConfig(
        name=name, url=url, kind=kind, official=official, region=region.strip() if region else None
    )
