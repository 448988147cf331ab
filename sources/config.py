"""The sources file (docs/sources.md): TOML, one ``[[source]]`` table per source.

The file's schema is ``_SourcesFile`` (``yuqing/tomlschema.py``: unknown keys and bad values are errors naming the
key and its line); names and urls are then checked across tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from sources import kinds
from sources.urls import redact, url_problem
from yuqing import tomlschema
from yuqing.errors import ConfigError
from yuqing.models import SourceConfig
from yuqing.tomlschema import Table, matching

OFFICIAL_SUFFIXES = (".gov.cn", ".政务", ".xn--zfr164b")  # .政务 in its ASCII (punycode) form too

_TABLE = "source"  # the sources file is an array of [[source]] tables


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


class _Source(Table):
    """One ``[[source]]`` table."""

    name: str
    url: str
    kind: str = "feed"
    official: bool | None = None  # None: inferred from the host
    region: Annotated[str, matching(r"\d{6}", "must be a six-digit GB/T 2260 code")] | None = None

    @field_validator("region", mode="before")
    @classmethod
    def _unquoted(cls, value: Any) -> Any:
        """``region = 330100`` written without quotes is taken too."""
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value.strip() if isinstance(value, str) else value

    @field_validator("name")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @field_validator("url")
    @classmethod
    def _fetchable(cls, value: str) -> str:
        url = value.strip()
        if not url:
            raise ValueError("has no url")
        problem = url_problem(url)
        if problem is not None:
            raise ValueError(
                f"must be an http:// or https:// URL with a host that can be fetched ({problem}), "
                f"got {redact(url)!r}"
            )
        return url

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        kind = value.strip() or "feed"
        if kind not in kinds.known():
            raise ValueError(f"unknown kind {kind!r} (known: {', '.join(kinds.known())})")
        return kind

    def config(self) -> SourceConfig:
        official = infer_official(self.url) if self.official is None else self.official
        return SourceConfig(
            name=self.name, url=self.url, kind=self.kind, official=official, region=self.region
        )


class _SourcesFile(Table):
    source: list[_Source] = Field(default_factory=list)


def _label(index: int, raw: Any) -> str:
    name = raw.get("name") if isinstance(raw, dict) else None
    return f"source {name.strip()!r}" if isinstance(name, str) and name.strip() else f"source #{index + 1}"


def parse_sources(text: str, *, origin: str = "<sources>") -> list[SourceConfig]:
    doc = tomlschema.Document(text, where=origin, labels={_TABLE: _label})
    sources = [s.config() for s in doc.validate(_SourcesFile).source]
    # Across tables: a name and a url each name one source.
    first_line_of: dict[str, int] = {}
    url_line_of: dict[str, int] = {}
    for n, source in enumerate(sources):
        if source.name in first_line_of:
            raise doc.error(
                (_TABLE, n, "name"),
                f"duplicate source name {source.name!r} (first defined at line {first_line_of[source.name]})",
                name_key=False,
            )
        if source.url in url_line_of:
            raise doc.error(
                (_TABLE, n, "url"),
                f"the same url as the source at line {url_line_of[source.url]}: a feed is fetched once; "
                "give it one name",
                name_key=False,
            )
        first_line_of[source.name] = doc.lines.key("name", _TABLE, n)
        url_line_of[source.url] = doc.lines.key("url", _TABLE, n)
    return sources
